// The simulated Buildkite's data and limits: the organization rate limit and its headers, byte-identical
// determinism, builds progressing as the sandbox clock moves, and the realism the connector must cope with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';

type Json = Record<string, unknown>;
interface Job extends Json {
  id: string;
  state: string;
  retried: boolean;
  soft_failed?: boolean;
  runnable_at?: string | null;
  started_at?: string | null;
  retry_source: { job_id: string; retry_type: string } | null;
}
type Build = Json & {
  id: string;
  state: string;
  blocked: boolean;
  jobs: Job[];
  created_at: string;
  finished_at: string | null;
};

const NOW = '2026-03-10T15:00:00Z';
const DAY_MS = 86_400_000;
const base: SandboxOptions = { seed: 7, size: 'small', now: NOW, clock: 'manual' };

async function get(url: string, token: string) {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

test('the organization budget: headers count down, the request past it is 429, the window reopens on the clock', async () => {
  const sandbox = await startSandbox({
    ...base,
    buildkite: { rateLimitPerOrg: 5, rateLimitWindowMs: 60_000 },
  });
  try {
    const { url, token, tokens } = sandbox.buildkite;
    for (let i = 1; i <= 5; i++) {
      const res = await get(`${url}/organizations/acme/pipelines`, token);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-limit'), '5');
      assert.equal(res.headers.get('ratelimit-remaining'), String(5 - i));
      assert.equal(res.headers.get('ratelimit-reset'), '60');
      assert.equal(res.headers.get('ratelimit-warning'), null);
    }
    // Every token of the organization draws on the same budget.
    const refused = await get(`${url}/organizations/acme/builds`, tokens.single_org);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('ratelimit-remaining'), '0');
    assert.equal(refused.headers.get('ratelimit-warning'), 'You have exceeded your API rate limit.');
    assert.deepEqual(JSON.parse(refused.text), {
      message: 'You have exceeded your API rate limit. Please wait 60 seconds before making more requests.',
      scope: 'rest',
      limit: 5,
      current: 6,
      reset: 60,
    });
    // Another organization has its own budget.
    assert.equal((await get(`${url}/organizations/globex/pipelines`, token)).status, 200);

    sandbox.clock.advance(45_000);
    const later = await get(`${url}/organizations/acme/pipelines`, token);
    assert.equal(later.status, 429);
    assert.equal(later.headers.get('ratelimit-reset'), '15');
    sandbox.clock.advance(15_000);
    const reopened = await get(`${url}/organizations/acme/pipelines`, token);
    assert.equal(reopened.status, 200);
    assert.equal(reopened.headers.get('ratelimit-remaining'), '4');
  } finally {
    await sandbox.close();
  }
});

test('the per-user limit, when switched on, has its own headers and 429 scope', async () => {
  const sandbox = await startSandbox({ ...base, buildkite: { rateLimitPerOrg: 100, rateLimitPerUser: 2 } });
  try {
    const { url, token } = sandbox.buildkite;
    const first = await get(`${url}/organizations/acme/pipelines`, token);
    assert.equal(first.headers.get('ratelimit-user-scope'), 'rest_user');
    assert.equal(first.headers.get('ratelimit-user-limit'), '2');
    assert.equal(first.headers.get('ratelimit-user-remaining'), '1');
    await get(`${url}/organizations/globex/pipelines`, token);
    const refused = await get(`${url}/organizations/acme/pipelines`, token);
    assert.equal(refused.status, 429);
    assert.equal(JSON.parse(refused.text).scope, 'rest_user');
    // The organization budget still counts both acme requests.
    assert.equal(refused.headers.get('ratelimit-remaining'), '98');
  } finally {
    await sandbox.close();
  }
});

