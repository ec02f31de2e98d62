// What every route group is given.
import type { Store } from '../store/store.js';
import type { DeliveryHandling } from '../webhooks/processor.js';
import type { WebhookReceiver } from '../webhooks/receive.js';
import type { DataVersionWatch } from './data-version-watch.js';
import type { SyncRunner } from './sync-runner.js';

export interface ServerWebhooks {
  receiver: WebhookReceiver;
  processor: DeliveryHandling;
}

export interface ServerContext {
  store: Store;
  sync: SyncRunner;
  version: string;
  webhooks: ServerWebhooks;
  /** The store's data version, watched for /api/events. */
  dataVersions: DataVersionWatch;
  /** The server log (already redacted). */
  log: (line: string) => void;
  /** At most this many projects have /metrics series of their own; the rest are project="other". */
  metricsProjects: number;
  /** Where the windows of /metrics end (the real clock but in tests). */
  now: () => number;
  /** The alerts file given to `serve --alerts`; else $BUILDLENS_ALERTS or alerts.yaml beside the database. */
  alertsFile?: string;
}
