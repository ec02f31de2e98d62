// `buildlens serve`: the HTTP API and the dashboard over the store, until Ctrl-C.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { rememberSecret, shortSecretProblem } from '../../domain/redaction.js';
import { DEFAULT_PROJECT_LIMIT, MAX_PROJECT_LIMIT } from '../../metrics/project-overview.js';
import { openJobQueue } from '../../queue/queue.js';
import { startServer, UnsafeServerOptions } from '../../server/serve.js';
import type { Store } from '../../store/store.js';
import { listWebhooks } from '../../store/webhooks.js';
import type { Cli } from '../context.js';
import { UsageError } from '../errors.js';
import { parseInteger } from '../parse.js';
import { interrupted } from '../signals.js';
import { postgresLocation } from './worker.js';

export interface ServeSettings {
  host: string;
  port: number;
  /** null: never; undefined: every RECONCILE_EVERY_MS when a connection has a webhook, else never. */
  syncEveryMs: number | null | undefined;
  /** At most this many projects have /metrics series of their own (docs/grafana.md). */
  metricsProjects?: number;
  /** --alerts; else $BUILDLENS_ALERTS or alerts.yaml beside the database. */
  alertsFile?: string;
  /** `--workers external`: the PostgreSQL URL whose job queue takes syncs and deliveries instead. */
  queueUrl?: string;
}

/**
 * Reader threads of a SQLite store while serving: reads run beside each other and off the event loop, so
 * one slow report does not hold the others (src/store/sqlite-readers.ts). PostgreSQL has its own pool.
 */
export const SERVER_READERS = Math.max(2, Math.min(4, availableParallelism()));

/** With webhooks, the periodic sync is the safety net that finds what deliveries missed (docs/webhooks.md). */
export const RECONCILE_EVERY_MS = 15 * 60_000;

/** `15m`, `1h`, `90s` (at least 10 seconds: a sync of a large account takes longer than that anyway). */
export function parseInterval(value: string): number {
  if (value.trim() === 'off') return 0;
  const match = /^(\d{1,6})(s|m|h)$/.exec(value.trim());
  const ms = match ? Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'] : 0;
  if (ms < 10_000)
    throw new UsageError(`--sync-every must look like 15m, 1h or 90s (at least 10s), or off, got "${value}"`);
  return ms;
}

/** Serves the store until SIGINT/SIGTERM; `demo` ends here too. */
export async function serveUntilInterrupted(cli: Cli, store: Store, settings: ServeSettings): Promise<void> {
  const token = cli.io.env.BUILDLENS_SERVER_TOKEN ?? null;
  if (token) {
    const short = shortSecretProblem(token, 'BUILDLENS_SERVER_TOKEN');
    if (short) throw new UsageError(short);
    rememberSecret(token);
  }
  // With external workers the schedule is theirs (buildlens worker --sync-every).
  const syncEveryMs = settings.queueUrl
    ? null
    : settings.syncEveryMs !== undefined
      ? settings.syncEveryMs
      : (await listWebhooks(store)).length > 0
        ? RECONCILE_EVERY_MS
        : null;
  const log = (line: string) => cli.io.stderr.write(`${line}\n`);
  const queue = settings.queueUrl
    ? await openJobQueue(settings.queueUrl, store, { log, maintain: false })
    : undefined;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      store,
      host: settings.host,
      port: settings.port,
      token,
      syncEveryMs,
      metricsProjects: settings.metricsProjects,
      alertsFile: settings.alertsFile ?? cli.io.env.BUILDLENS_ALERTS,
      log,
      queue,
    });
  } catch (error) {
    await queue?.stop();
    if (error instanceof UnsafeServerOptions) throw new UsageError(error.message);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new UsageError(`port ${settings.port} is in use: choose another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new UsageError(`cannot listen on ${settings.host}: not an address of this machine`);
    throw error;
  }
  const stopped = interrupted();
  cli.print(`Dashboard: ${server.url}/`);
  cli.info(
    `API: ${server.url}/api/openapi.json${syncEveryMs ? `; syncing every ${syncEveryMs / 1000}s` : ''}${queue ? '; syncs and webhook deliveries go to the workers' : ''}; press Ctrl-C to stop`,
  );
  await stopped;
  await server.close();
  await queue?.stop();
}

interface ServeFlags {
  host: string;
  port: string;
  syncEvery?: string;
  metricsProjects: string;
  alerts?: string;
  workers: string;
}

export function registerServe(program: Command, cli: Cli): void {
  program
    .command('serve')
    .description('serve the HTTP API and the dashboard until Ctrl-C')
    .option(
      '--host <address>',
      'address to listen on (off loopback, BUILDLENS_SERVER_TOKEN is required)',
      '127.0.0.1',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option(
      '--sync-every <interval>',
      'sync every connection this often, e.g. 15m, or off (default: 15m when a connection has a webhook, else off)',
    )
    .option(
      '--metrics-projects <n>',
      'at most this many projects (the most built) get /metrics series of their own; the rest are project="other"',
      String(DEFAULT_PROJECT_LIMIT),
    )
    .option(
      '--alerts <file>',
      'alerts judged after each sync and webhook batch (default: $BUILDLENS_ALERTS, else alerts.yaml beside the database)',
    )
    .option(
      '--workers <where>',
      'here: this process syncs and processes webhooks; external: it queues them for buildlens worker (PostgreSQL)',
      'here',
    )
    .action(async (options: ServeFlags) => {
      if (options.workers !== 'here' && options.workers !== 'external')
        throw new UsageError(`--workers must be here or external, got "${options.workers}"`);
      const queueUrl =
        options.workers === 'external' ? postgresLocation(cli, 'serve --workers external') : undefined;
      if (queueUrl && options.syncEvery !== undefined)
        throw new UsageError(
          "--sync-every is the workers' setting with --workers external: buildlens worker --sync-every",
        );
      const settings: ServeSettings = {
        alertsFile: options.alerts,
        queueUrl,
        host: options.host,
        port: parseInteger(options.port, '--port', 0, 65535),
        syncEveryMs: options.syncEvery === undefined ? undefined : parseInterval(options.syncEvery) || null,
        metricsProjects: parseInteger(options.metricsProjects, '--metrics-projects', 0, MAX_PROJECT_LIMIT),
      };
      await cli.withStore((store) => serveUntilInterrupted(cli, store, settings), {
        readers: SERVER_READERS,
      });
    });
}
