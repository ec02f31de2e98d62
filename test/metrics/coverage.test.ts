// Coverage (DESIGN.md): each connection's covered_from is set by its backfill and the migration, and a
// comparison with a previous period is made only where the store covers it for the same connections.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Connector, SyncEvent } from '../../src/connectors/contract.js';
import { compareCoverage } from '../../src/metrics/coverage.js';
import { reportDocument } from '../../src/metrics/report-document.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection, listConnections } from '../../src/store/connections.js';
import { recordCoverage } from '../../src/store/coverage.js';
import { down, up } from '../../src/store/migrations/009_coverage.js';
import { openStore, type Store } from '../../src/store/store.js';
import { updateSyncState } from '../../src/store/sync-state.js';
import { syncConnection } from '../../src/sync/sync.js';
import { runInProcess } from '../cli/in-process.js';
import { scratch, storeTest } from '../store/engines.js';
import { project, run } from '../store/fixtures.js';

const coveredFrom = async (store: Store) =>
  Object.fromEntries((await listConnections(store)).map((c) => [c.name, c.coveredFrom]));

const connect = (store: Store, name: string) =>
  addConnection(store, {
    name,
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9',
    org: null,
    token: `token-of-${name}-0123456789`,
  });

/** A connector whose every sync yields one checkpoint; it records whether it was asked to backfill. */
function checkpointing() {
  const backfills: boolean[] = [];
  const connector: Connector = {
    provider: 'bitrise',
    check: async () => ({ code: 'ok', message: 'ok', curl: null }),
    async *sync(input): AsyncGenerator<SyncEvent> {
      backfills.push(input.state === null);
      yield { type: 'checkpoint', state: { mark: 1 } };
    },
    requests: () => 0,
  };
  return { backfills, createConnector: () => connector };
}

storeTest(
  'a backfill sets covered_from to its window start; later syncs keep it; a longer one moves it earlier',
  async (store) => {
    await connect(store, 'ci');
    assert.deepEqual(await coveredFrom(store), { ci: null }, 'nothing covered before a sync completes');
    const provider = checkpointing();
    const now = () => Date.parse('2026-03-01T00:00:00.000Z');
    await syncConnection(store, 'ci', { createConnector: provider.createConnector, lookbackDays: 30, now });
    assert.deepEqual(await coveredFrom(store), { ci: '2026-01-30T00:00:00.000Z' });
    // Read on from the checkpoint: no backfill, the mark stays.
    const later = () => Date.parse('2026-03-05T00:00:00.000Z');
    await syncConnection(store, 'ci', {
      createConnector: provider.createConnector,
      lookbackDays: 30,
      now: later,
    });
    assert.deepEqual(provider.backfills, [true, false]);
    assert.deepEqual(await coveredFrom(store), { ci: '2026-01-30T00:00:00.000Z' });

    const [ci] = await listConnections(store);
    const id = ci?.id as number;
    await recordCoverage(store, id, '2026-02-15T00:00:00.000Z', new Date());
    assert.deepEqual(await coveredFrom(store), { ci: '2026-01-30T00:00:00.000Z' }, 'a shorter one leaves it');
    await recordCoverage(store, id, '2025-12-01T00:00:00.000Z', new Date());
    assert.deepEqual(
      await coveredFrom(store),
      { ci: '2025-12-01T00:00:00.000Z' },
      'a longer one moves it earlier',
    );
  },
);

storeTest('a sync completing after a failed backfill covers from its earliest stored run', async (store) => {
  const ci = await connect(store, 'ci');
  await writeBatch(
    store,
    ci.id,
    { projects: [project('app1')], runs: [run('r1', 30)], jobs: [], raw: [] },
    {
      mark: 1,
    },
  );
  const provider = checkpointing();
  await syncConnection(store, 'ci', { createConnector: provider.createConnector });
  assert.deepEqual(provider.backfills, [false]);
  assert.deepEqual(await coveredFrom(store), { ci: '2026-02-10T09:30:00.123Z' });
});

storeTest(
  'migration 009 gives existing connections their earliest run, else their last good sync',
  async (store) => {
    const withRuns = await connect(store, 'with-runs');
    const syncedEmpty = await connect(store, 'synced-empty');
    await connect(store, 'never-synced');
    await writeBatch(store, withRuns.id, {
      projects: [project('app1')],
      runs: [run('late', 50), run('early', 5)],
      jobs: [],
      raw: [],
    });
    await updateSyncState(store.db, syncedEmpty.id, {
      last_finished_at: '2026-02-20T08:00:00.000Z',
      last_error: null,
    });
    const db = store.db as unknown as Kysely<unknown>;
    await down(db);
    await up(db);
    assert.deepEqual(await coveredFrom(store), {
      'never-synced': null,
      'synced-empty': '2026-02-20T08:00:00.000Z',
      'with-runs': '2026-02-10T09:05:00.123Z',
    });
  },
);

test('compareCoverage: covered, partial (from DATE), or no data before DATE', () => {
  const previous = { since: '2026-09-01T00:00:00.000Z', until: '2026-10-01T00:00:00.000Z' };
  assert.deepEqual(
    compareCoverage(previous, ['2026-08-01T00:00:00.000Z', '2026-09-01T00:00:00.000Z'], 2026),
    {
      coverage: 'covered',
      covered_from: '2026-09-01T00:00:00.000Z',
      note: null,
    },
  );
  assert.deepEqual(
    compareCoverage(previous, ['2026-08-01T00:00:00.000Z', '2026-09-12T06:00:00.000Z'], 2026),
    {
      coverage: 'partial',
      covered_from: '2026-09-12T06:00:00.000Z',
      note: 'partial (from 12 Sep)',
    },
  );
  assert.deepEqual(compareCoverage(previous, ['2026-10-01T00:00:00.000Z'], 2027), {
    coverage: 'not_covered',
    covered_from: '2026-10-01T00:00:00.000Z',
    note: 'no data before 1 Oct 2026',
  });
  assert.equal(compareCoverage(previous, ['2026-08-01T00:00:00.000Z', null], 2026).coverage, 'not_covered');
});

