// Running the server: refuses an open address without a token, starts the optional background sync,
// and closes everything in order.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { AlertPassOptions } from '../alerts/run.js';
import { AlertService } from '../alerts/service.js';
import { InboxDispatcher } from '../queue/dispatch.js';
import type { JobQueue } from '../queue/queue.js';
import { syncThroughQueue } from '../queue/through-queue.js';
import { hasAdminToken } from '../store/api-tokens.js';
import type { Store } from '../store/store.js';
import { type DeliveryHandling, WebhookProcessor } from '../webhooks/processor.js';
import { buildApp } from './app.js';
import { isLoopbackHost } from './security.js';
import { SyncRunner } from './sync-runner.js';

export interface ServeOptions {
  store: Store;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** From $BUILDLENS_SERVER_TOKEN, the bootstrap admin; off loopback it or a named admin token is required. */
  token: string | null;
  /** Sync every connection this often; null for no background sync. */
  syncEveryMs: number | null;
  lookbackDays?: number;
  webRoot?: string;
  log?: (line: string) => void;
  /** At most this many projects have /metrics series of their own. */
  metricsProjects?: number;
  /** The alerts file (--alerts); else $BUILDLENS_ALERTS or alerts.yaml beside the database. */
  alertsFile?: string;
  /** Alert passes' clock and retry settings (tests). */
  alertOptions?: AlertPassOptions;
  /** Workers elsewhere take syncs and deliveries from this queue; this process only queues them. */
  queue?: JobQueue;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  sync: SyncRunner;
  webhooks: DeliveryHandling;
  alerts: AlertService;
  close(): Promise<void>;
}

/** Thrown before listening when the options would expose data; the message says what to do. */
export class UnsafeServerOptions extends Error {
  override name = 'UnsafeServerOptions';
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const loopback = isLoopbackHost(options.host);
  const token = options.token?.trim() || null;
  if (!loopback && token === null && !(await hasAdminToken(options.store)))
    throw new UnsafeServerOptions(
      `refusing to listen on ${options.host} without a token: set BUILDLENS_SERVER_TOKEN or make an admin token (buildlens token create NAME --role admin), or use --host 127.0.0.1`,
    );
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const alerts = new AlertService(options.store, { ...options.alertOptions, file: options.alertsFile, log });
  const afterSync = () => alerts.request();
  const { queue } = options;
  const sync = new SyncRunner(options.store, {
    lookbackDays: options.lookbackDays,
    log,
    afterSync,
    syncOne: queue && syncThroughQueue(queue),
  });
  const webhooks: DeliveryHandling = queue
    ? new InboxDispatcher(options.store, queue, log)
    : new WebhookProcessor(options.store, {
        log,
        sync: { lookbackDays: options.lookbackDays },
        afterBatch: afterSync,
      });
  const app = await buildApp({
    store: options.store,
    sync,
    token,
    loopback,
    webRoot: options.webRoot,
    log,
    webhookProcessor: webhooks,
    metricsProjects: options.metricsProjects,
    alertsFile: options.alertsFile,
  });
  await app.listen({ host: options.host, port: options.port });
  if (options.syncEveryMs !== null) sync.schedule(options.syncEveryMs);
  // Deliveries stored before the last stop (or a crash) are processed now.
  webhooks.start();
  const { address, port } = app.server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    app,
    sync,
    webhooks,
    alerts,
    close: async () => {
      sync.stop();
      webhooks.stop();
      await app.close();
      await webhooks.idle();
      await alerts.idle();
    },
  };
}
