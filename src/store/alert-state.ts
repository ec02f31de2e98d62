// Alert states and their outbox (migration 015). A state changes only by a conditional update from the
// state it had (ok → firing, firing → ok), in the transaction that queues its messages: of several processes
// evaluating at once, exactly one makes the transition and queues them, so an alert is neither repeated
// nor forgotten across restarts and workers. A delivery is claimed the same way before it is sent.
import { inWriteTransaction } from './dialect.js';
import type { Store } from './store.js';

export const ALERT_STATES = ['ok', 'firing'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const DELIVERY_STATES = ['pending', 'sent', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export type AlertEvent = 'firing' | 'resolved';

export interface StoredAlertState {
  rule: string;
  subject: string;
  state: AlertState;
  /** When it entered this state. */
  since: string;
  value: number | null;
  previous: number | null;
  runs: number | null;
  evaluatedAt: string;
}

export interface Judged {
  rule: string;
  subject: string;
  value: number | null;
  previous: number | null;
  runs: number;
  at: string;
}

/** Records the latest figures of a rule's subject (a new subject starts ok); the state is left as it is. */
export async function recordJudgement(store: Store, judged: Judged): Promise<void> {
  const figures = {
    value: judged.value,
    previous: judged.previous,
    runs: judged.runs,
    evaluated_at: judged.at,
  };
  await store.db
    .insertInto('alert_states')
    .values({ rule: judged.rule, subject: judged.subject, state: 'ok', since: judged.at, ...figures })
    .onConflict((oc) => oc.columns(['rule', 'subject']).doUpdateSet(figures))
    .execute();
}

export interface QueuedMessage {
  destination: string;
  /** The message as JSON text. */
  message: string;
}

/**
 * Moves a subject's state from `from` to `to` and queues its messages, in one transaction; the ids of the
 * queued deliveries, or null when the state was not `from` (another process made the transition first, or
 * there was none to make).
 */
export async function claimTransition(
  store: Store,
  transition: {
    rule: string;
    subject: string;
    from: AlertState;
    to: AlertState;
    at: string;
    messages: QueuedMessage[];
  },
): Promise<number[] | null> {
  const event: AlertEvent = transition.to === 'firing' ? 'firing' : 'resolved';
  return inWriteTransaction(store, async (db) => {
    const updated = await db
      .updateTable('alert_states')
      .set({ state: transition.to, since: transition.at })
      .where('rule', '=', transition.rule)
      .where('subject', '=', transition.subject)
      .where('state', '=', transition.from)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return null;
    if (transition.messages.length === 0) return [];
    const rows = await db
      .insertInto('alert_deliveries')
      .values(
        transition.messages.map((m) => ({
          rule: transition.rule,
          subject: transition.subject,
          event,
          destination: m.destination,
          message: m.message,
          created_at: transition.at,
          state: 'pending',
        })),
      )
      .returning('id')
      .execute();
    return rows.map((r) => Number(r.id));
  });
}

export async function listAlertStates(store: Store): Promise<StoredAlertState[]> {
  const rows = await store.db
    .selectFrom('alert_states')
    .selectAll()
    .orderBy('rule')
    .orderBy('subject')
    .execute();
  return rows.map((r) => ({
    rule: r.rule,
    subject: r.subject,
    state: r.state as AlertState,
    since: r.since,
    value: r.value === null ? null : Number(r.value),
    previous: r.previous === null ? null : Number(r.previous),
    runs: r.runs === null ? null : Number(r.runs),
    evaluatedAt: r.evaluated_at,
  }));
}

export interface Delivery {
  id: number;
  rule: string;
  subject: string;
  event: AlertEvent;
  destination: string;
  message: string;
  createdAt: string;
  state: DeliveryState;
  attempts: number;
  finishedAt: string | null;
  error: string | null;
}

/**
 * Deliveries waiting to be sent: never claimed, or claimed before `staleBefore` by a process that did not
 * finish them (it died). Oldest first.
 */
export async function pendingDeliveryIds(store: Store, staleBefore: string): Promise<number[]> {
  const rows = await store.db
    .selectFrom('alert_deliveries')
    .select('id')
    .where('state', '=', 'pending')
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', staleBefore)]))
    .orderBy('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

/** Claims a pending delivery for this process; null when another one holds it or it is done. */
export async function claimDelivery(
  store: Store,
  id: number,
  at: string,
  staleBefore: string,
): Promise<Delivery | null> {
  const updated = await store.db
    .updateTable('alert_deliveries')
    .set({ claimed_at: at })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', staleBefore)]))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return null;
  const row = await store.db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? deliveryOf(row) : null;
}

/** Records how sending ended: sent, or failed after `attempts` with the (redacted) error. */
export async function finishDelivery(
  store: Store,
  id: number,
  outcome: { state: 'sent' | 'failed'; attempts: number; error: string | null; at: string },
): Promise<void> {
  await store.db
    .updateTable('alert_deliveries')
    .set({ state: outcome.state, attempts: outcome.attempts, error: outcome.error, finished_at: outcome.at })
    .where('id', '=', id)
    .execute();
}

function deliveryOf(row: {
  id: number;
  rule: string;
  subject: string;
  event: string;
  destination: string;
  message: string;
  created_at: string;
  state: string;
  attempts: number;
  finished_at: string | null;
  error: string | null;
}): Delivery {
  return {
    id: Number(row.id),
    rule: row.rule,
    subject: row.subject,
    event: row.event as AlertEvent,
    destination: row.destination,
    message: row.message,
    createdAt: row.created_at,
    state: row.state as DeliveryState,
    attempts: Number(row.attempts),
    finishedAt: row.finished_at,
    error: row.error,
  };
}

/** The latest failed delivery of each destination, newest first. */
export async function lastDeliveryFailures(store: Store): Promise<Delivery[]> {
  const rows = await store.db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('alert_deliveries')
        .select((e) => e.fn.max('id').as('id'))
        .where('state', '=', 'failed')
        .groupBy('destination'),
    )
    .orderBy('id', 'desc')
    .execute();
  return rows.map(deliveryOf);
}

/** Deliveries per destination and state, for /metrics. */
export async function deliveryCounts(
  store: Store,
): Promise<{ destination: string; state: DeliveryState; count: number }[]> {
  const rows = await store.db
    .selectFrom('alert_deliveries')
    .select(['destination', 'state', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy(['destination', 'state'])
    .orderBy('destination')
    .orderBy('state')
    .execute();
  return rows.map((r) => ({
    destination: r.destination,
    state: r.state as DeliveryState,
    count: Number(r.n),
  }));
}
