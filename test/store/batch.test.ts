// writeBatch: idempotent, exact new/updated counts, checkpoint atomic with its rows, exact times.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { ClassifiedRun, Job } from '../../src/domain/model.js';
import { writeBatch } from '../../src/store/batch.js';
import { storedJobs } from '../../src/store/classifications.js';
import { addConnection } from '../../src/store/connections.js';
import { listRuns } from '../../src/store/runs.js';
import type { Store } from '../../src/store/store.js';
import { readSyncState } from '../../src/store/sync-state.js';
import { storeTest } from './engines.js';
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

/** Every row of every imported table, in a stable order: to compare table contents before and after. */
async function snapshot(store: Store) {
  const all = async (table: 'projects' | 'runs' | 'jobs' | 'raw_payloads' | 'sync_state') =>
    store.db.selectFrom(table).selectAll().orderBy('connection_id').execute();
  const sortByKey = (rows: unknown[]) =>
    [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return {
    projects: sortByKey(await all('projects')),
    runs: sortByKey(await all('runs')),
    jobs: sortByKey(await all('jobs')),
    raw: sortByKey(await all('raw_payloads')),
    state: await all('sync_state'),
  };
}

function batchOf(runs: ClassifiedRun[], jobs: Job[] = []) {
  return {
    projects: [project('app1'), project('app2', { repoUrl: 'https://git.example/app2' })],
    runs,
    jobs,
    raw: [...runs.map((r) => raw('build', r.key, { slug: r.key, status: r.status })), raw('app', 'app1')],
  };
}

storeTest('the same batch twice: second write counts nothing and changes nothing', async (store) => {
  const id = await connection(store);
  const batch = batchOf(
    [run('r1', 0), run('r2', 1), run('r3', 2)],
    [job('j1', 'r1'), job('j2', 'r1', { retried: true, softFailed: true })],
  );
  assert.deepEqual(await writeBatch(store, id, batch, { page: 1 }), {
    runsNew: 3,
    runsUpdated: 0,
    jobsNew: 2,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
  const before = await snapshot(store);
  assert.equal(before.runs.length, 3);
  assert.equal(before.projects.length, 2);
  assert.equal(before.raw.length, 4);
  assert.deepEqual(await writeBatch(store, id, batch, { page: 1 }), {
    runsNew: 0,
    runsUpdated: 0,
    jobsNew: 0,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
  assert.deepEqual(await snapshot(store), before);
});

storeTest('changed rows count as updated, new ones as new, unchanged ones not at all', async (store) => {
  const id = await connection(store);
  await writeBatch(
    store,
    id,
    batchOf(
      [
        run('r1', 0, {
          status: 'running',
          finishedAt: null,
          classification: null,
          classifiedBy: null,
          durationS: null,
        }),
        run('r2', 1),
      ],
      [job('j1', 'r1', { status: 'running' })],
    ),
  );
  const result = await writeBatch(
    store,
    id,
    batchOf([run('r1', 0), run('r2', 1), run('r3', 2)], [job('j1', 'r1'), job('j2', 'r3')]),
  );
  assert.deepEqual(result, {
    runsNew: 1,
    runsUpdated: 1,
    jobsNew: 1,
    jobsUpdated: 1,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
  const { runs } = await listRuns(store, {}, { limit: 10 });
  const r1 = runs.find((r) => r.key === 'r1');
  assert.equal(r1?.status, 'succeeded');
  assert.equal(r1?.classification, 'success');

  // Only the classification changes (e.g. new rules): still an update.
  const reclassified = await writeBatch(store, id, {
    runs: [run('r2', 1, { classification: 'skipped', classifiedBy: 'user:no-op' })],
    jobs: [],
    raw: [],
  });
  assert.deepEqual(reclassified, {
    runsNew: 0,
    runsUpdated: 1,
    jobsNew: 0,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
});

storeTest('the same key twice in one batch is written once, the later version wins', async (store) => {
  const id = await connection(store);
  const result = await writeBatch(store, id, {
    runs: [
      run('r1', 0, { status: 'running' }),
      run('r1', 0, { status: 'failed', classification: 'failure' }),
    ],
    jobs: [],
    raw: [raw('build', 'r1', { v: 1 }), raw('build', 'r1', { v: 2 })],
  });
  assert.deepEqual(result, {
    runsNew: 1,
    runsUpdated: 0,
    jobsNew: 0,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
  const { runs } = await listRuns(store, {}, { limit: 10 });
  assert.deepEqual(
    runs.map((r) => [r.key, r.status]),
    [['r1', 'failed']],
  );
  const payloads = await store.db.selectFrom('raw_payloads').select('payload').execute();
  assert.deepEqual(
    payloads.map((p) => JSON.parse(p.payload)),
    [{ v: 2 }],
  );
});

storeTest('runs of two connections with the same keys stay apart', async (store) => {
  const a = await connection(store, 'a');
  const b = await connection(store, 'b');
  assert.equal((await writeBatch(store, a, batchOf([run('r1')]))).runsNew, 1);
  assert.equal((await writeBatch(store, b, batchOf([run('r1')]))).runsNew, 1);
  const { runs } = await listRuns(store, {}, { limit: 10 });
  assert.deepEqual(runs.map((r) => r.connection).sort(), ['a', 'b']);
});

storeTest(
  'a checkpoint is saved with its batch, and a failing batch leaves neither rows nor checkpoint',
  async (store) => {
    const id = await connection(store);
    await writeBatch(store, id, batchOf([run('r1', 0)]), { page: 1 });
    assert.deepEqual((await readSyncState(store, id)).state, { page: 1 });
    const before = await snapshot(store);

    // r2 is valid and written first; the job after it violates NOT NULL, so the transaction fails midway.
    const broken = job('j9', 'r2', { name: null as unknown as string });
    await assert.rejects(
      writeBatch(store, id, batchOf([run('r1', 0, { branch: 'changed' }), run('r2', 1)], [broken]), {
        page: 2,
      }),
    );
    assert.deepEqual(await snapshot(store), before);
    assert.deepEqual((await readSyncState(store, id)).state, { page: 1 });

    // A batch without a checkpoint leaves the saved one alone.
    await writeBatch(store, id, batchOf([run('r2', 1)]));
    assert.deepEqual((await readSyncState(store, id)).state, { page: 1 });
  },
);

storeTest('times round-trip exactly, microseconds included; numbers and nulls too', async (store) => {
  const id = await connection(store);
  const original = run('r1', 0, {
    triggeredAt: '2026-02-10T09:00:00.123456Z',
    startedAt: '2026-02-10T09:00:20Z',
    finishedAt: null,
    queueS: 19.876544,
    durationS: null,
    cost: 0.1 + 0.2,
    number: null,
    status: 'running',
    classification: null,
    classifiedBy: null,
  });
  await writeBatch(store, id, {
    runs: [original],
    jobs: [job('j1', 'r1', { exitStatus: null, retried: true })],
    raw: [],
  });
  const { runs } = await listRuns(store, {}, { limit: 1 });
  assert.deepEqual(runs[0], { ...original, connection: 'ci', provider: 'bitrise' });
  const stored = await store.db.selectFrom('runs').select('triggered_us').executeTakeFirstOrThrow();
  assert.equal(stored.triggered_us, Date.UTC(2026, 1, 10, 9) * 1000 + 123456);
  const jobRow = await store.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
  assert.equal(jobRow.exit_status, null);
  assert.equal(jobRow.retried, 1);
  assert.equal(jobRow.soft_failed, 0);
});

storeTest('agent queues and job reasons round-trip; the agent queue filter selects by run', async (store) => {
  const id = await connection(store);
  const runs = [
    run('r1', 0, { agentQueue: 'macos' }),
    run('r2', 1, { agentQueue: 'linux-large' }),
    run('r3', 2, { agentQueue: null }),
  ];
  const jobs = [
    job('j1', 'r1', { agentQueue: 'macos', reason: 'agent_stop' }),
    job('j2', 'r2', { agentQueue: 'default', reason: null }),
  ];
  await writeBatch(store, id, { runs, jobs, raw: [] });
  const listed = await listRuns(store, {}, { limit: 10 });
  assert.deepEqual(
    listed.runs.map((r) => [r.key, r.agentQueue]),
    [
      ['r3', null],
      ['r2', 'linux-large'],
      ['r1', 'macos'],
    ],
  );
  const onQueues = await listRuns(store, { agentQueue: ['macos', 'default'] }, { limit: 10 });
  assert.deepEqual(
    onQueues.runs.map((r) => r.key),
    ['r1'],
  );
  const stored = [];
  for await (const page of storedJobs(store, 10)) stored.push(...page.map((p) => p.job));
  assert.deepEqual(
    stored.map((j) => [j.key, j.agentQueue, j.reason]),
    [
      ['j1', 'macos', 'agent_stop'],
      ['j2', 'default', null],
    ],
  );
  // The same rows again are no change: the new fields are part of the content hash, read back identical.
  assert.deepEqual(await writeBatch(store, id, { runs, jobs, raw: [] }), {
    runsNew: 0,
    runsUpdated: 0,
    jobsNew: 0,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
  const moved = await writeBatch(store, id, {
    runs: [{ ...runs[0], agentQueue: 'default' } as ClassifiedRun],
    jobs: [],
    raw: [],
  });
  assert.equal(moved.runsUpdated, 1);
});

storeTest('a batch larger than one statement can bind is split and counted exactly', async (store) => {
  const id = await connection(store);
  // 1500 runs x 31 columns is more than 30000 bound values: at least two statements.
  const runs = Array.from({ length: 1500 }, (_, i) => run(`r${i}`, i));
  const jobs = runs.map((r) => job(`j-${r.key}`, r.key));
  assert.deepEqual(await writeBatch(store, id, { runs, jobs, raw: [] }), {
    runsNew: 1500,
    runsUpdated: 0,
    jobsNew: 1500,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
  const changed = runs.map((r, i) => (i % 3 === 0 ? { ...r, branch: 'other' } : r));
  assert.deepEqual(await writeBatch(store, id, { runs: changed, jobs, raw: [] }), {
    runsNew: 0,
    runsUpdated: 500,
    jobsNew: 0,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
  });
  const count = await store.db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('branch', '=', 'other')
    .executeTakeFirstOrThrow();
  assert.equal(Number(count.n), 500);
});

/** A value that changes whenever rows are physically written: SQLite's change counter, PostgreSQL row versions. */
async function writesProbe(store: Store): Promise<unknown> {
  if (store.dialect === 'sqlite') {
    const { rows } = await sql<{ n: number }>`select total_changes() as n`.execute(store.db);
    return rows[0]?.n;
  }
  const { rows } = await sql<{ v: string }>`
    select string_agg(xmin::text, ',' order by t, k) as v from (
      select 'p' as t, key as k, xmin from projects union all select 'r', key, xmin from runs
      union all select 'j', key, xmin from jobs union all select 'w', kind || key, xmin from raw_payloads) all_rows`.execute(
    store.db,
  );
  return rows[0]?.v;
}

storeTest('unchanged rows are not rewritten at all', async (store) => {
  const id = await connection(store);
  const batch = batchOf([run('r1', 0), run('r2', 1)], [job('j1', 'r1')]);
  await writeBatch(store, id, batch);
  const before = await writesProbe(store);
  await writeBatch(store, id, batch);
  assert.equal(await writesProbe(store), before);
  await writeBatch(store, id, batchOf([run('r1', 0), run('r2', 1, { branch: 'x' })], [job('j1', 'r1')]));
  assert.notEqual(await writesProbe(store), before, 'the probe sees a real change');
});

storeTest('project changes are written', async (store) => {
  const id = await connection(store);
  await writeBatch(store, id, { projects: [project('app1')], runs: [], jobs: [], raw: [] });
  await writeBatch(store, id, {
    projects: [project('app1', { name: 'Renamed', owner: null })],
    runs: [],
    jobs: [],
    raw: [],
  });
  const rows = await store.db.selectFrom('projects').select(['key', 'name', 'owner']).execute();
  assert.deepEqual(rows, [{ key: 'app1', name: 'Renamed', owner: null }]);
});
