// The Buildkite connector against the simulated API over real HTTP: a full sync equals the world's truth
// with the fewest requests the API allows, later syncs catch builds that finished (or were retried) in
// between, a 429 mid-sync is waited out without starting over, deep paging falls back to time windows,
// and check() gives each failure its code with a curl that never shows the token.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createBuildkiteConnector } from '../../../src/connectors/buildkite/connector.js';
import { normalizeBuild } from '../../../src/connectors/buildkite/normalize.js';
import { build as buildSchema } from '../../../src/connectors/buildkite/wire.js';
import type { Connector, PendingRun, SyncEvent } from '../../../src/connectors/contract.js';
import { BLOCKED_RECHECK_DAYS, type Job, type Run, UNFINISHED_STATUSES } from '../../../src/domain/model.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../src/sandbox/index.js';

const NOW = '2026-03-10T15:00:00Z';
const base: SandboxOptions = { seed: 11, size: 'small', now: NOW, clock: 'manual' };

interface Synced {
  runs: Map<string, Run>;
  jobs: Map<string, Job>;
  projects: string[];
  state: unknown;
  checkpoints: number;
}

function connectorFor(
  sandbox: Sandbox,
  token = sandbox.buildkite.token,
  extra: { org?: string | null; maxRetries?: number } = {},
) {
  return createBuildkiteConnector({
    baseUrl: sandbox.buildkite.url,
    token,
    org: extra.org ?? null,
    maxRetries: extra.maxRetries,
    now: () => sandbox.clock.now(),
  });
}

async function drain(events: AsyncIterable<SyncEvent>, onBatch?: () => Promise<void>): Promise<Synced> {
  const out: Synced = { runs: new Map(), jobs: new Map(), projects: [], state: null, checkpoints: 0 };
  for await (const event of events) {
    if (event.type === 'projects') out.projects.push(...event.projects.map((p) => p.key));
    if (event.type === 'batch') {
      for (const run of event.runs) out.runs.set(run.key, run);
      for (const job of event.jobs) out.jobs.set(job.key, job);
      await onBatch?.();
    }
    if (event.type === 'checkpoint') {
      out.state = event.state;
      out.checkpoints++;
    }
  }
  return out;
}

/** What the store should hold: every visible build as the API serves it, normalized. */
function truth(sandbox: Sandbox) {
  const pipelines = new Map(
    sandbox.buildkite.world.model.orgs.flatMap((o) =>
      o.pipelines.map((p) => [`${o.slug}/${p.slug}`, p] as const),
    ),
  );
  const runs = new Map<string, Run>();
  const jobs = new Map<string, Job>();
  const raw = sandbox.buildkite.world.builds(sandbox.buildkite.url);
  for (const item of raw) {
    const wire = buildSchema.parse(item);
    const [, org, slug] = /organizations\/([^/]+)\/pipelines\/([^/]+)\//.exec(wire.url ?? '') ?? [];
    const pipeline = pipelines.get(`${org}/${slug}`);
    assert.ok(pipeline);
    const { run, jobs: js } = normalizeBuild({ key: pipeline.id, name: pipeline.name }, wire);
    runs.set(run.key, run);
    for (const job of js) jobs.set(job.key, job);
  }
  return { runs, jobs, raw };
}

/** Whether the store would hand this run to the next sync (store/runs.ts pendingRuns). */
const pendingAt = (run: Run, now: number) =>
  UNFINISHED_STATUSES.includes(run.status) &&
  (run.status !== 'blocked' || Date.parse(run.triggeredAt) >= now - BLOCKED_RECHECK_DAYS * 86_400_000);

const sorted = <T extends { key: string }>(rows: Map<string, T>) =>
  [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : 1));

/** Requests a complete first sync needs at least: organizations, each one's pipelines, 100 builds a page. */
function minimumRequests(sandbox: Sandbox, runs: Map<string, Run>): number {
  const { orgs } = sandbox.buildkite.world.model;
  let pages = 1 + orgs.length;
  for (const org of orgs) {
    const ids = new Set(org.pipelines.map((p) => p.id));
    pages += Math.max(1, Math.ceil([...runs.values()].filter((r) => ids.has(r.projectKey)).length / 100));
  }
  return pages;
}

