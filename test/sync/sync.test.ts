// The sync engine against a scripted provider (a Connector written here) and a real store.
import assert from 'node:assert/strict';
import type { Connector, SyncEvent, SyncInput } from '../../src/connectors/contract.js';
import type { Run } from '../../src/domain/model.js';
import { addConnection } from '../../src/store/connections.js';
import { listRuns } from '../../src/store/runs.js';
import type { Store } from '../../src/store/store.js';
import { readSyncState } from '../../src/store/sync-state.js';
import { type SyncProgress, syncAll, syncConnection } from '../../src/sync/sync.js';
import { storeTest } from '../store/engines.js';
import { job, project, raw, run } from '../store/fixtures.js';

const TOKEN = 'secret-token-4711';

/** A plain (unclassified) run as a connector yields it. */
function wireRun(key: string, minute: number, overrides: Partial<Run> = {}): Run {
  const { classification: _c, classifiedBy: _b, ...plain } = run(key, minute, overrides);
  return plain;
}

const running = { status: 'running', providerStatus: '0', finishedAt: null, durationS: null } as const;

/** A provider whose sync yields what `script` yields; it records every input it was given. */
function scripted(script: (input: SyncInput) => AsyncGenerator<SyncEvent>) {
  const inputs: SyncInput[] = [];
  let requests = 0;
  const connector: Connector = {
    provider: 'bitrise',
    check: async () => ({ code: 'ok', message: 'ok', curl: null }),
    sync: (input) => {
      inputs.push(input);
      requests += 3;
      return script(input);
    },
    requests: () => requests,
  };
  return { inputs, createConnector: () => connector };
}

async function addCi(store: Store, name = 'ci'): Promise<number> {
  const c = await addConnection(store, {
    name,
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:1',
    org: null,
    token: TOKEN,
  });
  return c.id;
}

const storedKeys = async (store: Store) =>
  (await listRuns(store, {}, { limit: 100 })).runs
    .map((r) => `${r.key}:${r.status}:${r.classification}`)
    .sort();

storeTest(
  'a checkpoint is committed only after the rows it covers; counts and progress are exact',
  async (store) => {
    const id = await addCi(store);
    const observed: string[] = [];
    const look = async (label: string) => {
      const { state } = await readSyncState(store, id);
      observed.push(`${label}: ${(await storedKeys(store)).length} runs, state ${JSON.stringify(state)}`);
    };
    const provider = scripted(async function* () {
      yield { type: 'projects', projects: [project('app1'), project('app2')], raw: [raw('app', 'app1')] };
      yield {
        type: 'batch',
        runs: [wireRun('r1', 0), wireRun('r2', 1, { status: 'failed', providerStatus: '2' })],
        jobs: [job('j1', 'r1'), job('j2', 'r2')],
        raw: [raw('build', 'r1'), raw('build', 'r2')],
      };
      await look('after batch 1');
      yield { type: 'checkpoint', state: { app1: 'cursor-1' } };
      await look('after checkpoint 1');
      yield { type: 'project_done', projectKey: 'app1' };
      yield {
        type: 'batch',
        runs: [wireRun('r3', 2, { projectKey: 'app2', ...running })],
        jobs: [],
        raw: [],
      };
      await look('after batch 2');
      yield { type: 'checkpoint', state: { app1: 'cursor-1', app2: 'cursor-2' } };
      yield { type: 'project_done', projectKey: 'app2' };
    });
    const progress: SyncProgress[] = [];
    const summary = await syncConnection(store, 'ci', {
      createConnector: provider.createConnector,
      onProgress: (p) => progress.push(p),
    });

    assert.deepEqual(observed, [
      'after batch 1: 2 runs, state null',
      'after checkpoint 1: 2 runs, state {"app1":"cursor-1"}',
      'after batch 2: 3 runs, state {"app1":"cursor-1"}',
    ]);
    assert.deepEqual((await readSyncState(store, id)).state, { app1: 'cursor-1', app2: 'cursor-2' });
    const { durationMs, ...counts } = summary;
    assert.ok(durationMs >= 0);
    assert.deepEqual(counts, {
      connection: 'ci',
      provider: 'bitrise',
      projects: 2,
      runsNew: 3,
      runsUpdated: 0,
      runsRefused: 0,
      jobsNew: 2,
      jobsUpdated: 0,
      jobsRemoved: 0,
      stepsNew: 0,
      stepsUpdated: 0,
      requests: 3,
      unknownStatuses: [],
    });
    assert.deepEqual(progress, [
      { projectsDone: 0, projectsTotal: 2, runsDone: 0 },
      { projectsDone: 0, projectsTotal: 2, runsDone: 2 },
      { projectsDone: 1, projectsTotal: 2, runsDone: 2 },
      { projectsDone: 1, projectsTotal: 2, runsDone: 3 },
      { projectsDone: 2, projectsTotal: 2, runsDone: 3 },
    ]);
    // Classified on the way in; the unfinished run stays unclassified.
    assert.deepEqual(await storedKeys(store), [
      'r1:succeeded:success',
      'r2:failed:failure',
      'r3:running:null',
    ]);
    const state = await readSyncState(store, id);
    assert.equal(state.lastError, null);
    assert.deepEqual(state.lastSummary, JSON.parse(JSON.stringify(summary)));
  },
);

