// `buildlens audit`: the admin actions made through the server's API and the CLI, who made them and when.
import type { Command } from 'commander';
import { listAudit } from '../../store/audit.js';
import type { Cli } from '../context.js';
import { type Cell, type Column, renderTable } from '../format.js';
import { formatFrom } from '../options.js';
import { parseInstant, parseInteger } from '../parse.js';

const FORMATS = ['table', 'json'] as const;
const orDash = (value: Cell) => (value === null ? '-' : String(value));
const COLUMNS: Column[] = [
  { key: 'at', header: 'when', fixed: true },
  { key: 'actor', header: 'who' },
  { key: 'action', header: 'what', fixed: true },
  { key: 'target', header: 'on', display: orDash },
  { key: 'outcome', header: 'outcome', fixed: true },
];

export function registerAudit(program: Command, cli: Cli): void {
  program
    .command('audit')
    .description('admin actions (connections, webhooks, syncs, tokens): who, what, when, how it ended')
    .option('--since <date>', 'only actions at or after this ISO 8601 date/time (UTC)')
    .option('--limit <n>', 'the latest N actions', '100')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(async (options: { since?: string; limit: string; format?: string }) => {
      const format = formatFrom(cli, options.format, FORMATS);
      const limit = parseInteger(options.limit, '--limit', 1, 100_000);
      const since = options.since === undefined ? null : new Date(parseInstant(options.since, '--since'));
      const records = await cli.withStore((store) => listAudit(store, { limit, since }));
      if (format === 'json') return cli.print(JSON.stringify(records, null, 2));
      if (records.length === 0) return cli.info('no admin actions recorded');
      cli.print(renderTable(records, COLUMNS, cli.tableWidth()));
    });
}
