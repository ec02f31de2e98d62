// The generated Bitrise history: deterministic per seed and clock, moving with the clock, shaped like real
// CI (clustered failures, retries, early exits, rolling aborts, queues at peaks), and lazy at large sizes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdCodec } from '../../src/sandbox/bitrise/ids.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { bitriseClient } from './bitrise-client.js';

const NOW = '2025-03-12T15:00:00Z';
// biome-ignore lint/suspicious/noExplicitAny: wire objects.
type Wire = any;

async function withSandbox<T>(options: Parameters<typeof startSandbox>[0], body: (s: Sandbox) => Promise<T>) {
  const s = await startSandbox(options);
  try {
    return await body(s);
  } finally {
    await s.close();
  }
}

/** Raw response texts of a fixed walk through the API. */
async function snapshot(s: Sandbox): Promise<string[]> {
  const call = bitriseClient(s);
  const texts: string[] = [];
  const apps = await call('/apps');
  texts.push(apps.text, (await call('/me')).text, (await call('/organizations')).text);
  for (const app of apps.body.data) {
    const builds = await call(`/apps/${app.slug}/builds?limit=50`);
    texts.push(builds.text, (await call(`/apps/${app.slug}/builds?next=${builds.body.paging.next}`)).text);
    const pipelines = await call(`/apps/${app.slug}/pipelines`);
    texts.push(pipelines.text);
    for (const b of builds.body.data.slice(0, 5)) {
      const base = `/apps/${app.slug}/builds/${b.slug}`;
      texts.push(
        (await call(base)).text,
        (await call(`${base}/log`)).text,
        (await call(`${base}/artifacts`)).text,
      );
    }
    for (const p of pipelines.body.data.filter((r: Wire) => r.is_pipeline).slice(0, 3)) {
      texts.push((await call(`/apps/${app.slug}/pipelines/${p.slug}`)).text);
    }
  }
  return texts;
}

describe('determinism', () => {
  test('the same seed, size and clock give byte-identical responses; another seed gives other data', async () => {
    // Links the API hands out name the server's port: the second sandbox reuses the first one's port.
    const first = { seed: 11, now: NOW, clock: 'manual' as const };
    const [a, tokenA, port] = await withSandbox(
      first,
      async (s) => [await snapshot(s), s.bitrise.token, Number(new URL(s.url).port)] as const,
    );
    const options = { ...first, port };
    const [b, tokenB] = await withSandbox(
      options,
      async (s) => [await snapshot(s), s.bitrise.token] as const,
    );
    assert.ok(a.length > 30);
    assert.ok(
      a.some((text) => text.includes('expiring_raw_log_url')),
      'signed links are part of the comparison',
    );
    const differs = a.findIndex((text, i) => text !== b[i]);
    assert.equal(differs, -1, `response ${differs} differs`);
    assert.equal(a.length, b.length);
    assert.equal(tokenA, tokenB);
    const [c, tokenC] = await withSandbox(
      { ...options, seed: 12 },
      async (s) => [await snapshot(s), s.bitrise.token] as const,
    );
    assert.notEqual(tokenC, tokenA);
    assert.notEqual(c[3], a[3], 'the first builds page differs');
  });
});