storeTest(
  'an error mid-sync keeps committed batches and the last checkpoint, and is recorded',
  async (store) => {
    const id = await addCi(store);
    const failing = scripted(async function* () {
      yield { type: 'batch', runs: [wireRun('r1', 0), wireRun('r2', 1, running)], jobs: [], raw: [] };
      yield { type: 'checkpoint', state: { page: 1 } };
      yield { type: 'batch', runs: [wireRun('r3', 2)], jobs: [], raw: [] };
      throw new Error(`HTTP 502 from /apps/app1/builds (token ${TOKEN})\n    at somewhere`);
    });
    await assert.rejects(
      syncConnection(store, 'ci', { createConnector: failing.createConnector }),
      /HTTP 502/,
    );
    assert.deepEqual(await storedKeys(store), [
      'r1:succeeded:success',
      'r2:running:null',
      'r3:succeeded:success',
    ]);
    const state = await readSyncState(store, id);
    assert.deepEqual(state.state, { page: 1 });
    assert.equal(state.lastError, 'HTTP 502 from /apps/app1/builds (token ***)');

    // The next sync starts from the committed state and is handed the unfinished run to re-fetch.
    const next = scripted(async function* () {
      yield { type: 'batch', runs: [wireRun('r2', 1), wireRun('r3', 2)], jobs: [], raw: [] };
      yield { type: 'checkpoint', state: { page: 2 } };
    });
    const summary = await syncConnection(store, 'ci', {
      createConnector: next.createConnector,
      lookbackDays: 7,
    });
    assert.deepEqual(next.inputs, [
      {
        state: { page: 1 },
        pending: [{ key: 'r2', projectKey: 'app1', kind: 'build', number: 2 }],
        lookbackDays: 7,
      },
    ]);
    assert.equal(summary.runsNew, 0);
    assert.equal(summary.runsUpdated, 1);
    assert.deepEqual(await storedKeys(store), [
      'r1:succeeded:success',
      'r2:succeeded:success',
      'r3:succeeded:success',
    ]);
    const after = await readSyncState(store, id);
    assert.equal(after.lastError, null);
    assert.deepEqual(after.state, { page: 2 });
  },
);

storeTest('a second sync of unchanged data changes nothing', async (store) => {
  await addCi(store);
  const provider = scripted(async function* () {
    yield { type: 'projects', projects: [project('app1')], raw: [] };
    yield { type: 'batch', runs: [wireRun('r1', 0)], jobs: [job('j1', 'r1')], raw: [raw('build', 'r1')] };
    yield { type: 'checkpoint', state: { page: 1 } };
  });
  const first = await syncConnection(store, 'ci', { createConnector: provider.createConnector });
  const second = await syncConnection(store, 'ci', { createConnector: provider.createConnector });
  assert.deepEqual([first.runsNew, first.jobsNew], [1, 1]);
  assert.deepEqual(
    [second.runsNew, second.runsUpdated, second.jobsNew, second.jobsUpdated, second.projects],
    [0, 0, 0, 0, 1],
  );
  assert.equal(provider.inputs[0]?.lookbackDays, 90);
});

