// `buildlens sync`: imports new and changed runs of some or all connections, with progress and a summary.
import type { Command } from 'commander';
import { rulesForStore } from '../../classify/rules.js';
import { HttpError } from '../../connectors/http.js';
import type { Provider } from '../../domain/model.js';
import { listConnections } from '../../store/connections.js';
import { firstLine } from '../../store/errors.js';
import { SyncLockedError } from '../../store/lock.js';
import { SecretError } from '../../store/secrets.js';
import type { Store } from '../../store/store.js';
import { syncSummaryRecord } from '../../store/sync-state.js';
import { addCounts, noCounts, type SyncCounts, type SyncSummary, syncConnection } from '../../sync/sync.js';
import type { Cli } from '../context.js';
import { ConnectionFailure, UsageError } from '../errors.js';
import { parseLookbackDays } from '../parse.js';
import { SyncProgress } from '../progress.js';
import { alertsAfterSync } from './alerts.js';

export const PROJECT_UNIT: Record<Provider, string> = { bitrise: 'apps', buildkite: 'pipelines' };

export interface SyncOutcome {
  connections: SyncSummary[];
  totals: SyncCounts;
  /** Connections that failed, with the one-line reason. */
  failed: { connection: string; error: string }[];
}

function totalsOf(summaries: SyncSummary[]): SyncCounts {
  const totals = noCounts();
  for (const s of summaries) addCounts(totals, s);
  return totals;
}

/** Syncs the named connections (all when none are named), carrying on past a failing one. */
export async function runSync(
  cli: Cli,
  store: Store,
  names: string[],
  lookbackDays: number,
  rulesFile?: string,
  /** false: no step lists this time (`--no-steps`); undefined: each connection's setting. */
  steps?: boolean,
): Promise<SyncOutcome> {
  const rules = rulesForStore(store, rulesFile, cli.io.env);
  const connections = await listConnections(store);
  const unknown = names.find((n) => !connections.some((c) => c.name === n));
  if (unknown !== undefined) throw new UsageError(`unknown connection "${unknown}"`);
  const selected = names.length > 0 ? connections.filter((c) => names.includes(c.name)) : connections;
  if (selected.length === 0)
    throw new UsageError('no connections to sync: add one with "buildlens connect add"');

  const stderr = cli.io.stderr;
  const progress = new SyncProgress(stderr, cli.options.quiet ? 'off' : stderr.isTTY ? 'tty' : 'plain');
  const outcome: SyncOutcome = { connections: [], totals: totalsOf([]), failed: [] };
  for (const connection of selected) {
    progress.begin(connection.name, PROJECT_UNIT[connection.provider]);
    try {
      const summary = await syncConnection(store, connection.name, {
        lookbackDays,
        rules,
        ...(steps === false ? { steps } : {}),
        onProgress: (counts, done) => progress.update(connection.name, counts, done),
        connector: { log: (line) => cli.debug(`${connection.name}: ${line}`) },
      });
      outcome.connections.push(summary);
      progress.end(connection.name, 'done');
    } catch (error) {
      progress.end(connection.name, 'failed');
      const reason = firstLine(error).replace(/\.$/, '');
      const hint = error instanceof HttpError && error.curl ? `. Try: ${error.curl}` : '';
      outcome.failed.push({ connection: connection.name, error: `${reason}${hint}` });
      // The provider failing, another sync holding the connection, or its token unreadable concern this
      // connection only; the others still sync. Anything else (the store failing, a bug) stops here, but
      // --json still prints what was done.
      if (!isConnectionTrouble(error)) {
        if (cli.options.json) printDocument(cli, { ...outcome, totals: totalsOf(outcome.connections) });
        throw error;
      }
    }
  }
  outcome.totals = totalsOf(outcome.connections);
  return outcome;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function summaryLine(s: SyncSummary): string {
  const line =
    `${s.connection}: ${s.projects} ${PROJECT_UNIT[s.provider]}, runs ${s.runsNew} new / ${s.runsUpdated} updated, ` +
    `jobs ${s.jobsNew} new / ${s.jobsUpdated} updated${s.jobsRemoved > 0 ? ` / ${s.jobsRemoved} removed` : ''}, steps ${s.stepsNew} new / ${s.stepsUpdated} updated, ` +
    `${s.requests} requests, ${(s.durationMs / 1000).toFixed(1)} s` +
    (s.webhookMissed === undefined ? '' : `, ${s.webhookMissed} runs the webhooks missed`);
  // What changes the numbers is said on lines of its own, with the provider's values quoted.
  const notes = [
    ...s.unknownStatuses.map(
      (u) =>
        `  ${plural(u.runs, 'run')} with unknown status ${JSON.stringify(u.status)} (counted as unknown)`,
    ),
    ...(s.runsRefused > 0
      ? [`  ${plural(s.runsRefused, 'payload')} refused as runs, kept apart: see "buildlens refused"`]
      : []),
  ];
  return [line, ...notes].join('\n');
}

function isConnectionTrouble(error: unknown): boolean {
  return error instanceof HttpError || error instanceof SyncLockedError || error instanceof SecretError;
}

function printDocument(cli: Cli, { connections, totals, failed }: SyncOutcome): void {
  const document = {
    connections: connections.map(syncSummaryRecord),
    totals: syncSummaryRecord(totals),
    failed,
  };
  cli.print(JSON.stringify(document, null, 2));
}

/** Prints the outcome; a failed connection makes the command fail with exit code 3. */
export function printSync(cli: Cli, outcome: SyncOutcome): void {
  if (cli.options.json) printDocument(cli, outcome);
  else if (outcome.connections.length > 0) cli.print(outcome.connections.map(summaryLine).join('\n'));
  if (outcome.failed.length > 0) {
    throw new ConnectionFailure(
      outcome.failed.map((f) => `sync of "${f.connection}" failed: ${f.error}`).join('; '),
    );
  }
}

export function registerSync(program: Command, cli: Cli): void {
  program
    .command('sync [names...]')
    .description('import new and changed runs (all connections when none are named)')
    .option('--lookback <window>', 'how far back the first sync of a connection goes, e.g. 90d or 12w', '90d')
    .option(
      '--rules <file>',
      'classification rules (default: $BUILDLENS_RULES, else rules.yaml beside the database)',
    )
    .option('--no-steps', 'skip the step lists fetched one per build (Bitrise log summaries) this time')
    .option(
      '--alerts <file>',
      'alerts judged after the sync (default: $BUILDLENS_ALERTS, else alerts.yaml beside the database)',
    )
    .action(
      async (
        names: string[],
        options: { lookback: string; rules?: string; steps: boolean; alerts?: string },
      ) => {
        const lookbackDays = parseLookbackDays(options.lookback);
        const outcome = await cli.withStore(async (store) => {
          const synced = await runSync(cli, store, names, lookbackDays, options.rules, options.steps);
          await alertsAfterSync(cli, store, options.alerts);
          return synced;
        });
        printSync(cli, outcome);
      },
    );
}
