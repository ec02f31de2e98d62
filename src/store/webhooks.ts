// A connection's webhook: its secret (encrypted with the store's key, like tokens), when it was set up, how
// many runs the reconciling syncs have found that no delivery brought, and the deliveries servers refused.
import { sql } from 'kysely';

import type { Connection, Provider } from '../domain/model.js';
import { redact, rememberSecret } from '../domain/redaction.js';
import { NotFoundError } from './errors.js';
import { decryptSecret, encryptSecret, keyFileFor, loadKey } from './secrets.js';
import type { Store } from './store.js';

export interface Webhook {
  connectionId: number;
  connection: string;
  provider: Provider;
  /** Buildkite organization the connection reads; null for every one. */
  org: string | null;
  secret: string;
  createdAt: string;
  missedRuns: number;
}

/** Refused deliveries of one connection: how many, and the last one's time and reason (never a secret). */
export interface Refusals {
  count: number;
  lastAt: string;
  lastReason: string;
}

/** Two counts of one connection's refusals as one: summed, with the later refusal's time and reason. */
export function mergeRefusals(
  a: Refusals | null | undefined,
  b: Refusals | null | undefined,
): Refusals | null {
  if (!a || !b) return a ?? b ?? null;
  const later = a.lastAt >= b.lastAt ? a : b;
  return { count: a.count + b.count, lastAt: later.lastAt, lastReason: later.lastReason };
}

/** Saves (or replaces) the webhook secret of the named connection. */
export async function setWebhookSecret(
  store: Store,
  connection: Pick<Connection, 'id' | 'name'>,
  secret: string,
  now: Date = new Date(),
): Promise<void> {
  rememberSecret(secret);
  const secretEnc = encryptSecret(loadKey(keyFileFor(store)), secret);
  await store.db
    .insertInto('webhooks')
    .values({ connection_id: connection.id, secret_enc: secretEnc, created_at: now.toISOString() })
    .onConflict((oc) => oc.column('connection_id').doUpdateSet({ secret_enc: secretEnc }))
    .execute();
}

// A receiver reads the secret for every delivery: the key file is read and the secret decrypted once per
// sealed value (a rotated secret is another sealed value; a wrong key still fails on first use).
const opened = new Map<string, string>();
const MOST_OPENED = 1000;

function openedSecret(store: Store, sealed: string, name: string): string {
  const known = opened.get(sealed);
  if (known !== undefined) return known;
  const secret = decryptSecret(loadKey(keyFileFor(store)), sealed, `the webhook secret of "${name}"`);
  rememberSecret(secret);
  if (opened.size >= MOST_OPENED) opened.clear();
  opened.set(sealed, secret);
  return secret;
}

/** The webhook of the named connection with its decrypted secret; null when none is set up. */
export async function findWebhook(store: Store, name: string): Promise<Webhook | null> {
  const row = await store.db
    .selectFrom('webhooks')
    .innerJoin('connections', 'connections.id', 'webhooks.connection_id')
    .select([
      'webhooks.connection_id',
      'connections.name',
      'connections.provider',
      'connections.org',
      'webhooks.secret_enc',
      'webhooks.created_at',
      'webhooks.missed_runs',
    ])
    .where('connections.name', '=', name)
    .executeTakeFirst();
  if (!row) return null;
  const secret = openedSecret(store, row.secret_enc, name);
  return {
    connectionId: row.connection_id,
    connection: row.name,
    provider: row.provider as Provider,
    org: row.org,
    secret,
    createdAt: row.created_at,
    missedRuns: row.missed_runs,
  };
}

export async function getWebhook(store: Store, name: string): Promise<Webhook> {
  const webhook = await findWebhook(store, name);
  if (!webhook)
    throw new NotFoundError(
      `connection "${name}" has no webhook: set one up with "buildlens connect webhook ${name}"`,
    );
  return webhook;
}

/** When each connection's webhook was set up, by connection id (only connections that have one). */
export async function webhookSince(store: Store): Promise<Map<number, string>> {
  const rows = await store.db.selectFrom('webhooks').select(['connection_id', 'created_at']).execute();
  return new Map(rows.map((r) => [r.connection_id, r.created_at]));
}

export async function addMissedRuns(store: Store, connectionId: number, count: number): Promise<void> {
  if (count === 0) return;
  await store.db
    .updateTable('webhooks')
    .set((eb) => ({ missed_runs: eb('missed_runs', '+', count) }))
    .where('connection_id', '=', connectionId)
    .execute();
}

/** Adds refused deliveries to the counts of their connections (by id); the later refusal's reason stays. */
export async function addRefusals(store: Store, refusals: ReadonlyMap<number, Refusals>): Promise<void> {
  for (const [connectionId, { count, lastAt, lastReason }] of refusals) {
    const later = sql<boolean>`last_refused_at is null or last_refused_at < ${lastAt}`;
    await store.db
      .updateTable('webhooks')
      .set((eb) => ({
        refused: eb('refused', '+', count),
        last_refused_at: sql<string>`case when ${later} then ${lastAt} else last_refused_at end`,
        last_refusal_reason: sql<string>`case when ${later} then ${redact(lastReason)} else last_refusal_reason end`,
      }))
      .where('connection_id', '=', connectionId)
      .execute();
  }
}

export interface ListedWebhook {
  connectionId: number;
  connection: string;
  createdAt: string;
  missedRuns: number;
  /** What the servers have added up so far; null when none was refused. */
  refusals: Refusals | null;
}

/** Every connection with a webhook: when it was set up, the runs reconciliation found missed, refusals. */
export async function listWebhooks(store: Store): Promise<ListedWebhook[]> {
  const rows = await store.db
    .selectFrom('webhooks')
    .innerJoin('connections', 'connections.id', 'webhooks.connection_id')
    .select([
      'webhooks.connection_id',
      'connections.name',
      'webhooks.created_at',
      'webhooks.missed_runs',
      'webhooks.refused',
      'webhooks.last_refused_at',
      'webhooks.last_refusal_reason',
    ])
    .orderBy('connections.name')
    .execute();
  return rows.map((r) => ({
    connectionId: r.connection_id,
    connection: r.name,
    createdAt: r.created_at,
    missedRuns: r.missed_runs,
    refusals:
      r.refused > 0 && r.last_refused_at !== null
        ? { count: Number(r.refused), lastAt: r.last_refused_at, lastReason: r.last_refusal_reason ?? '' }
        : null,
  }));
}
