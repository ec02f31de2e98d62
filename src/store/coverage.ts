// Moving a connection's `covered_from` (DESIGN.md "Coverage") when a sync of it completes. A backfill covers
// its whole window, so it can only move the mark earlier; any other completed sync sets a mark that is
// still missing (its first backfill failed half-way) to its earliest stored run, which the store holds.
import { type Kysely, sql } from 'kysely';
import { bumpDataVersion } from './data-version.js';
import { inWriteTransaction } from './dialect.js';
import type { Schema } from './schema.js';
import type { Store } from './store.js';

/**
 * After a completed sync of the connection: `backfillFrom` is the start of the window it backfilled, or
 * null when it read on from a checkpoint. `at` stands in when the connection has no run at all.
 */
export async function recordCoverage(
  store: Store,
  connectionId: number,
  backfillFrom: string | null,
  at: Date,
): Promise<void> {
  await inWriteTransaction(store, async (db) => {
    const moved = await moveCoverage(db, connectionId, backfillFrom, at);
    // Reports say from when they are complete.
    if (moved) await bumpDataVersion(db);
  });
}

async function moveCoverage(
  db: Kysely<Schema>,
  connectionId: number,
  backfillFrom: string | null,
  at: Date,
): Promise<boolean> {
  if (backfillFrom !== null) {
    const result = await db
      .updateTable('connections')
      .set({ covered_from: backfillFrom })
      .where('id', '=', connectionId)
      .where((eb) => eb.or([eb('covered_from', 'is', null), eb('covered_from', '>', backfillFrom)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
  const first = await db
    .selectFrom('runs')
    .select(sql<number | string | null>`min(triggered_us)`.as('first_us'))
    .where('connection_id', '=', connectionId)
    .executeTakeFirst();
  const from =
    first?.first_us === null || first?.first_us === undefined
      ? at.toISOString()
      : new Date(Math.floor(Number(first.first_us) / 1000)).toISOString();
  const result = await db
    .updateTable('connections')
    .set({ covered_from: from })
    .where('id', '=', connectionId)
    .where('covered_from', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
