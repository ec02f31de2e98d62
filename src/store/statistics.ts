// PostgreSQL plans queries from table statistics that autovacuum refreshes some time after large writes.
// Right after a first import they can still describe nearly empty tables, and a plan made from them may
// read a whole table once per row of another (a level-rollup rebuild once ran 20 minutes so). A sync that
// wrote many rows therefore refreshes them itself. SQLite is not given statistics here: its planner works
// from the schema alone.
import { sql } from 'kysely';
import type { Store } from './store.js';

/** Rows a sync writes before it refreshes the statistics: a first import, not a routine incremental sync. */
export const MANY_ROWS = 10_000;

/** The tables a sync writes in bulk and reports read. */
const TABLES = ['runs', 'jobs', 'steps', 'run_rollups', 'level_rollups'];

/** Refreshes PostgreSQL's statistics of the synced tables after `rowsWritten` rows; whether it did. */
export async function refreshStatistics(
  store: Store,
  rowsWritten: number,
  many = MANY_ROWS,
): Promise<boolean> {
  if (store.dialect !== 'postgres' || rowsWritten < many) return false;
  await sql`analyze ${sql.join(TABLES.map((t) => sql.id(t)))}`.execute(store.db);
  return true;
}
