// Webhook health for /metrics: per connection with a webhook, the runs reconciliation found the webhooks
// missed, deliveries refused (by every server, as the store counts them, plus what this one has not added
// yet), the inbox's pending and failed deliveries, and when the last delivery came. A rising missed or
// refused count is delivery loss a person can see.
import { inboxHealth } from '../store/inbox.js';
import type { Store } from '../store/store.js';
import { listWebhooks, mergeRefusals } from '../store/webhooks.js';
import type { ServerWebhooks } from './context.js';
import type { Family } from './exposition.js';

export async function webhookFamilies(store: Store, webhooks: ServerWebhooks): Promise<Family[]> {
  const configured = await listWebhooks(store);
  const health = await inboxHealth(store);
  const unstored = webhooks.receiver.unstoredRefusals();
  const per = (value: (w: (typeof configured)[number]) => number | null) =>
    configured.flatMap((w) => {
      const v = value(w);
      return v === null ? [] : [{ labels: { connection: w.connection }, value: v }];
    });
  return [
    {
      name: 'buildlens_webhook_missed_runs_total',
      help: 'Runs a reconciling sync found finished that no webhook delivery had announced',
      type: 'counter',
      samples: per((w) => w.missedRuns),
    },
    {
      name: 'buildlens_webhook_refused_total',
      help: 'Webhook deliveries refused (unsigned, forged, stale, replayed), by every server',
      type: 'counter',
      samples: per((w) => mergeRefusals(w.refusals, unstored.get(w.connectionId))?.count ?? 0),
    },
    {
      name: 'buildlens_webhook_inbox_deliveries',
      help: 'Webhook deliveries in the inbox waiting to be processed (pending) or given up on (failed)',
      type: 'gauge',
      samples: configured.flatMap((w) =>
        (['pending', 'failed'] as const).map((state) => ({
          labels: { connection: w.connection, state },
          value: health.get(w.connectionId)?.[state] ?? 0,
        })),
      ),
    },
    {
      name: 'buildlens_webhook_last_delivery_timestamp_seconds',
      help: 'When the last accepted webhook delivery of the connection arrived (Unix time)',
      type: 'gauge',
      samples: per((w) => {
        const last = health.get(w.connectionId)?.lastDeliveryAt;
        return last ? Date.parse(last) / 1000 : null;
      }),
    },
  ];
}