describe('syncing', () => {
  let sandbox: Sandbox;
  let connector: Connector;
  let first: Synced;

  before(async () => {
    sandbox = await startSandbox(base);
    connector = connectorFor(sandbox);
    first = await drain(connector.sync({ state: null, pending: [], lookbackDays: 30 }));
  });
  after(() => sandbox.close());

  test('a first sync equals the world truth, retried jobs included, with the minimum of requests', () => {
    const expected = truth(sandbox);
    assert.ok(expected.runs.size > 150);
    assert.deepEqual(sorted(first.runs), sorted(expected.runs));
    assert.deepEqual(sorted(first.jobs), sorted(expected.jobs));
    assert.ok([...first.jobs.values()].some((j) => j.retried));
    assert.equal(first.projects.length, 5);
    assert.equal(first.checkpoints, 2, 'one checkpoint per organization');
    assert.equal(connector.requests(), minimumRequests(sandbox, expected.runs));
    assert.deepEqual(Object.keys(sandbox.buildkite.served()), ['200']);
  });

  test('the cases metrics depend on come through exactly', () => {
    const raw = truth(sandbox).raw as Record<string, unknown>[];
    const find = (f: (b: Record<string, unknown>) => boolean) => raw.find(f) as Record<string, unknown>;
    const runOf = (b: Record<string, unknown>) => first.runs.get(b.id as string) as Run;
    const pick = (run: Run) => ({
      status: run.status,
      providerStatus: run.providerStatus,
      reason: run.reason,
      abortedBy: run.abortedBy,
      finishedAt: run.finishedAt,
      durationS: run.durationS,
    });

    // A blocked build reports the state of what ran before the block, and finished_at at the block.
    const blocked = find((b) => b.blocked === true);
    assert.deepEqual(pick(runOf(blocked)), {
      status: 'blocked',
      providerStatus: 'passed',
      reason: null,
      abortedBy: null,
      finishedAt: blocked.finished_at,
      durationS:
        (Date.parse(blocked.finished_at as string) - Date.parse(blocked.started_at as string)) / 1000,
    });
    const byPerson = find((b) => b.state === 'canceled' && b.canceled_by !== null);
    const byPersonRun = runOf(byPerson);
    assert.deepEqual(pick(byPersonRun), {
      status: 'aborted',
      providerStatus: 'canceled',
      reason: byPerson.cancel_reason,
      abortedBy: (byPerson.canceled_by as { name: string }).name,
      finishedAt: byPerson.finished_at,
      durationS:
        byPerson.started_at === null
          ? null
          : (Date.parse(byPerson.finished_at as string) - Date.parse(byPerson.started_at as string)) / 1000,
    });
    const bySystem = find((b) => b.state === 'canceled' && b.canceled_by === null);
    assert.equal(runOf(bySystem).abortedBy, null);
    assert.equal(runOf(bySystem).reason, bySystem.cancel_reason);

    type WireJob = {
      id: string;
      soft_failed: boolean;
      exit_status: number;
      retry_source: { job_id: string } | null;
    };
    const jobs = raw.flatMap((b) => b.jobs as WireJob[]);
    const soft = jobs.find((j) => j.soft_failed) as WireJob;
    const softRow = first.jobs.get(soft.id) as Job;
    assert.deepEqual(
      [softRow.status, softRow.providerStatus, softRow.softFailed, softRow.exitStatus],
      ['succeeded', 'failed', true, soft.exit_status],
    );
    const retry = jobs.find((j) => j.retry_source) as WireJob;
    const retryRow = first.jobs.get(retry.id) as Job;
    const replaced = first.jobs.get(retry.retry_source?.job_id as string) as Job;
    assert.equal(retryRow.retryOf, replaced.key);
    assert.equal(replaced.retried, true);
    assert.equal(replaced.runKey, retryRow.runKey);
  });

  test('a later sync re-reads what was unfinished, catches builds that finished in between, and reads new ones', async () => {
    const pending: PendingRun[] = [...first.runs.values()]
      .filter((r) => pendingAt(r, sandbox.clock.now()))
      .map((r) => ({ key: r.key, projectKey: r.projectKey, kind: r.kind, number: r.number }));
    const running = [...first.runs.values()].find((r) => r.status === 'running') as Run;
    assert.ok(running && pending.length > 3);

    sandbox.clock.advance(3 * 3_600_000);
    const before = connector.requests();
    const second = await drain(connector.sync({ state: first.state, pending, lookbackDays: 30 }));
    const merged = new Map([...first.runs, ...second.runs]);
    const mergedJobs = new Map([...first.jobs, ...second.jobs]);
    const expected = truth(sandbox);
    assert.deepEqual(sorted(merged), sorted(expected.runs));
    assert.deepEqual(sorted(mergedJobs), sorted(expected.jobs));

    const finished = second.runs.get(running.key) as Run;
    assert.ok(['succeeded', 'failed', 'aborted', 'blocked'].includes(finished.status), finished.status);
    assert.ok(finished.finishedAt !== null);
    assert.ok(second.runs.size < first.runs.size / 2, `re-read ${second.runs.size} of ${first.runs.size}`);
    // Per organization: builds created since, finished since, and still in flight (one page each here).
    assert.ok(connector.requests() - before <= 3 + 3 * 2, `${connector.requests() - before} requests`);
  });
});