/**
 * Two connections with runs every 6 hours from 1 to 20 Feb: `old` covered from January, `new` from 12 Feb
 * (its earlier runs came in some other way; coverage, not the runs, decides).
 */
async function twoConnections(store: Store): Promise<void> {
  for (const [name, from, workflow] of [
    ['old', '2026-01-01T00:00:00.000Z', 'shared'],
    ['new', '2026-02-12T00:00:00.000Z', 'shared'],
  ] as const) {
    const c = await connect(store, name);
    await recordCoverage(store, c.id, from, new Date());
    const runs = Array.from({ length: 80 }, (_, i) => {
      const at = new Date(Date.UTC(2026, 1, 1, i * 6)).toISOString();
      return run(`${name}-${i}`, 0, {
        projectKey: `${name}-app`,
        workflow: i % 2 === 0 ? workflow : `${name}-only`,
        triggeredAt: at,
        startedAt: at,
        finishedAt: at,
      });
    });
    await writeBatch(store, c.id, { projects: [project(`${name}-app`)], runs, jobs: [], raw: [] });
  }
}

storeTest(
  'a previous period the store does not wholly cover for a row’s connections has no change',
  async (store) => {
    await twoConnections(store);
    // 14–18 Feb against 10–14 Feb: `new` covers it from 12 Feb only.
    const filter = { since: '2026-02-14T00:00:00.000Z', until: '2026-02-18T00:00:00.000Z' };
    const byProject = await reportDocument(store, { filter, by: ['project'], compare: 'previous' });
    const row = (name: string) => byProject.rows.find((r) => r.project === `App ${name}-app`);
    assert.deepEqual(row('old')?.comparison, {
      coverage: 'covered',
      covered_from: '2026-01-01T00:00:00.000Z',
      note: null,
    });
    assert.equal(row('old')?.previous?.runs, 16);
    assert.deepEqual(row('new')?.comparison, {
      coverage: 'partial',
      covered_from: '2026-02-12T00:00:00.000Z',
      note: 'partial (from 12 Feb)',
    });
    assert.equal(row('new')?.previous, null, 'partial coverage is stated, never compared');
    assert.equal(byProject.total.comparison?.coverage, 'partial');
    assert.equal(byProject.total.previous, null);
    assert.deepEqual(byProject.coverage, {
      from: '2026-02-12T00:00:00.000Z',
      connections: [
        { connection: 'new', covered_from: '2026-02-12T00:00:00.000Z' },
        { connection: 'old', covered_from: '2026-01-01T00:00:00.000Z' },
      ],
    });

    // Grouped without the connection: a workflow both connections run is partial, one only `old` runs is not.
    const byWorkflow = await reportDocument(store, { filter, by: ['workflow'], compare: 'previous' });
    assert.deepEqual(
      byWorkflow.rows.map((r) => [r.workflow, r.comparison?.coverage, r.previous?.runs ?? null]),
      [
        ['new-only', 'partial', null],
        ['old-only', 'covered', 8],
        ['shared', 'partial', null],
      ],
    );

    // One connection filtered: its own coverage decides. 12–14 Feb against 10–12 Feb: nothing of `new` held.
    const onlyNew = await reportDocument(store, {
      filter: { connection: ['new'], since: '2026-02-12T00:00:00.000Z', until: '2026-02-14T00:00:00.000Z' },
      by: ['project'],
      compare: 'previous',
    });
    assert.deepEqual(onlyNew.total.comparison, {
      coverage: 'not_covered',
      covered_from: '2026-02-12T00:00:00.000Z',
      note: 'no data before 12 Feb',
    });
    assert.equal(onlyNew.total.previous, null);
    const onlyOld = await reportDocument(store, {
      filter: { connection: ['old'], since: '2026-02-12T00:00:00.000Z', until: '2026-02-14T00:00:00.000Z' },
      by: [],
      compare: 'previous',
    });
    assert.equal(onlyOld.total.comparison?.coverage, 'covered');
    assert.equal(onlyOld.total.previous?.runs, 8);
  },
);

test('the CLI says in words which rows have no change and why, in table and md', async () => {
  const db = join(scratch, 'coverage-cli', 'buildlens.db');
  const store = await openStore(db);
  try {
    await twoConnections(store);
  } finally {
    await store.close();
  }
  const args = [
    '--db',
    db,
    'report',
    '--compare',
    'previous',
    '--since',
    '2026-02-14',
    '--until',
    '2026-02-18',
  ];
  const table = await runInProcess(args);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^no Δ for App new-app, total: partial \(from 12 Feb\)$/m);
  const oldRow = table.stdout.split('\n').find((l) => l.startsWith('App old-app')) ?? '';
  assert.match(oldRow, /^App old-app\s+16\s+0%\s+16\s/, 'a covered row keeps its change');
  const newRow = table.stdout.split('\n').find((l) => l.startsWith('App new-app')) ?? '';
  assert.match(newRow, /^App new-app\s+16\s+16\s/, 'no change beside its runs');
  assert.doesNotMatch(newRow, /\dpp/);
  const md = await runInProcess([...args, '--format', 'md']);
  assert.match(md.stdout, /^no Δ for App new-app, total: partial \(from 12 Feb\)$/m);
  const csv = await runInProcess([...args, '--format', 'csv']);
  assert.match(csv.stdout, /^App new-app,.*,partial,2026-02-12T00:00:00.000Z,,/m);
});