test('same seed and clock give byte-identical responses; another seed gives other data', async () => {
  const paths = [
    '/organizations/acme/builds?per_page=100&include_retried_jobs=true',
    '/organizations/globex/builds?page=2',
    '/organizations/acme/pipelines',
  ];
  const bodies = async (seed: number) => {
    const sandbox = await startSandbox({ ...base, seed });
    try {
      const out: string[] = [];
      for (const path of paths) {
        const res = await get(`${sandbox.buildkite.url}${path}`, sandbox.buildkite.token);
        assert.equal(res.status, 200);
        // Only the port differs between two sandboxes.
        out.push(
          res.text.replaceAll(sandbox.url, 'http://sandbox'),
          res.headers.get('link')?.replaceAll(sandbox.url, '') ?? '',
        );
      }
      return out;
    } finally {
      await sandbox.close();
    }
  };
  const [a, b, c] = [await bodies(7), await bodies(7), await bodies(8)];
  assert.deepEqual(a, b);
  assert.ok((a[0] as string).length > 100_000);
  assert.notEqual(a[0], c[0]);
});

test('builds in flight at the anchor progress as the clock moves, and new builds arrive', async () => {
  const sandbox = await startSandbox(base);
  try {
    const { world, url } = sandbox.buildkite;
    const before = world.builds(url) as Build[];
    const unfinished = before.filter((b) => ['scheduled', 'running', 'failing'].includes(b.state));
    assert.ok(unfinished.length >= 3, `only ${unfinished.length} builds in flight`);
    const running = unfinished.find((b) => b.state === 'running') as Build;
    assert.ok(running.jobs.some((j) => j.state === 'running'));
    assert.ok(
      unfinished.some((b) => b.state === 'scheduled' && b.jobs.some((j) => j.state === 'scheduled')),
      'one waits for agents',
    );

    sandbox.clock.advance(3 * 3_600_000);
    const after = world.builds(url) as Build[];
    const byId = new Map(after.map((b) => [b.id, b]));
    for (const old of unfinished) {
      const now = byId.get(old.id) as Build;
      assert.ok(now.finished_at !== null, `${old.id} still unfinished`);
      assert.ok(now.jobs.every((j) => !['running', 'scheduled'].includes(j.state)));
    }
    const arrived = after.filter((b) => Date.parse(b.created_at) > Date.parse(NOW));
    assert.ok(arrived.length >= 2, `${arrived.length} new builds`);
    const res = await get(`${url}/organizations/acme/builds?created_from=${NOW}`, sandbox.buildkite.token);
    assert.deepEqual(
      (JSON.parse(res.text) as Build[]).map((b) => b.id).sort(),
      arrived
        .filter((b) => (b.url as string).includes('/acme/'))
        .map((b) => b.id)
        .sort(),
    );
  } finally {
    await sandbox.close();
  }
});

