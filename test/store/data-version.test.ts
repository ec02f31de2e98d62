// The data version moves with every committed write that changes what reports read, in the same
// transaction, and stays put when a write changes nothing (a sync that found nothing new).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Step } from '../../src/domain/model.js';
import { writeBatch } from '../../src/store/batch.js';
import { saveClassifications } from '../../src/store/classifications.js';
import { addConnection, removeConnection } from '../../src/store/connections.js';
import { recordCoverage } from '../../src/store/coverage.js';
import { dataVersion } from '../../src/store/data-version.js';
import { setDefaultBranch } from '../../src/store/default-branch.js';
import { rebuildRollups } from '../../src/store/rollups.js';
import { openStore, type Store } from '../../src/store/store.js';
import { freshStore, storeTest } from './engines.js';
import { job, project, raw, run } from './fixtures.js';

async function connection(store: Store, name = 'ci'): Promise<number> {
  const c = await addConnection(store, {
    name,
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:1',
    org: null,
    token: 't',
  });
  return c.id;
}

const step = (key: string, runKey: string, durationS = 10): Step => ({
  key,
  runKey,
  jobKey: null,
  name: 'script',
  stepId: 'script',
  position: 0,
  status: 'succeeded',
  providerStatus: 'success',
  startedAt: '2026-02-10T09:00:20Z',
  finishedAt: '2026-02-10T09:00:30Z',
  durationS,
});

/** Runs `write` and says whether the data version moved across it. */
async function moves(store: Store, write: () => Promise<unknown>): Promise<boolean> {
  const before = await dataVersion(store);
  await write();
  const after = await dataVersion(store);
  assert.ok(after >= before, `the version went back from ${before} to ${after}`);
  return after !== before;
}

storeTest(
  'a batch moves the data version only when it changes runs, jobs, steps or projects',
  async (store) => {
    const id = await connection(store);
    const batch = {
      projects: [project('app1')],
      runs: [run('r1', 0), run('r2', 1)],
      jobs: [job('j1', 'r1')],
      steps: [step('s1', 'r1')],
      raw: [raw('build', 'r1')],
    };
    assert.equal(await moves(store, () => writeBatch(store, id, batch, { page: 1 })), true, 'new rows');
    assert.equal(
      await moves(store, () => writeBatch(store, id, batch, { page: 2 })),
      false,
      'same batch again',
    );
    const empty = { runs: [], jobs: [], raw: [] };
    assert.equal(
      await moves(store, () => writeBatch(store, id, empty, { page: 3 })),
      false,
      'checkpoint only',
    );
    const changed = (over: Partial<typeof batch>) => () => writeBatch(store, id, { ...batch, ...over });
    assert.equal(await moves(store, changed({ runs: [run('r1', 0, { branch: 'dev' })] })), true, 'a run');
    assert.equal(await moves(store, changed({ jobs: [job('j1', 'r1', { durationS: 31 })] })), true, 'a job');
    assert.equal(await moves(store, changed({ steps: [step('s1', 'r1', 11)] })), true, 'a step');
    assert.equal(
      await moves(store, changed({ projects: [project('app1', { name: 'Renamed' })] })),
      true,
      'a project',
    );
  },
);

storeTest('a batch that fails moves nothing: the bump is part of its transaction', async (store) => {
  await connection(store);
  const before = await dataVersion(store);
  // No connection 999: the foreign key fails the batch after its rows were written inside the transaction.
  await assert.rejects(writeBatch(store, 999, { runs: [run('r1', 0)], jobs: [], raw: [] }));
  assert.equal(await dataVersion(store), before);
});

storeTest(
  'classifications, rollups, coverage, default branches and connections move the version',
  async (store) => {
    const id = await connection(store);
    await writeBatch(store, id, { projects: [project('app1')], runs: [run('r1', 0)], jobs: [], raw: [] });
    // The batch had no checkpoint: its grains wait for their rebuild, which reports read differently.
    assert.equal(await moves(store, () => rebuildRollups(store, id)), true, 'rollups rebuilt');
    assert.equal(await moves(store, () => rebuildRollups(store, id)), false, 'nothing left to rebuild');
    const reclassified = run('r1', 0, { classification: 'infra_failure', status: 'failed' });
    assert.equal(
      await moves(store, () => saveClassifications(store, [{ connectionId: id, run: reclassified }], [])),
      true,
      'classification',
    );
    const covered = () => recordCoverage(store, id, '2026-01-01T00:00:00.000Z', new Date());
    assert.equal(await moves(store, covered), true, 'coverage set');
    assert.equal(await moves(store, covered), false, 'coverage unchanged');
    const branch = () => setDefaultBranch(store, { project: 'app1' }, 'trunk');
    assert.equal(await moves(store, branch), true, 'default branch');
    assert.equal(await moves(store, () => connection(store, 'other')), true, 'connection added');
    assert.equal(await moves(store, () => removeConnection(store, 'ci')), true, 'connection removed');
  },
);

test('another process on the store reads the version a write committed', async (t) => {
  const store = await freshStore(t, 'sqlite');
  assert.ok(store);
  // A second connection, as a serve replica or the CLI opens it.
  const other = await openStore(store.location);
  t.after(() => other.close());
  const before = await dataVersion(other);
  assert.ok(Number.isSafeInteger(before) && before > 0);
  await connection(store);
  assert.ok((await dataVersion(other)) > before);
});
