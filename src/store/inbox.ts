// The webhook inbox: every accepted delivery, written before the provider gets its 2xx, so a process killed
// between the answer and the processing finds the work again at start (DESIGN.md "Ingestion paths").
// The same delivery twice is stored once; a Buildkite signature (timestamp and HMAC) is accepted once.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { redact } from '../domain/redaction.js';
import { chunks } from './batch.js';
import { inWriteTransaction, isUniqueViolation } from './dialect.js';
import type { Store } from './store.js';

export interface Delivery {
  connectionId: number;
  event: string;
  /** The raw body as received (UTF-8 text). */
  body: string;
  /** Buildkite signature mode's `timestamp,signature`; null otherwise. */
  signature: string | null;
  /** The build the delivery is about, and whether it says that build finished. */
  subject: string | null;
  final: boolean;
  receivedAt: Date;
}

/** `stored`: new work; `duplicate`: the same delivery was stored before; `replayed`: its signature was used. */
export type Acceptance = 'stored' | 'duplicate' | 'replayed';

export interface StoredDelivery {
  id: number;
  connectionId: number;
  event: string;
  body: string;
  subject: string | null;
  attempts: number;
  receivedAt: string;
}

/** After this many failed tries a delivery is left as failed; the next reconciling sync covers its run. */
export const MAX_ATTEMPTS = 5;
/** Processed deliveries are kept this long: reconciliation reads which runs they announced. */
export const KEEP_DAYS = 14;

const digestOf = (event: string, body: string) =>
  createHash('sha256').update(event).update('\n').update(body).digest('hex');

/** One delivery: `acceptDeliveries` of it alone. */
export async function acceptDelivery(store: Store, delivery: Delivery): Promise<Acceptance> {
  const [acceptance] = await acceptDeliveries(store, [delivery]);
  return acceptance as Acceptance;
}

/**
 * Stores deliveries in one transaction (a group commit: deliveries arriving together cost one write to the
 * store, not one each) and says what became of each, in order, as if they came one after another: a
 * signature used before, or earlier in the batch, is a replay; a delivery stored before, or earlier in the
 * batch, a duplicate.
 */
export async function acceptDeliveries(store: Store, deliveries: readonly Delivery[]): Promise<Acceptance[]> {
  const digests = deliveries.map((d) => digestOf(d.event, d.body));
  const seen = (connectionId: number, value: string) => `${connectionId}\u0000${value}`;
  const attempt = () =>
    inWriteTransaction(store, async (db): Promise<Acceptance[]> => {
      // Looked up per connection, the leading column of both unique indexes.
      const signatures = new Set<string>();
      const stored = new Set<string>();
      for (const connectionId of new Set(deliveries.map((d) => d.connectionId))) {
        const mine = deliveries.flatMap((d, i) => (d.connectionId === connectionId ? [i] : []));
        const signed = mine.flatMap((i) => deliveries[i]?.signature ?? []);
        for (const chunk of chunks(signed, 1)) {
          const rows = await db
            .selectFrom('webhook_inbox')
            .select('signature')
            .where('connection_id', '=', connectionId)
            .where('signature', 'in', chunk)
            .execute();
          for (const r of rows) if (r.signature !== null) signatures.add(seen(connectionId, r.signature));
        }
        for (const chunk of chunks(
          mine.map((i) => digests[i] as string),
          1,
        )) {
          const rows = await db
            .selectFrom('webhook_inbox')
            .select('digest')
            .where('connection_id', '=', connectionId)
            .where('digest', 'in', chunk)
            .execute();
          for (const r of rows) stored.add(seen(connectionId, r.digest));
        }
      }
      const rows = [];
      const acceptances: Acceptance[] = [];
      for (const [i, delivery] of deliveries.entries()) {
        const digest = digests[i] as string;
        const signature =
          delivery.signature === null ? null : seen(delivery.connectionId, delivery.signature);
        if (signature !== null && signatures.has(signature)) acceptances.push('replayed');
        else if (stored.has(seen(delivery.connectionId, digest))) acceptances.push('duplicate');
        else {
          if (signature !== null) signatures.add(signature);
          stored.add(seen(delivery.connectionId, digest));
          acceptances.push('stored');
          rows.push({
            connection_id: delivery.connectionId,
            received_at: delivery.receivedAt.toISOString(),
            event: delivery.event,
            digest,
            signature: delivery.signature,
            subject: delivery.subject,
            final: delivery.final ? 1 : 0,
            body: delivery.body,
            state: 'pending',
          });
        }
      }
      for (const chunk of chunks(rows, 9)) await db.insertInto('webhook_inbox').values(chunk).execute();
      return acceptances;
    });
  try {
    return await attempt();
  } catch (error) {
    // PostgreSQL: the same delivery arriving at another replica at once; the second try sees it.
    if (isUniqueViolation(error)) return attempt();
    throw error;
  }
}

