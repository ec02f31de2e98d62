// `buildlens worker`: takes scheduled syncs and webhook deliveries from the job queue in PostgreSQL until
// stopped (docs/deploy.md). Any number of workers on any machines; `serve --workers external` queues.
import type { Command } from 'commander';
import { AlertService } from '../../alerts/service.js';
import { openJobQueue } from '../../queue/queue.js';
import { startWorker } from '../../queue/worker.js';
import { isPostgresUrl, resolveLocation } from '../../store/paths.js';
import type { Cli } from '../context.js';
import { UsageError } from '../errors.js';
import { parseInteger, parseLookbackDays } from '../parse.js';
import { interrupted } from '../signals.js';
import { parseInterval } from './serve.js';

/** The workers' default: every connection synced every 15 minutes (with webhooks, the safety net). */
const DEFAULT_SYNC_EVERY = '15m';

/** The store location, refused with one line unless it is PostgreSQL: `what` needs several processes. */
export function postgresLocation(cli: Cli, what: string): string {
  const location = resolveLocation(cli.options.db ?? cli.io.env.BUILDLENS_DB);
  if (!isPostgresUrl(location))
    throw new UsageError(
      `${what} needs a PostgreSQL store (--db postgres://…); with SQLite, buildlens serve syncs and processes webhooks itself`,
    );
  return location;
}

export function registerWorker(program: Command, cli: Cli): void {
  program
    .command('worker')
    .description('take scheduled syncs and webhook deliveries from the job queue (PostgreSQL) until Ctrl-C')
    .option(
      '--sync-every <interval>',
      'sync every connection this often (give every worker the same), e.g. 15m, or off',
      DEFAULT_SYNC_EVERY,
    )
    .option('--concurrency <n>', 'syncs and deliveries this worker runs at once, each', '2')
    .option('--lookback <days>', 'first sync of a connection: how far back, e.g. 90d')
    .option(
      '--alerts <file>',
      'alerts judged after each sync and webhook delivery (default: $BUILDLENS_ALERTS, else alerts.yaml in the user data directory)',
    )
    .action(
      async (options: { syncEvery: string; concurrency: string; lookback?: string; alerts?: string }) => {
        const url = postgresLocation(cli, 'buildlens worker');
        const syncEveryMs = parseInterval(options.syncEvery) || null;
        const concurrency = parseInteger(options.concurrency, '--concurrency', 1, 32);
        const lookbackDays = options.lookback === undefined ? undefined : parseLookbackDays(options.lookback);
        // Each sync and each delivery batch holds its connection's sync lock.
        await cli.withStore(
          async (store) => {
            const log = (line: string) => cli.io.stderr.write(`${line}\n`);
            const queue = await openJobQueue(url, store, { log, maintain: true });
            const alerts = new AlertService(store, { file: options.alerts, env: cli.io.env, log });
            const worker = await startWorker(store, queue, {
              syncEveryMs,
              concurrency,
              lookbackDays,
              log,
              afterWork: () => alerts.request(),
            });
            const stopped = interrupted();
            cli.info(
              `Worker on ${store.location}: ${concurrency} syncs and ${concurrency} deliveries at once` +
                `${syncEveryMs ? `, every connection synced every ${syncEveryMs / 1000}s` : ''}; press Ctrl-C to stop`,
            );
            await stopped;
            await worker.stop();
            await alerts.idle();
          },
          { lockSessions: 2 * concurrency },
        );
      },
    );
}