test('the history has the cases a connector must get right', async () => {
  const sandbox = await startSandbox({ ...base, size: 'medium' });
  try {
    // Three weeks of a medium history: thousands of builds, quick to serialize.
    const createdFrom = Date.parse(NOW) - 21 * DAY_MS;
    const builds = sandbox.buildkite.world.builds(sandbox.buildkite.url, { createdFrom }) as Build[];
    const jobs = builds.flatMap((b) => b.jobs.map((j) => ({ ...j, build: b })));
    const count = (f: (b: Build) => boolean) => builds.filter(f).length;
    assert.ok(builds.length > 2000, `${builds.length} builds`);

    const retries = jobs.filter((j) => j.retry_source);
    for (const type of ['automatic', 'manual']) {
      assert.ok(
        retries.some((j) => j.retry_source?.retry_type === type),
        `${type} retries`,
      );
    }
    for (const retry of retries) {
      const old = retry.build.jobs.find((j) => j.id === retry.retry_source?.job_id) as Job;
      assert.equal(old.retried, true);
      assert.equal(old.retried_in_job_id, retry.id);
    }
    assert.ok(
      jobs.some((j) => j.soft_failed === true && j.build.state === 'passed'),
      'soft fails in passed builds',
    );
    assert.ok(count((b) => b.state === 'skipped') > 0 && count((b) => b.state === 'not_run') > 0);
    const blocked = builds.filter((b) => b.blocked);
    assert.ok(
      blocked.length > 0 &&
        blocked.every((b) => b.state === 'passed' && b.jobs.some((j) => j.state === 'blocked')),
    );
    const canceled = builds.filter((b) => b.state === 'canceled');
    assert.ok(canceled.some((b) => (b.canceled_by as { name?: string } | null)?.name));
    assert.ok(canceled.some((b) => b.canceled_by === null && typeof b.cancel_reason === 'string'));
    assert.ok(count((b) => b.state === 'failed' && b.failing_at !== null) > 0);
    assert.ok(jobs.some((j) => ['waiting_failed', 'broken', 'timed_out', 'expired'].includes(j.state)));

    const times = builds.flatMap((b) => [
      b.created_at,
      b.finished_at,
      ...b.jobs.map((j) => j.started_at as string | null),
    ]);
    // Block steps carry no times at all (the docs' "Unblock a job" example).
    const present = times.filter((t): t is string => typeof t === 'string');
    assert.ok(present.every((t) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(t)));
    assert.ok(
      present.filter((t) => !t.endsWith('.000Z')).length > present.length * 0.9,
      'milliseconds are real',
    );

    // Agents run short on weekday afternoons: jobs wait longer between runnable and started.
    const waits = (busy: boolean) => {
      const gaps = jobs.flatMap((j) => {
        if (!j.runnable_at || !j.started_at || j.retry_source) return [];
        const runnable = new Date(j.runnable_at as string);
        const hour = runnable.getUTCHours();
        const weekday = ![0, 6].includes(runnable.getUTCDay());
        if ((weekday && hour >= 13 && hour < 18) !== busy) return [];
        return [Date.parse(j.started_at as string) - runnable.getTime()];
      });
      return gaps.reduce((a, b) => a + b, 0) / gaps.length;
    };
    assert.ok(waits(true) > 3 * waits(false), `busy ${waits(true)} ms vs quiet ${waits(false)} ms`);

    const text = builds.flatMap((b) => [b.message as string, b.branch as string]);
    assert.ok(text.some((t) => t.includes('<script>')));
    assert.ok(text.some((t) => t.length > 300));
  } finally {
    await sandbox.close();
  }
});

test('switches: no canceler field at all, and {} for non-PR builds', async () => {
  const sandbox = await startSandbox({
    ...base,
    buildkite: { canceler: 'absent', nonPrPullRequest: 'empty' },
  });
  try {
    const builds = sandbox.buildkite.world.builds(sandbox.buildkite.url) as Build[];
    assert.ok(builds.some((b) => b.state === 'canceled'));
    assert.ok(builds.every((b) => !('canceled_by' in b)));
    assert.ok(builds.some((b) => JSON.stringify(b.pull_request) === '{}'));
  } finally {
    await sandbox.close();
  }
});

test('a large sandbox starts without generating its whole history', async () => {
  const sandbox = await startSandbox({ ...base, size: 'large' });
  try {
    const { url, token, world } = sandbox.buildkite;
    const res = await get(
      `${url}/organizations/acme/pipelines/web/builds?created_from=2026-03-10T00:00:00Z`,
      token,
    );
    assert.equal(res.status, 200);
    assert.ok((JSON.parse(res.text) as Build[]).length > 0);
    assert.equal(world.model.orgs.flatMap((o) => o.pipelines).length, 14);
  } finally {
    await sandbox.close();
  }
});