describe('clock', () => {
  test('running builds finish, held builds start and new builds arrive as the clock advances', async () => {
    await withSandbox({ seed: 2, now: NOW, clock: 'manual' }, async (s) => {
      const call = bitriseClient(s);
      const world = s.bitrise.world;
      const before = world.builds();
      const maxNumber = new Map(
        world.apps().map((a) => [a.slug, world.builds(a.slug)[0]?.build_number ?? 0]),
      );
      const running = before.find((b) => b.status === 0 && !b.is_on_hold);
      const held = before.find((b) => b.is_on_hold);
      assert.ok(running && held, 'a running and a held build at the anchor');
      const app = world.apps().find((a) => world.builds(a.slug).some((b) => b.slug === running.slug));
      const path = `/apps/${app?.slug}/builds/${running.slug}`;
      assert.equal((await call(path)).body.data.finished_at, null);
      const heldPath = `/apps/${world.apps().find((a) => world.builds(a.slug).some((b) => b.slug === held.slug))?.slug}/builds/${held.slug}`;
      let shown: Wire = null;
      let heldShown: Wire = null;
      let newer: Wire[] = [];
      for (let step = 0; step < 96; step++) {
        s.clock.advance(15 * 60_000);
        shown = (await call(path)).body.data;
        heldShown = (await call(heldPath)).body.data;
        newer = (await call('/builds?limit=50')).body.data.filter(
          (b: Wire) => Date.parse(b.triggered_at) > Date.parse(NOW),
        );
        if (shown.status !== 0 && heldShown.started_on_worker_at && newer.length > 0) break;
      }
      assert.ok([1, 2, 3, 4].includes(shown.status), 'the running build finished');
      assert.ok(shown.finished_at && shown.started_on_worker_at && shown.environment_prepare_finished_at);
      assert.ok(Date.parse(shown.finished_at) <= s.clock.now());
      assert.equal(heldShown.is_on_hold, false, 'the held build left the queue');
      assert.ok(heldShown.started_on_worker_at);
      assert.ok(newer.length > 0, 'new builds arrived');
      for (const b of newer) {
        const previous = maxNumber.get(b.repository.slug) ?? 0;
        assert.ok(b.build_number > previous, `build numbers continue (${b.build_number} > ${previous})`);
      }
    });
  });

  test('the real clock runs from the anchor', async () => {
    await withSandbox({ seed: 2, now: NOW }, async (s) => {
      const start = s.clock.now();
      assert.ok(start >= Date.parse(NOW) && start < Date.parse(NOW) + 60_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(s.clock.now() > start);
    });
  });
});

describe('realism', () => {
  test('looks like real CI: apps, workflows, outcomes, reasons, triggers, times and nulls', async () => {
    await withSandbox({ seed: 1, now: NOW, clock: 'manual' }, async (s) => {
      const world = s.bitrise.world;
      const apps = world.apps();
      assert.ok(apps.length >= 4);
      assert.ok(new Set(apps.map((a) => a.project_type)).size >= 4, 'several project types');
      const builds = world.builds();
      assert.ok(builds.length >= 300 && builds.length < 3000, `a few hundred runs (${builds.length} builds)`);
      assert.ok(new Set(builds.map((b) => b.stack_identifier)).size >= 3, 'several stacks');
      assert.ok(new Set(builds.map((b) => b.machine_type_id)).size >= 3, 'several machine types');
      assert.ok(new Set(builds.map((b) => b.triggered_workflow)).size >= 8, 'many workflows');

      const finished = builds.filter((b) => b.status !== 0);
      const share = (keep: (b: Wire) => boolean) => finished.filter(keep).length / finished.length;
      const failed = share((b) => b.status === 2);
      const aborted = share((b) => b.status === 3 || b.status === 4);
      assert.ok(failed > 0.03 && failed < 0.3, `failure share ${failed}`);
      assert.ok(aborted > 0.03 && aborted < 0.4, `abort share ${aborted}`);
      const reasons = finished.map((b) => b.abort_reason ?? '');
      const noChanges = reasons.filter((r) => /No changes in .*, skipping build/.test(r)).length;
      assert.ok(noChanges / finished.length > 0.005, `no-changes early exits (${noChanges})`);
      assert.ok(
        finished.some((b) => b.status === 4 && /No changes/.test(b.abort_reason ?? '')),
        'exit with success',
      );
      assert.ok(
        reasons.some((r) => /^Aborted by Rolling Builds: a newer build/.test(r)),
        'rolling aborts',
      );
      assert.ok(
        reasons.some((r) => /^User [\w.-]+ requested to abort this build with reason: /.test(r)),
        'by a person',
      );
      assert.ok(
        reasons.some((r) => /timed out/.test(r)),
        'timeouts',
      );
      const heldAborted = finished.filter((b) => b.status === 3 && b.started_on_worker_at === null);
      assert.ok(
        heldAborted.length > 0 &&
          heldAborted.every((b) => b.finished_at && !b.environment_prepare_finished_at),
      );
      assert.ok(heldAborted.every((b) => !b.credit_cost));
      // Older (2017-shaped) builds have no cost at all; current ones that ran cost credits.
      assert.ok(
        finished
          .filter((b) => b.started_on_worker_at && b.machine_type_id !== undefined)
          .every((b) => Number.isInteger(b.credit_cost) && (b.credit_cost ?? 0) > 0),
      );
      assert.ok(finished.some((b) => !('credit_cost' in b) && b.stack_config_type === 'standard1'));

      const prs = builds.filter((b) => b.pull_request_id > 0);
      assert.ok(prs.length > builds.length / 5);
      assert.ok(
        prs.every(
          (b) => b.pull_request_target_branch && b.pull_request_view_url?.endsWith(String(b.pull_request_id)),
        ),
      );
      const tags = builds.filter((b) => b.tag !== null);
      assert.ok(
        tags.length > 0 && tags.every((b) => b.branch === null && /^v\d+\.\d+\.\d+$/.test(b.tag ?? '')),
      );
      assert.ok(builds.filter((b) => b.pull_request_id === 0).every((b) => b.pull_request_view_url === null));

      const statusTexts: Record<number, string> = {
        1: 'success',
        2: 'error',
        3: 'aborted',
        4: 'aborted-with-success',
      };
      for (const b of builds) {
        const text = b.status === 0 ? (b.is_on_hold ? 'on-hold' : 'in-progress') : statusTexts[b.status];
        assert.equal(b.status_text, text);
        if (b.status === 0) assert.equal(b.finished_at, null);
        if (b.is_on_hold) assert.equal(b.started_on_worker_at, null);
        // Microseconds on older builds (2017 shape), whole seconds on current ones (live payloads).
        if (b.machine_type_id === undefined)
          assert.match(b.triggered_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        else assert.match(b.triggered_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        for (const t of [b.started_on_worker_at, b.environment_prepare_finished_at, b.finished_at]) {
          if (t !== null) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        }
      }
      const texts = builds.flatMap((b) => [b.commit_message ?? '', b.branch ?? '', b.abort_reason ?? '']);
      assert.ok(
        texts.some((t) => t.includes('<script>')),
        'markup in free text',
      );
      assert.ok(
        texts.some((t) => t.length > 500),
        'very long free text',
      );
    });
  });

  test('failures cluster on a branch and get fixed; retries of the same commit flip to success', async () => {
    await withSandbox({ seed: 1, now: NOW, clock: 'manual' }, async (s) => {
      const builds = s.bitrise.world.builds().filter((b) => b.status === 1 || b.status === 2);
      // Oldest first per branch and workflow: how often a failure follows a failure.
      const lanes = new Map<string, Wire[]>();
      for (const b of [...builds].reverse()) {
        const key = `${b.branch}|${b.triggered_workflow}`;
        lanes.set(key, [...(lanes.get(key) ?? []), b]);
      }
      let afterFail = 0;
      let failAfterFail = 0;
      let fixed = 0;
      for (const lane of lanes.values()) {
        lane.forEach((b, i) => {
          const prev = lane[i - 1];
          if (prev?.status !== 2) return;
          afterFail++;
          if (b.status === 2) failAfterFail++;
          else if (prev.commit_hash !== b.commit_hash) fixed++;
        });
      }
      const failRate = builds.filter((b) => b.status === 2).length / builds.length;
      assert.ok(
        failAfterFail / afterFail > 2 * failRate,
        `clustered: ${failAfterFail}/${afterFail} vs ${failRate}`,
      );
      assert.ok(fixed > 0, 'broken branches get fixed by a later commit');
      const flips = builds.filter((b) => {
        if (b.status !== 1 || !b.triggered_by?.startsWith('manual-') || !b.commit_hash) return false;
        return builds.some(
          (o) =>
            o.status === 2 &&
            o.commit_hash === b.commit_hash &&
            o.triggered_workflow === b.triggered_workflow &&
            o.triggered_at < b.triggered_at,
        );
      });
      assert.ok(flips.length > 0, 'a retry of a failed commit succeeded');
    });
  });

  test('durations depend on the workflow, arrivals peak on working days and hours, queues spike', async () => {
    await withSandbox({ seed: 1, size: 'medium', now: NOW, clock: 'manual' }, async (s) => {
      const builds = s.bitrise.world.builds();
      assert.ok(builds.length > 10_000, `tens of thousands (${builds.length})`);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
      const byWorkflow = new Map<string, number[]>();
      for (const b of builds) {
        if (b.status !== 1 || !b.environment_prepare_finished_at || !b.finished_at) continue;
        const d = (Date.parse(b.finished_at) - Date.parse(b.environment_prepare_finished_at)) / 1000;
        byWorkflow.set(b.triggered_workflow, [...(byWorkflow.get(b.triggered_workflow) ?? []), d]);
      }
      const medians = [...byWorkflow.values()].filter((d) => d.length > 50).map(median);
      assert.ok(Math.max(...medians) > 5 * Math.min(...medians), `per-workflow medians ${medians}`);
      const weekday = (b: Wire) => new Date(b.triggered_at).getUTCDay();
      const weekend = builds.filter((b) => weekday(b) === 0 || weekday(b) === 6).length;
      assert.ok(weekend < builds.length * 0.1, `quiet weekends (${weekend})`);
      const queues = builds
        .filter((b) => b.started_on_worker_at && b.pipeline_workflow_id === '')
        .map((b) => (Date.parse(b.started_on_worker_at as string) - Date.parse(b.triggered_at)) / 1000)
        .sort((a, b) => a - b);
      const p50 = queues[Math.floor(queues.length / 2)] ?? 0;
      const p99 = queues[Math.floor(queues.length * 0.99)] ?? 0;
      assert.ok(p50 < 60 && p99 > 10 * p50, `queue p50 ${p50}s, p99 ${p99}s`);
    });
  });
});

describe('size large', () => {
  test('serves a history of over a million builds page by page without generating all of it', async () => {
    await withSandbox({ seed: 1, size: 'large', now: NOW, clock: 'manual' }, async (s) => {
      const call = bitriseClient(s);
      const all = await call('/builds?limit=50');
      assert.ok(all.body.paging.total_item_count > 1_000_000, `${all.body.paging.total_item_count} builds`);
      const app = all.body.data[0].repository.slug;
      const old = await call(`/apps/${app}/builds?before=${Date.parse('2024-09-01') / 1000}&limit=5`);
      assert.equal(old.body.data.length, 5);
      assert.ok(old.body.data.every((b: Wire) => b.triggered_at < '2024-09-01'));
      const shown = await call(`/apps/${app}/builds/${old.body.data[0].slug}`);
      assert.equal(shown.body.data.build_number, old.body.data[0].build_number);
      const next = await call(`/apps/${app}/builds?next=${old.body.paging.next}&limit=5`);
      assert.equal(next.body.data[0].build_number, old.body.data[4].build_number - 1);
    });
  });
});

describe('ids', () => {
  test('slugs decode to where they came from; garbage and other kinds do not', () => {
    const ids = new IdCodec(42);
    const fields = { kind: 'build' as const, app: 7, day: 20_159, run: 123_456, sub: 9 };
    const slug = ids.encode(fields);
    assert.match(slug, /^[0-9a-f]{16}$/);
    assert.deepEqual(ids.decode(slug, 'build'), fields);
    assert.equal(ids.decode(slug, 'artifact'), null);
    assert.equal(new IdCodec(43).decode(slug, 'build'), null);
    assert.equal(ids.decode('0123456789abcdef', 'build'), null);
    assert.equal(ids.decode('zz', 'build'), null);
    const uuid = ids.encodeUuid({ ...fields, kind: 'pipeline' });
    assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(ids.decodeUuid(uuid, 'pipeline'), { ...fields, kind: 'pipeline' });
    assert.equal(ids.decodeUuid(uuid.replace(/.$/, uuid.endsWith('0') ? '1' : '0'), 'pipeline'), null);
  });
});
