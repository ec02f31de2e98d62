// Connections as documents: the snake_case records `buildlens connect list --json` prints and
// /api/connections answers with, each with its last sync. Never a token: the CLI adds a masked one itself.
import { z } from 'zod';
import { type Connection, PROVIDERS } from '../domain/model.js';
import { listConnections, readStoredToken } from './connections.js';
import { syncLockHolder } from './lock.js';
import type { Store } from './store.js';
import { readSyncState, type SyncState, syncSummaryRecord } from './sync-state.js';
import { type StoredWebhookHealth, webhookHealthRecord, webhookHealthRecords } from './webhook-health.js';
import type { Refusals } from './webhooks.js';

const SYNC_RESULTS = ['never', 'running', 'interrupted', 'failed', 'ok'] as const;
export type SyncResult = (typeof SYNC_RESULTS)[number];

export const connectionRecord = z.object({
  name: z.string(),
  provider: z.enum(PROVIDERS),
  url: z.string().describe('The provider API base URL'),
  org: z.string().nullable(),
  created_at: z.string(),
  covered_from: z
    .string()
    .nullable()
    .describe('From when the store holds every run of this connection; null before a sync completes'),
  last_sync_started_at: z.string().nullable(),
  last_sync_at: z.string().nullable().describe('When the last sync finished'),
  last_sync_result: z
    .enum(SYNC_RESULTS)
    .describe(
      'running: a sync holds the connection now; interrupted: the last one stopped before it finished',
    ),
  last_sync_error: z.string().nullable().describe('One line; null after a successful sync'),
  last_sync_summary: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('What the last successful sync did, as `buildlens --json sync` prints per connection'),
  token_error: z
    .string()
    .nullable()
    .describe('Why the stored token cannot be read (key missing or wrong); null when it can'),
  webhook: webhookHealthRecord,
});
export type ConnectionRecord = z.infer<typeof connectionRecord>;

/**
 * `never`; `running` or, when no sync holds the connection's lock, `interrupted` (started after the last
 * finish: the process was killed); else `failed` or `ok`.
 */
export function syncResult(sync: SyncState, locked: boolean): SyncResult {
  if (sync.lastStartedAt === null) return 'never';
  if (sync.lastFinishedAt === null || sync.lastStartedAt > sync.lastFinishedAt)
    return locked ? 'running' : 'interrupted';
  return sync.lastError === null ? 'ok' : 'failed';
}

/** The runs the webhooks missed by the last complete sync's count (a sync without a webhook has none). */
function lastMissed(sync: SyncState): number | null {
  const missed = (sync.lastSummary as { webhookMissed?: unknown } | null)?.webhookMissed;
  return typeof missed === 'number' ? missed : null;
}

export function toConnectionRecord(
  c: Connection,
  sync: SyncState,
  locked: boolean,
  tokenError: string | null,
  webhook: StoredWebhookHealth | null = null,
): ConnectionRecord {
  return {
    name: c.name,
    provider: c.provider,
    url: c.baseUrl,
    org: c.org,
    created_at: c.createdAt,
    covered_from: c.coveredFrom,
    last_sync_started_at: sync.lastStartedAt,
    last_sync_at: sync.lastFinishedAt,
    last_sync_result: syncResult(sync, locked),
    last_sync_error: sync.lastError,
    last_sync_summary:
      sync.lastSummary !== null && typeof sync.lastSummary === 'object'
        ? syncSummaryRecord(sync.lastSummary)
        : null,
    token_error: tokenError,
    webhook: webhook === null ? null : { ...webhook, missed_at_last_reconciliation: lastMissed(sync) },
  };
}

/**
 * Every connection by name, with its last sync, whether its token can be read and its webhook's health;
 * a server passes the refusals it counted and has not added to the store yet.
 */
export async function listConnectionRecords(
  store: Store,
  unstored?: ReadonlyMap<number, Refusals>,
): Promise<ConnectionRecord[]> {
  const connections = await listConnections(store);
  const webhooks = await webhookHealthRecords(store, unstored);
  return Promise.all(
    connections.map(async (c) =>
      toConnectionRecord(
        c,
        await readSyncState(store, c.id),
        (await syncLockHolder(store, c.id)) !== null,
        (await readStoredToken(store, c.name)).error,
        webhooks.get(c.id) ?? null,
      ),
    ),
  );
}