test('medium holds tens of thousands of builds over 200 days and large about a million, counted from the seed', async () => {
  const expected = { medium: [20_000, 40_000], large: [800_000, 1_300_000] } as const;
  for (const size of ['medium', 'large'] as const) {
    const sandbox = await startSandbox({ ...base, size });
    try {
      const world = sandbox.buildkite.world.model;
      const pipelines = world.orgs.flatMap((o) => o.pipelines);
      const now = Date.parse(NOW) + 1;
      const total = world.count(pipelines, 0, now);
      const [low, high] = expected[size];
      assert.ok(total > low && total < high, `${size}: ${total} builds`);
      const [oldest] = world.slice(pipelines, 0, now, total - 1, 1);
      const days = (Date.parse(NOW) - (oldest?.createdAt ?? 0)) / DAY_MS;
      assert.ok(size === 'large' ? days > 364 : days > 199 && days < 201, `${size}: ${days} days`);
      // Only the day of the anchor (cut by `now`) and the oldest build's day were generated.
      const perDay = total / days / pipelines.length;
      assert.ok(world.generated() < 4 * perDay * pipelines.length, `${size}: ${world.generated()} generated`);
    } finally {
      await sandbox.close();
    }
  }
});

test('a page deep in a large time window generates only the days it touches', async () => {
  const sandbox = await startSandbox({ ...base, size: 'large' });
  try {
    const { url, token, world } = sandbox.buildkite;
    // The connector's backfill past the list depth limit: a window with both bounds cutting through days.
    const from = new Date(Date.parse(NOW) - 90 * DAY_MS).toISOString();
    const to = new Date(Date.parse(NOW) - 45.5 * DAY_MS).toISOString();
    const list = `${url}/organizations/acme/builds?created_from=${from}&created_to=${to}&per_page=100`;
    const inWindow = world.model.count(
      world.model.orgs[0]?.pipelines ?? [],
      Date.parse(from),
      Date.parse(to),
    );
    assert.ok(inWindow > 50_000, `${inWindow} builds in the window`);
    const pages = [];
    for (const page of [60, 61]) {
      const res = await get(`${list}&page=${page}`, token);
      assert.equal(res.status, 200);
      pages.push(JSON.parse(res.text) as Build[]);
      const last = /<([^>]+)>; rel="last"/.exec(res.headers.get('link') ?? '')?.[1] ?? '';
      assert.equal(new URL(last).searchParams.get('page'), String(Math.ceil(inWindow / 100)));
    }
    const times = pages.flat().map((b) => Date.parse(b.created_at));
    assert.equal(times.length, 200);
    assert.ok(
      times.every(
        (t, i) => t >= Date.parse(from) && t < Date.parse(to) && (i === 0 || t <= (times[i - 1] as number)),
      ),
    );
    // A day of this organization is a few thousand builds; the window holds over fifty thousand.
    assert.ok(world.model.generated() < 20_000, `${world.model.generated()} builds generated`);
  } finally {
    await sandbox.close();
  }
});

test('a slice of a window is that part of the whole window, wherever its bounds cut days', async () => {
  const sandbox = await startSandbox({ ...base, size: 'medium' });
  try {
    const world = sandbox.buildkite.world.model;
    const anchor = Date.parse(NOW);
    const windows: [number, number][] = [
      [anchor - 12 * DAY_MS - 3_600_000, anchor + 1],
      [anchor - 9.5 * DAY_MS, anchor - 2 * DAY_MS],
      [anchor - 7 * DAY_MS - (anchor % DAY_MS), anchor - 6 * DAY_MS - (anchor % DAY_MS)],
      [anchor - 2 * DAY_MS + 17, anchor - DAY_MS - 17],
    ];
    for (const scope of [world.orgs.flatMap((o) => o.pipelines), world.orgs[1]?.pipelines ?? []]) {
      for (const [from, to] of windows) {
        const whole = world.summaries(scope, from, to);
        assert.ok(whole.length > 0);
        assert.equal(world.count(scope, from, to), whole.length);
        for (const offset of [0, 1, 99, 250, whole.length - 1, whole.length, whole.length + 3]) {
          for (const limit of [1, 30, 100]) {
            assert.deepEqual(
              world.slice(scope, from, to, offset, limit).map((s) => s.id),
              whole.slice(offset, offset + limit).map((s) => s.id),
              `offset ${offset}, limit ${limit}`,
            );
          }
        }
      }
    }
  } finally {
    await sandbox.close();
  }
});
