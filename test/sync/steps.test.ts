// Steps end to end: the real log summary read by the Bitrise step reader; the sandbox's summaries shaped
// like it; a Bitrise sync fetching each finished build's summary once (its requests counted), never again,
// not at all with the connection's setting off; Buildkite steps from command jobs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeBuildSteps } from '../../src/connectors/bitrise/steps.js';
import { type Connector, STEP_LIST_KIND } from '../../src/connectors/contract.js';
import { createConnector } from '../../src/connectors/registry.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { addConnection } from '../../src/store/connections.js';
import { setFetchSteps } from '../../src/store/step-settings.js';
import type { Store } from '../../src/store/store.js';
import { syncConnection } from '../../src/sync/sync.js';
import { realPayload } from '../connectors/real-payloads.js';
import { compareEndpoint, describe } from '../sandbox/shapes.js';
import { freshStore, storeTest } from '../store/engines.js';

const real = realPayload('get_build_steps.json');

test('the real log summary (April 2026): every workflow’s steps in order, titles, ids, times, durations', () => {
  const source = {
    key: '7feee0a4-61f4-4eb6-a019-368cf9ac0d82',
    projectKey: 'app',
    runKey: 'run',
    jobKey: 'job',
  };
  const steps = normalizeBuildSteps(source, real);
  assert.deepEqual(
    steps.map((s) => [s.name, s.stepId, s.status, s.providerStatus, s.position]),
    [
      ['Git clone', 'git-clone', 'succeeded', 'success', 0],
      ['Docker login', 'script', 'succeeded', 'success', 1],
      ['Pull pre-built CI test image', 'script', 'succeeded', 'success', 2],
      ['zeitwerk', 'script', 'succeeded', 'success', 3],
    ],
  );
  // Whole-second starts, millisecond finishes, exactly as sent.
  assert.equal(steps[0]?.startedAt, '2026-04-03T17:28:32Z');
  assert.equal(steps[0]?.finishedAt, '2026-04-03T17:28:39.138Z');
  assert.deepEqual(
    steps.map((s) => s.durationS),
    [7.138, 1.618, 17.301, 16.503],
  );
  assert.equal(steps[0]?.key, '7feee0a4-61f4-4eb6-a019-368cf9ac0d82/06b8e851-f3bb-4475-ac64-ffd49783e64e');
  assert.ok(steps.every((s) => s.runKey === 'run' && s.jobKey === 'job'));
});

test('a summary missing, malformed or with odd steps never fails: what can be read is kept', () => {
  const source = { key: 'b', projectKey: 'a', runKey: 'r', jobKey: null };
  assert.deepEqual(normalizeBuildSteps(source, null), []);
  assert.deepEqual(normalizeBuildSteps(source, { execution: 'nope' }), []);
  const odd = normalizeBuildSteps(source, {
    execution: {
      workflows: [
        null,
        { steps: [null, { status: 'brand_new', started_at: 'yesterday', title: 7 }, { step_id: 'x' }] },
      ],
    },
  });
  assert.deepEqual(
    odd.map((s) => [s.key, s.name, s.status, s.startedAt, s.durationS]),
    [
      ['b/0', 'step', 'unknown', null, null],
      ['b/1', 'x', 'unknown', null, null],
    ],
  );
});

/** The registry's connector, counting the step lists it fetches. */
function counting(fetched: string[]) {
  return (...args: Parameters<typeof createConnector>): Connector => {
    const connector = createConnector(...args);
    const fetchSteps = connector.fetchSteps?.bind(connector);
    return fetchSteps
      ? {
          ...connector,
          fetchSteps: (source) => {
            fetched.push(source.key);
            return fetchSteps(source);
          },
        }
      : connector;
  };
}

async function sandboxStore(store: Store, t: { after: (fn: () => unknown) => void }) {
  const sb = await startSandbox({ size: 'small', clock: 'manual', now: '2026-03-04T12:00:00Z' });
  t.after(() => sb.close());
  await addConnection(store, {
    name: 'br',
    provider: 'bitrise',
    baseUrl: sb.bitrise.url,
    org: null,
    token: sb.bitrise.token,
  });
  await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: sb.buildkite.url,
    org: sb.buildkite.org,
    token: sb.buildkite.token,
  });
  return { sb, options: { now: () => sb.clock.now(), connector: { timeoutMs: 5000, maxRetries: 1 } } };
}

