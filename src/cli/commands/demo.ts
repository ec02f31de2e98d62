// `buildlens demo`: the whole flow against the sandbox — connect both providers, sync, report.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Provider } from '../../domain/model.js';
import { startSandbox } from '../../sandbox/index.js';
import { addConnection, listConnections, removeConnection } from '../../store/connections.js';
import type { Store } from '../../store/store.js';
import type { Cli } from '../context.js';
import { UsageError } from '../errors.js';
import { renderReport } from './report.js';
import { SERVER_READERS, serveUntilInterrupted } from './serve.js';
import { printSync, runSync } from './sync.js';

const LOOKBACK_DAYS = 90;

interface SandboxAccount {
  name: string;
  provider: Provider;
  baseUrl: string;
  token: string;
  org: string | null;
}

/** Connects the sandbox accounts, replacing demo connections left by an earlier demo on another port. */
async function connectSandbox(store: Store, accounts: SandboxAccount[]): Promise<void> {
  const existing = await listConnections(store);
  for (const account of accounts) {
    const previous = existing.find((c) => c.name === account.name);
    if (previous) {
      // Only ever replace what a demo made: a sandbox on this machine.
      if (new URL(previous.baseUrl).hostname !== '127.0.0.1')
        throw new UsageError(
          `connection "${account.name}" exists and is not a sandbox: use another --db for the demo`,
        );
      await removeConnection(store, account.name);
    }
    await addConnection(store, account);
  }
}

export function registerDemo(program: Command, cli: Cli): void {
  program
    .command('demo')
    .description(
      'run the sandbox, import its data into a new temporary database (or --db), print the report and serve the dashboard',
    )
    .option('--no-serve', 'exit after the report instead of serving the dashboard')
    .action(async (options: { serve: boolean }) => {
      cli.options.db ??= join(mkdtempSync(join(tmpdir(), 'buildlens-demo-')), 'buildlens.db');
      const sandbox = await startSandbox({ seed: 1, size: 'small' });
      try {
        const accounts: SandboxAccount[] = [
          {
            name: 'sandbox-bitrise',
            provider: 'bitrise',
            baseUrl: sandbox.bitrise.url,
            token: sandbox.bitrise.token,
            org: null,
          },
          {
            name: 'sandbox-buildkite',
            provider: 'buildkite',
            baseUrl: sandbox.buildkite.url,
            token: sandbox.buildkite.token,
            org: sandbox.buildkite.org,
          },
        ];
        cli.info(`sandbox serving on ${sandbox.url}; database ${cli.options.db}`);
        const report = await cli.withStore(async (store) => {
          await connectSandbox(store, accounts);
          const outcome = await runSync(
            cli,
            store,
            accounts.map((a) => a.name),
            LOOKBACK_DAYS,
          );
          printSync(cli, outcome);
          // With --json, stdout is two JSON documents: the sync summary, then the report.
          const format = cli.options.json ? 'json' : 'table';
          return renderReport(store, { filter: {}, by: [], format, width: cli.tableWidth() });
        });
        cli.print(`\n${report}`);
        cli.info(`\nThe data stays in ${cli.options.db}; explore it with, for example:`);
        cli.info(`  buildlens --db ${cli.options.db} runs --limit 20`);
        cli.info(`  buildlens --db ${cli.options.db} report --by week`);
        // The sandbox keeps running meanwhile, so "Sync now" on the dashboard brings in its newer runs.
        if (options.serve)
          await cli.withStore(
            (store) => serveUntilInterrupted(cli, store, { host: '127.0.0.1', port: 0, syncEveryMs: null }),
            { readers: SERVER_READERS },
          );
      } finally {
        await sandbox.close();
      }
    });
}