storeTest(
  'syncAll: every connection in turn, or the named ones; unknown names fail before any sync',
  async (store) => {
    await addCi(store, 'a');
    await addCi(store, 'b');
    const provider = scripted(async function* () {
      yield { type: 'batch', runs: [wireRun('r1', 0)], jobs: [], raw: [] };
    });
    const all = await syncAll(store, [], { createConnector: provider.createConnector });
    assert.deepEqual(
      all.map((s) => [s.connection, s.runsNew]),
      [
        ['a', 1],
        ['b', 1],
      ],
    );
    const named = await syncAll(store, ['b'], { createConnector: provider.createConnector });
    assert.deepEqual(
      named.map((s) => [s.connection, s.runsNew]),
      [['b', 0]],
    );
    await assert.rejects(syncAll(store, ['b', 'nope'], { createConnector: provider.createConnector }), {
      name: 'NotFoundError',
      message: 'unknown connection "nope"',
    });
    assert.equal(provider.inputs.length, 3);
  },
);

storeTest(
  'refused payloads are kept apart and counted, unknown statuses named; the checkpoint moves on',
  async (store) => {
    const id = await addCi(store);
    // JSON.parse reads it; JSON.stringify (hashing, storing) would overflow the stack on it.
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const provider = scripted(async function* () {
      yield { type: 'projects', projects: [project('app1')], raw: [raw('app', 'app1')] };
      yield {
        type: 'batch',
        runs: [
          wireRun('r1', 0, { status: 'unknown', providerStatus: '7' }),
          wireRun('r2', 1, { status: 'unknown', providerStatus: '7' }),
          wireRun('r3', 2, { status: 'unknown', providerStatus: 'exploded', kind: 'pipeline' }),
          wireRun('r4', 3),
        ],
        jobs: [],
        raw: [raw('build', 'r1'), raw('build', 'r2'), raw('pipeline', 'r3'), raw('build', 'r4')],
        refused: [
          {
            kind: 'build',
            key: 'deep',
            reason: 'nested deeper than 64 levels',
            payload: { slug: 'deep', deep },
          },
          { kind: 'build', key: null, reason: 'no slug', payload: { status: 1 } },
        ],
      };
      yield { type: 'checkpoint', state: { app1: 'after' } };
    });
    const sync = () => syncConnection(store, 'ci', { createConnector: provider.createConnector });
    const summary = await sync();
    assert.equal(summary.runsRefused, 2);
    assert.deepEqual(summary.unknownStatuses, [
      { status: '7', runs: 2 },
      { status: 'exploded', runs: 1 },
    ]);
    assert.deepEqual((await readSyncState(store, id)).state, { app1: 'after' });
    assert.deepEqual(await storedKeys(store), [
      'r1:unknown:null',
      'r2:unknown:null',
      'r3:unknown:null',
      'r4:succeeded:success',
    ]);

    const refused = async () =>
      store.db
        .selectFrom('refused_payloads')
        .select(['kind', 'key', 'reason', 'payload', 'first_seen_at', 'last_seen_at'])
        .orderBy('reason')
        .execute();
    const first = await refused();
    assert.deepEqual(
      first.map((r) => [r.kind, r.key, r.reason]),
      [
        ['build', 'deep', 'nested deeper than 64 levels'],
        ['build', null, 'no slug'],
      ],
    );
    const deepRow = first.find((r) => r.key === 'deep');
    assert.equal(deepRow?.payload.length, `{"slug":"deep","deep":}`.length + 200_000);
    assert.ok(deepRow?.payload.startsWith('{"slug":"deep","deep":[[[['));

    // Refused again at the next sync: the same rows, nothing doubled.
    const again = await sync();
    assert.equal(again.runsRefused, 2);
    assert.equal((await refused()).length, 2);
  },
);
