// The HTTP server: security and errors first, then one plugin per group of routes, then the dashboard.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { redact } from '../domain/redaction.js';
import { DEFAULT_PROJECT_LIMIT } from '../metrics/project-overview.js';
import { findApiToken } from '../store/api-tokens.js';
import type { Store } from '../store/store.js';
import { type DeliveryHandling, WebhookProcessor } from '../webhooks/processor.js';
import { WebhookReceiver } from '../webhooks/receive.js';
import { registerAnswerCache } from './answer-cache.js';
import { registerAudit } from './audit.js';
import type { ServerContext, ServerWebhooks } from './context.js';
import { DataVersionWatch } from './data-version-watch.js';
import { registerErrorHandling } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { alertRoutes } from './routes/alerts.js';
import { connectionRoutes } from './routes/connections.js';
import { eventRoutes } from './routes/events.js';
import { flakyRoutes } from './routes/flaky.js';
import { healthRoutes } from './routes/health.js';
import { levelRoutes } from './routes/levels.js';
import { projectRoutes } from './routes/projects.js';
import { prometheusRoutes } from './routes/prometheus.js';
import { reportRoutes } from './routes/report.js';
import { ruleRoutes } from './routes/rules.js';
import { runRoutes } from './routes/runs.js';
import { syncRoutes } from './routes/sync.js';
import { webhookRoutes } from './routes/webhooks.js';
import { zodValidatorCompiler } from './schema.js';
import { registerSecurity, setSecurityHeaders } from './security.js';
import { registerStatic } from './static.js';
import type { SyncRunner } from './sync-runner.js';

export interface AppOptions {
  store: Store;
  sync: SyncRunner;
  /** The bootstrap admin token (BUILDLENS_SERVER_TOKEN); null for none. */
  token: string | null;
  /** The server listens on loopback only. */
  loopback: boolean;
  /** Folder of the built dashboard (default: dist/web of this package). */
  webRoot?: string;
  /** Where unexpected errors go (never to clients). */
  log?: (line: string) => void;
  /** Processes webhook deliveries; by default one that is kicked by each delivery (no retry timer). */
  webhookProcessor?: DeliveryHandling;
  /** Clock for webhook signature ages and the windows of /metrics (tests); the real one by default. */
  now?: () => number;
  /** At most this many projects have /metrics series of their own (DEFAULT_PROJECT_LIMIT by default). */
  metricsProjects?: number;
  /** How often /api/events reads the store's data version while someone listens. */
  watchEveryMs?: number;
  /** The alerts file (--alerts); else $BUILDLENS_ALERTS or alerts.yaml beside the database. */
  alertsFile?: string;
}

const BODY_LIMIT_BYTES = 16 * 1024;

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Our own errors are one-line and safe to show; Fastify's defaults would be replaced anyway.
    return503OnClosing: true,
    // A URL that cannot be decoded (invalid UTF-8 in a percent-encoding) is refused before any hook runs:
    // it still gets our error shape and the security headers.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      setSecurityHeaders(reply);
      const bad = error.code === 'FST_ERR_BAD_URL';
      reply.code(bad ? 400 : 500).send({
        error: bad ? 'bad_request' : 'internal_error',
        message: bad ? 'the URL is not valid: a percent-encoded part is not UTF-8' : 'internal error',
      });
    },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  // JSON bodies only: a plain-text or form POST (what a foreign page can send without asking) gets a 415.
  app.removeContentTypeParser('text/plain');
  // Responses are produced by our own typed code; their schemas document the API and are checked in tests.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const rawLog = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const log = (line: string) => rawLog(redact(line));
  registerSecurity(app, {
    token: options.token,
    loopback: options.loopback,
    findToken: (given) => findApiToken(options.store, given),
  });
  registerAudit(app, options.store, log);
  registerAnswerCache(app, options.store, { now: options.now });
  registerErrorHandling(app, log);
  registerOpenApi(app, version);

  const processor = options.webhookProcessor ?? new WebhookProcessor(options.store, { log });
  const webhooks: ServerWebhooks = {
    processor,
    receiver: new WebhookReceiver(options.store, () => processor.kick(), options.now, log),
  };
  app.addHook('onClose', () => webhooks.receiver.storeRefusals(true));
  const dataVersions = new DataVersionWatch(options.store, log, options.watchEveryMs);
  app.addHook('onClose', async () => dataVersions.stop());
  const context: ServerContext = {
    store: options.store,
    sync: options.sync,
    version,
    webhooks,
    dataVersions,
    log,
    metricsProjects: options.metricsProjects ?? DEFAULT_PROJECT_LIMIT,
    now: options.now ?? Date.now,
    alertsFile: options.alertsFile,
  };
  for (const routes of [
    healthRoutes,
    connectionRoutes,
    projectRoutes,
    runRoutes,
    levelRoutes,
    reportRoutes,
    flakyRoutes,
    ruleRoutes,
    alertRoutes,
    syncRoutes,
    prometheusRoutes,
    webhookRoutes,
    eventRoutes,
  ]) {
    await app.register(routes, context);
  }
  registerStatic(app, options.webRoot ?? DEFAULT_WEB_ROOT);
  return app;
}