test('a later sync reads nothing created before the lookback, and re-checks blocked builds for 14 days only', async () => {
  const sandbox = await startSandbox(base);
  try {
    const day = 86_400_000;
    const lookbackDays = 3;
    const connector = connectorFor(sandbox);
    const first = await drain(connector.sync({ state: null, pending: [], lookbackDays }));
    const from = sandbox.clock.now() - lookbackDays * day;
    const blockedBefore = truth(sandbox).raw.filter(
      (b) => b.blocked === true && Date.parse(b.created_at as string) < from,
    );
    assert.ok(blockedBefore.length > 0, 'the sandbox has blocked builds older than the lookback');
    const pending: PendingRun[] = [...first.runs.values()]
      .filter((r) => pendingAt(r, sandbox.clock.now()))
      .map((r) => ({ key: r.key, projectKey: r.projectKey, kind: r.kind, number: r.number }));
    assert.ok(pending.length > 0);
    sandbox.clock.advance(3_600_000);
    const second = await drain(connector.sync({ state: first.state, pending, lookbackDays }));
    const old = [...second.runs.values()].filter((r) => Date.parse(r.triggeredAt) < from);
    assert.deepEqual(
      old.map((r) => r.key),
      [],
      'no build created before the lookback window is imported',
    );
  } finally {
    await sandbox.close();
  }
});

