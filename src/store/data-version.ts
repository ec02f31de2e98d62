// The store's data version: a number that changes whenever a committed write changes what reports read
// (runs, jobs, steps, classifications, rollups, projects, coverage, default branches, connections added or
// removed). Writers bump it inside their own transaction, so a reader that sees a new version also sees the
// rows behind it; reading it is one primary-key lookup, cheap enough to poll from every serve replica.
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.js';
import type { Store } from './store.js';

/** The current data version; equal values mean reports read the same data. */
export async function dataVersion(store: Pick<Store, 'db'>): Promise<number> {
  const row = await store.db
    .selectFrom('data_version')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/**
 * Moves the data version on; call inside the write transaction whose changes it announces. On PostgreSQL
 * the row stays locked until that transaction ends: callers bump last, just before committing.
 */
export async function bumpDataVersion(db: Kysely<Schema>): Promise<void> {
  await sql`update data_version set version = version + 1 where id = 1`.execute(db);
}