/** The oldest deliveries still to process, after `afterId` (a pass walks forward past those it deferred). */
export async function pendingDeliveries(
  store: Store,
  limit: number,
  afterId = 0,
  connectionId: number | null = null,
): Promise<StoredDelivery[]> {
  let query = store.db
    .selectFrom('webhook_inbox')
    .select(['id', 'connection_id', 'event', 'body', 'subject', 'attempts', 'received_at'])
    .where('state', '=', 'pending')
    .where('id', '>', afterId);
  if (connectionId !== null) query = query.where('connection_id', '=', connectionId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map(storedDelivery);
}

const storedDelivery = (r: {
  id: number;
  connection_id: number;
  event: string;
  body: string;
  subject: string | null;
  attempts: number;
  received_at: string;
}): StoredDelivery => ({
  id: r.id,
  connectionId: r.connection_id,
  event: r.event,
  body: r.body,
  subject: r.subject,
  attempts: r.attempts,
  receivedAt: r.received_at,
});

/** Those of `ids` still pending, oldest first (a queued delivery another worker finished is skipped). */
export async function pendingDeliveriesById(store: Store, ids: readonly number[]): Promise<StoredDelivery[]> {
  const found: StoredDelivery[] = [];
  for (const chunk of chunks([...ids], 1)) {
    const rows = await store.db
      .selectFrom('webhook_inbox')
      .select(['id', 'connection_id', 'event', 'body', 'subject', 'attempts', 'received_at'])
      .where('state', '=', 'pending')
      .where('id', 'in', chunk)
      .orderBy('id')
      .execute();
    found.push(...rows.map(storedDelivery));
  }
  return found.sort((a, b) => a.id - b.id);
}

/** `done`: written through the sync path; `ignored`: nothing to write (a ping, an agent event). */
export async function settleDeliveries(
  store: Store,
  ids: readonly number[],
  state: 'done' | 'ignored',
  note: string | null = null,
  now: Date = new Date(),
): Promise<void> {
  for (const chunk of chunks([...ids], 1)) {
    await store.db
      .updateTable('webhook_inbox')
      .set({ state, processed_at: now.toISOString(), error: note === null ? null : redact(note) })
      .where('id', 'in', chunk)
      .execute();
  }
}

/** A failed try: the delivery stays pending for a later pass, or is left as failed after MAX_ATTEMPTS. */
export async function deferDeliveries(
  store: Store,
  ids: readonly number[],
  error: string,
  now: Date = new Date(),
): Promise<void> {
  for (const chunk of chunks([...ids], 1)) {
    await store.db
      .updateTable('webhook_inbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        error: redact(error),
        processed_at: now.toISOString(),
        state: sql<string>`case when attempts + 1 >= ${MAX_ATTEMPTS} then 'failed' else 'pending' end`,
      }))
      .where('id', 'in', chunk)
      .execute();
  }
}

/** Which of `subjects` a delivery of the connection announced as finished. */
export async function announcedFinished(
  store: Store,
  connectionId: number,
  subjects: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks([...new Set(subjects)], 1)) {
    const rows = await store.db
      .selectFrom('webhook_inbox')
      .select('subject')
      .where('connection_id', '=', connectionId)
      .where('final', '=', 1)
      .where('subject', 'in', chunk)
      .execute();
    for (const r of rows) if (r.subject !== null) found.add(r.subject);
  }
  return found;
}

export interface InboxHealth {
  connectionId: number;
  lastDeliveryAt: string | null;
  pending: number;
  failed: number;
  processed: number;
}

/** Per connection with deliveries: the last one's time and how many are pending, failed and processed. */
export async function inboxHealth(store: Store): Promise<Map<number, InboxHealth>> {
  const rows = await store.db
    .selectFrom('webhook_inbox')
    .select((eb) => [
      'connection_id',
      eb.fn.max('received_at').as('last'),
      eb.fn.sum<number>(sql`case when state = 'pending' then 1 else 0 end`).as('pending'),
      eb.fn.sum<number>(sql`case when state = 'failed' then 1 else 0 end`).as('failed'),
      eb.fn.sum<number>(sql`case when state in ('done', 'ignored') then 1 else 0 end`).as('processed'),
    ])
    .groupBy('connection_id')
    .execute();
  return new Map(
    rows.map((r) => [
      r.connection_id,
      {
        connectionId: r.connection_id,
        lastDeliveryAt: r.last ?? null,
        pending: Number(r.pending ?? 0),
        failed: Number(r.failed ?? 0),
        processed: Number(r.processed ?? 0),
      },
    ]),
  );
}

/** Forgets processed deliveries older than KEEP_DAYS (a signature is stale long before that). */
export async function pruneInbox(store: Store, now: Date = new Date()): Promise<void> {
  const before = new Date(now.getTime() - KEEP_DAYS * 86_400_000).toISOString();
  await store.db
    .deleteFrom('webhook_inbox')
    .where('state', '!=', 'pending')
    .where('processed_at', '<', before)
    .execute();
}
