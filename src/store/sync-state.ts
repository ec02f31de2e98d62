// Per-connection sync bookkeeping: the connector's committed checkpoint and the last sync's outcome.
import type { Kysely } from 'kysely';
import { redact } from '../domain/redaction.js';
import type { Schema, SyncStateTable } from './schema.js';
import type { Store } from './store.js';

export interface SyncState {
  /** The connector's last committed checkpoint; null before the first. */
  state: unknown;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  /** One line; null after a successful sync. */
  lastError: string | null;
  lastSummary: unknown;
}

const parse = (json: string | null): unknown => (json === null ? null : JSON.parse(json));

export async function readSyncState(store: Store, connectionId: number): Promise<SyncState> {
  const row = await store.db
    .selectFrom('sync_state')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .executeTakeFirst();
  return {
    state: parse(row?.state ?? null),
    lastStartedAt: row?.last_started_at ?? null,
    lastFinishedAt: row?.last_finished_at ?? null,
    lastError: row?.last_error ?? null,
    lastSummary: parse(row?.last_summary ?? null),
  };
}

/** Sets some sync_state columns of a connection, creating its row if needed. */
export async function updateSyncState(
  db: Kysely<Schema>,
  connectionId: number,
  values: Partial<Omit<SyncStateTable, 'connection_id'>>,
): Promise<void> {
  await db
    .insertInto('sync_state')
    .values({ connection_id: connectionId, ...values })
    .onConflict((oc) => oc.column('connection_id').doUpdateSet(values))
    .execute();
}

export function recordSyncStart(store: Store, connectionId: number, at: Date = new Date()): Promise<void> {
  return updateSyncState(store.db, connectionId, { last_started_at: at.toISOString() });
}

export function recordSyncSuccess(
  store: Store,
  connectionId: number,
  summary: unknown,
  at: Date = new Date(),
): Promise<void> {
  return updateSyncState(store.db, connectionId, {
    last_finished_at: at.toISOString(),
    last_error: null,
    last_summary: JSON.stringify(summary),
  });
}

/** Records a failed sync's one-line message, scrubbed of every secret this process holds. */
export function recordSyncFailure(
  store: Store,
  connectionId: number,
  message: string,
  at: Date = new Date(),
): Promise<void> {
  return updateSyncState(store.db, connectionId, {
    last_finished_at: at.toISOString(),
    last_error: redact(message),
  });
}

/**
 * A sync summary (or totals) as the CLI and the API print it: the engine's figures under snake_case names
 * (`runsNew` → `runs_new`), like every other record buildlens prints. Stored summaries keep the engine's
 * names, so older ones read the same.
 */
export function syncSummaryRecord(summary: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(summary).map(([key, value]) => [
      key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      value,
    ]),
  );
}
