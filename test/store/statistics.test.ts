// A sync that wrote many rows refreshes PostgreSQL's planner statistics of the tables it wrote (explicit
// ANALYZE, seen in pg_stat_user_tables.last_analyze, which autovacuum never sets); a small one and SQLite
// leave them to the engine.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { MANY_ROWS, refreshStatistics } from '../../src/store/statistics.js';
import type { Store } from '../../src/store/store.js';
import { syncConnection } from '../../src/sync/sync.js';
import { bitriseSandbox } from '../sync/bitrise-sandbox.js';
import { storeTest } from './engines.js';

/** Tables of this store's schema that an explicit ANALYZE has seen. */
async function analyzed(store: Store): Promise<string[]> {
  const { rows } = await sql<{ relname: string }>`
    select relname from pg_stat_user_tables
    where schemaname = current_schema() and last_analyze is not null order by relname`.execute(store.db);
  return rows.map((r) => r.relname);
}

storeTest('statistics are refreshed after many rows on PostgreSQL only', async (store) => {
  assert.equal(await refreshStatistics(store, MANY_ROWS - 1), false);
  if (store.dialect === 'sqlite') {
    assert.equal(await refreshStatistics(store, MANY_ROWS), false);
    return;
  }
  assert.deepEqual(await analyzed(store), []);
  assert.equal(await refreshStatistics(store, MANY_ROWS), true);
  assert.deepEqual(await analyzed(store), ['jobs', 'level_rollups', 'run_rollups', 'runs', 'steps']);
});

storeTest(
  'a first sync of the small Bitrise sandbox refreshes them; an idle one does not',
  async (store, t) => {
    if (store.dialect === 'sqlite') return;
    const { options } = await bitriseSandbox(store, t);
    const first = await syncConnection(store, 'sandbox', options);
    assert.ok(first.runsNew + first.jobsNew + first.stepsNew >= MANY_ROWS, JSON.stringify(first));
    assert.ok((await analyzed(store)).includes('steps'));
    const when = async () =>
      (
        await sql<{ at: string }>`select last_analyze::text as at from pg_stat_user_tables
          where schemaname = current_schema() and relname = 'steps'`.execute(store.db)
      ).rows[0]?.at;
    const before = await when();
    const idle = await syncConnection(store, 'sandbox', options);
    assert.equal(idle.runsNew + idle.jobsNew + idle.stepsNew, 0);
    assert.equal(await when(), before);
  },
);