storeTest(
  'Bitrise: each finished build’s summary fetched once and counted; steps follow the run',
  async (store, t) => {
    const { options } = await sandboxStore(store, t);
    const fetched: string[] = [];
    const first = await syncConnection(store, 'br', { ...options, createConnector: counting(fetched) });
    assert.ok(fetched.length > 20, `summaries fetched: ${fetched.length}`);
    assert.equal(new Set(fetched).size, fetched.length, 'no summary fetched twice');
    const raw = await store.db
      .selectFrom('raw_payloads')
      .select('key')
      .where('kind', '=', STEP_LIST_KIND)
      .execute();
    assert.equal(raw.length, fetched.length);
    assert.ok(first.stepsNew > fetched.length * 4);

    // Finished standalone builds and started, finished workflow builds are exactly the summaries fetched.
    const sources = await store.db
      .selectFrom('runs')
      .select('key')
      .where('kind', '=', 'build')
      .where('started_at', 'is not', null)
      .where('status', 'not in', ['queued', 'running', 'blocked'])
      .union(
        store.db
          .selectFrom('jobs')
          .innerJoin('runs', (j) => j.onRef('runs.key', '=', 'jobs.run_key'))
          .select('jobs.key')
          .where('jobs.started_at', 'is not', null)
          .where('jobs.finished_at', 'is not', null)
          .where('runs.status', 'not in', ['queued', 'running', 'blocked']),
      )
      .execute();
    assert.deepEqual(new Set(fetched), new Set(sources.map((s) => s.key)));

    // A failed standalone build has exactly one failed step; a successful one none; steps fill its time.
    const builds = await store.db
      .selectFrom('runs')
      .select(['key', 'status', 'duration_s'])
      .where('kind', '=', 'build')
      .where('status', 'in', ['succeeded', 'failed'])
      .execute();
    const steps = await store.db.selectFrom('steps').selectAll().where('job_key', 'is', null).execute();
    const statuses = new Set(steps.map((s) => s.provider_status));
    assert.deepEqual([...statuses].sort(), ['failed', 'skipped', 'success']);
    let checked = 0;
    for (const build of builds) {
      const own = steps.filter((s) => s.run_key === build.key);
      if (own.length === 0) continue;
      checked += 1;
      const failed = own.filter((s) => s.status === 'failed').length;
      assert.equal(failed, build.status === 'failed' ? 1 : 0, `failed steps of ${build.key}`);
      const work = own.reduce((sum, s) => sum + (s.duration_s ?? 0), 0);
      // Starts are whole seconds (as Bitrise sends them): each step may read up to a second long.
      const duration = build.duration_s ?? 0;
      assert.ok(
        work >= duration - 2 && work <= duration + own.length,
        `${build.key}: steps ${work} s, build ${duration} s`,
      );
    }
    assert.ok(checked > 5);

    // Nothing new at the same clock: no summary is asked for again.
    fetched.length = 0;
    const idle = await syncConnection(store, 'br', { ...options, createConnector: counting(fetched) });
    assert.deepEqual([fetched.length, idle.stepsNew, idle.stepsUpdated], [0, 0, 0]);
  },
);

test('the sync counts the summaries in its requests; the connection setting and --no-steps skip them', async (t) => {
  const withSteps = await freshStore(t, 'sqlite');
  const without = await freshStore(t, 'sqlite');
  const off = await freshStore(t, 'sqlite');
  assert.ok(withSteps && without && off);
  const a = await sandboxStore(withSteps, t);
  const b = await sandboxStore(without, t);
  const c = await sandboxStore(off, t);
  await setFetchSteps(off, 'br', false);
  const fetched: string[] = [];
  const full = await syncConnection(withSteps, 'br', { ...a.options, createConnector: counting(fetched) });
  const bare = await syncConnection(without, 'br', { ...b.options, steps: false });
  const unset = await syncConnection(off, 'br', c.options);
  assert.equal(full.requests - bare.requests, fetched.length);
  assert.equal(bare.stepsNew, 0);
  assert.equal(unset.requests, bare.requests);
  assert.equal((await off.db.selectFrom('steps').select('key').execute()).length, 0);
  await assert.rejects(setFetchSteps(off, 'nope', true), /unknown connection "nope"/);

  // The sandbox's summaries have the real one's shape.
  const samples = await withSteps.db
    .selectFrom('raw_payloads')
    .select('payload')
    .where('kind', '=', STEP_LIST_KIND)
    .limit(50)
    .execute();
  const { unexplained, stale } = compareEndpoint(
    'bitrise-2026-04/get_build_steps.json',
    real,
    samples.map((s) => JSON.parse(s.payload)),
    [],
  );
  assert.deepEqual(unexplained, [], describe('log/summary', unexplained));
  assert.deepEqual(stale, []);
});

storeTest('Buildkite: a command job is the step, named by its step key, else its label', async (store, t) => {
  const { options } = await sandboxStore(store, t);
  const summary = await syncConnection(store, 'bk', options);
  const commands = await store.db
    .selectFrom('raw_payloads')
    .select('payload')
    .where('kind', '=', 'bk_build')
    .execute();
  const expected = commands.flatMap((r) => {
    const build = JSON.parse(r.payload) as {
      jobs?: { id: string; type: string; name?: string; step_key?: string }[];
    };
    return (build.jobs ?? []).filter((j) => j.type === 'script').map((j) => [j.id, j.step_key || j.name]);
  });
  const steps = await store.db.selectFrom('steps').select(['key', 'name', 'job_key']).execute();
  assert.equal(summary.stepsNew, expected.length);
  assert.deepEqual(new Map(steps.map((s) => [s.key, s.name])), new Map(expected as [string, string][]));
  assert.ok(steps.every((s) => s.job_key === s.key));
});
