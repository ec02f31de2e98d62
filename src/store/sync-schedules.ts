// Each connection's sync schedule, kept in the store so it survives restarts of every worker: when the
// connection is next due and how often. A due connection is claimed under its row's lock and moved to its
// next time in the same transaction that queues its sync, so two workers ticking at once queue it once.
import type { Kysely } from 'kysely';
import type { Schema } from './schema.js';

/**
 * Every connection is synced every `everyS` seconds: connections without a schedule get one, due now;
 * a changed interval moves the next time by the difference, so a restart does not reset the clock.
 */
export async function scheduleEvery(db: Kysely<Schema>, everyS: number, nowMs: number): Promise<void> {
  const unscheduled = await db
    .selectFrom('connections')
    .select('id')
    .where('id', 'not in', db.selectFrom('sync_schedules').select('connection_id'))
    .execute();
  if (unscheduled.length > 0)
    await db
      .insertInto('sync_schedules')
      .values(unscheduled.map((c) => ({ connection_id: c.id, every_s: everyS, next_at_ms: nowMs })))
      .onConflict((oc) => oc.column('connection_id').doNothing())
      .execute();
  await db
    .updateTable('sync_schedules')
    .set((eb) => ({
      next_at_ms: eb('next_at_ms', '+', eb(eb.val(everyS), '-', eb.ref('every_s')).$castTo<number>()),
      every_s: everyS,
    }))
    .where('every_s', '!=', everyS)
    .execute();
}

/**
 * Connections due at `nowMs` (at most `limit`), moved to their next time. PostgreSQL: rows another worker
 * is claiming are skipped, not waited for (PostgreSQL only: the queue is). Call inside the transaction that queues their syncs.
 */
export async function claimDueSyncs(
  db: Kysely<Schema>,
  nowMs: number,
  limit: number,
): Promise<{ connectionId: number; name: string }[]> {
  const due = await db
    .selectFrom('sync_schedules')
    .innerJoin('connections', 'connections.id', 'sync_schedules.connection_id')
    .select(['sync_schedules.connection_id as connectionId', 'connections.name as name', 'every_s'])
    .where('next_at_ms', '<=', nowMs)
    .orderBy('next_at_ms')
    .limit(limit)
    .forUpdate('sync_schedules')
    .skipLocked()
    .execute();
  for (const row of due)
    await db
      .updateTable('sync_schedules')
      .set({ next_at_ms: nowMs + row.every_s * 1000 })
      .where('connection_id', '=', row.connectionId)
      .execute();
  return due.map(({ connectionId, name }) => ({ connectionId, name }));
}