test('a 429 in the middle of a sync is waited out and the same page asked again, without starting over', async () => {
  const sandbox = await startSandbox({ ...base, buildkite: { rateLimitPerOrg: 8, rateLimitWindowMs: 50 } });
  try {
    const connector = connectorFor(sandbox, sandbox.buildkite.token, { org: 'acme' });
    const other = sandbox.buildkite.tokens.single_org;
    let exhausted = false;
    let othersRefused = 0;
    // After the first page, someone else in the organization uses up the window; the clock moves on later.
    const useUpTheWindow = async () => {
      if (exhausted) return;
      exhausted = true;
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${sandbox.buildkite.url}/organizations/acme/pipelines`, {
          headers: { Authorization: `Bearer ${other}` },
        });
        if (res.status === 429) {
          othersRefused++;
          break;
        }
      }
      setTimeout(() => sandbox.clock.advance(50), 300);
    };
    const synced = await drain(
      connector.sync({ state: null, pending: [], lookbackDays: 30 }),
      useUpTheWindow,
    );
    const served429 = sandbox.buildkite.served()[429] ?? 0;
    const connector429 = served429 - othersRefused;
    assert.ok(connector429 >= 1, 'the connector met the 429');
    const expected = truth(sandbox);
    const acme = new Set(sandbox.buildkite.world.model.orgs[0]?.pipelines.map((p) => p.id));
    const expectedKeys = [...expected.runs.values()]
      .filter((r) => acme.has(r.projectKey))
      .map((r) => r.key)
      .sort();
    assert.deepEqual([...synced.runs.keys()].sort(), expectedKeys);
    // pipelines + ceil(builds / 100), plus one repeat per 429: nothing was read twice otherwise.
    assert.equal(connector.requests(), 1 + Math.ceil(expectedKeys.length / 100) + connector429);
  } finally {
    await sandbox.close();
  }
});

for (const [tighter, limits] of [
  ['organization', { rateLimitPerOrg: 4, rateLimitPerUser: 50 }],
  ['per-user', { rateLimitPerOrg: 200, rateLimitPerUser: 3 }],
] as const) {
  test(`pacing by the tighter limit (${tighter}) keeps a sync under it without a single 429`, async () => {
    // The sandbox clock stands still, so a window is used up after a few requests however slow the machine
    // is; it moves past the window only when the connector says it waits for the reset.
    const sandbox = await startSandbox({ ...base, buildkite: { ...limits, rateLimitWindowMs: 300 } });
    try {
      const lines: string[] = [];
      const connector = createBuildkiteConnector({
        baseUrl: sandbox.buildkite.url,
        token: sandbox.buildkite.token,
        org: null,
        now: () => sandbox.clock.now(),
        log: (line) => {
          lines.push(line);
          if (/rate limit window used up/.test(line)) sandbox.clock.advance(300);
        },
      });
      const synced = await drain(connector.sync({ state: null, pending: [], lookbackDays: 30 }));
      assert.equal(sandbox.buildkite.served()[429], undefined);
      const pauses = lines.filter((l) => /rate limit window used up/.test(l));
      assert.ok(pauses.length > 0, 'the connector paused');
      assert.ok(
        pauses.every((l) => l.startsWith(`${tighter} rate limit`)),
        pauses.join('; '),
      );
      assert.ok(connector.requests() > Math.min(limits.rateLimitPerOrg, limits.rateLimitPerUser));
      assert.ok(synced.runs.size > 150);
    } finally {
      await sandbox.close();
    }
  });
}

test('a history too deep to page through is read in time windows, completely', async () => {
  const sandbox = await startSandbox({ ...base, buildkite: { maxListDepth: 100 } });
  try {
    const synced = await drain(connectorFor(sandbox).sync({ state: null, pending: [], lookbackDays: 30 }));
    const expected = truth(sandbox);
    assert.ok(expected.runs.size > 200);
    assert.deepEqual(sorted(synced.runs), sorted(expected.runs));
  } finally {
    await sandbox.close();
  }
});

describe('check()', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox(base);
  });
  after(() => sandbox.close());

  const check = (token: string, org: string | null = null) => connectorFor(sandbox, token, { org }).check();

  test('ok for a token that reads everything, for all organizations or one', async () => {
    const every = await check(sandbox.buildkite.token);
    assert.equal(every.code, 'ok');
    const orgs = sandbox.buildkite.world.model.orgs;
    assert.deepEqual(every.checked, [
      'token accepted',
      `${orgs.length} organizations reachable: ${orgs.map((o) => `"${o.slug}"`).join(', ')}`,
      `${orgs.reduce((n, o) => n + o.pipelines.length, 0)} pipelines visible`,
      'builds readable',
    ]);
    assert.equal((await check(sandbox.buildkite.token, 'globex')).code, 'ok');
    // read_organizations is only needed to find the organizations.
    assert.equal((await check(sandbox.buildkite.tokens.missing_read_organizations, 'acme')).code, 'ok');
  });

  test('each missing scope is named, with a curl that reproduces the call and hides the token', async () => {
    const { tokens } = sandbox.buildkite;
    for (const scope of ['read_organizations', 'read_pipelines', 'read_builds'] as const) {
      const token = tokens[`missing_${scope}`];
      const result = await check(token);
      assert.equal(result.code, 'invalid_permissions', scope);
      assert.match(result.message, new RegExp(`lacks the ${scope} scope`));
      assert.match(
        result.curl ?? '',
        /^curl -H "Authorization: Bearer \$BUILDKITE_TOKEN" 'http:\/\/127\.0\.0\.1:\d+\/buildkite\/v2\//,
      );
      assert.ok(!result.curl?.includes(token) && !result.message.includes(token));
    }
  });

  test('invalid_credentials, an organization the token may not see, and no organization at all', async () => {
    const bad = await check('bkua_not-a-token');
    assert.equal(bad.code, 'invalid_credentials');
    assert.match(bad.curl ?? '', /access-token/);
    const hidden = await check(sandbox.buildkite.tokens.single_org, 'globex');
    assert.equal(hidden.code, 'invalid_permissions');
    assert.match(hidden.message, /organization "globex"/);
    const none = await check(sandbox.buildkite.tokens.no_orgs);
    assert.equal(none.code, 'no_resources');
    assert.match(none.curl ?? '', /\/organizations'$/);
  });

  test('unreachable and rate_limited', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const offline = createBuildkiteConnector({
      baseUrl: `http://127.0.0.1:${port}/v2`,
      token: 't',
      org: null,
      maxRetries: 0,
    });
    const result = await offline.check();
    assert.equal(result.code, 'unreachable');
    assert.match(result.message, /ECONNREFUSED/);

    // The window never reopens (the clock stands still): after pacing for its 1 s reset, the check gives up.
    const limited = await startSandbox({
      ...base,
      buildkite: { rateLimitPerOrg: 1, rateLimitWindowMs: 1000 },
    });
    try {
      const connector = connectorFor(limited, limited.buildkite.token, { maxRetries: 0 });
      assert.equal((await connector.check()).code, 'rate_limited');
    } finally {
      await limited.close();
    }
  });
});
