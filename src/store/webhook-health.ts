// A connection's webhook health as a document (the connections page, /api/connections, `connect list
// --json`): when the last delivery came, how many were accepted and refused, what waits in the inbox, and
// the runs the webhooks missed. Refusals are what the servers added to the store, plus what this server
// refused since it last added its own (a server adds them every few seconds, not one write per request).
import { z } from 'zod';
import { inboxHealth } from './inbox.js';
import type { Store } from './store.js';
import { listWebhooks, mergeRefusals, type Refusals } from './webhooks.js';

export const webhookHealthRecord = z
  .object({
    set_up_at: z.string(),
    last_delivery_at: z.string().nullable().describe('When the last accepted delivery arrived'),
    accepted: z.number().describe('Deliveries accepted and still kept (processed ones are kept 14 days)'),
    pending: z.number().describe('Accepted deliveries waiting to be processed'),
    failed: z.number().describe('Deliveries given up on after 5 tries (the next sync brings their runs)'),
    refused: z.number().describe('Deliveries refused (forged, stale, replayed) by every server, in total'),
    last_refused_at: z.string().nullable(),
    last_refusal_reason: z.string().nullable(),
    missed_runs: z.number().describe('Runs reconciling syncs found that no delivery had announced, in total'),
    missed_at_last_reconciliation: z
      .number()
      .nullable()
      .describe('Of those, the ones the last complete sync found; null before one ran with the webhook'),
  })
  .nullable()
  .describe('Webhook health; null when the connection has no webhook');
export type WebhookHealthRecord = z.infer<typeof webhookHealthRecord>;

/** What the store knows; the last reconciliation's count comes with the connection's sync state. */
export type StoredWebhookHealth = Omit<NonNullable<WebhookHealthRecord>, 'missed_at_last_reconciliation'>;

/**
 * The health of every connection with a webhook, by connection id; `unstored`: the refusals a server
 * counted and has not added to the store yet, by connection id.
 */
export async function webhookHealthRecords(
  store: Store,
  unstored: ReadonlyMap<number, Refusals> = new Map(),
): Promise<Map<number, StoredWebhookHealth>> {
  const [webhooks, inbox] = await Promise.all([listWebhooks(store), inboxHealth(store)]);
  return new Map(
    webhooks.map((w) => {
      const box = inbox.get(w.connectionId);
      const refused = mergeRefusals(w.refusals, unstored.get(w.connectionId));
      return [
        w.connectionId,
        {
          set_up_at: w.createdAt,
          last_delivery_at: box?.lastDeliveryAt ?? null,
          accepted: (box?.pending ?? 0) + (box?.failed ?? 0) + (box?.processed ?? 0),
          pending: box?.pending ?? 0,
          failed: box?.failed ?? 0,
          refused: refused?.count ?? 0,
          last_refused_at: refused?.lastAt ?? null,
          last_refusal_reason: refused?.lastReason ?? null,
          missed_runs: w.missedRuns,
        },
      ];
    }),
  );
}
