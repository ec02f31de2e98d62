// `buildlens refused`: the payloads a sync could not store as runs (DESIGN.md "Refused run"), kept apart
// for inspection: why each was refused, and with `--show ID` the payload itself.
import type { Command } from 'commander';
import { NotFoundError } from '../../store/errors.js';
import { listRefused, payloadOf } from '../../store/refused.js';
import type { Cli } from '../context.js';
import { type Column, renderTable } from '../format.js';
import { formatFrom } from '../options.js';
import { collectList, parseInteger } from '../parse.js';

const FORMATS = ['table', 'json'] as const;

const COLUMNS: Column[] = [
  { key: 'id', header: 'id', align: 'right', fixed: true },
  { key: 'connection', header: 'connection' },
  { key: 'kind', header: 'kind', fixed: true },
  { key: 'key', header: 'key', display: (v) => (v === null ? '(none)' : String(v)) },
  {
    key: 'last_seen_at',
    header: 'last seen (UTC)',
    fixed: true,
    display: (v) => String(v).slice(0, 16).replace('T', ' '),
  },
  { key: 'reason', header: 'reason' },
];

export function registerRefused(program: Command, cli: Cli): void {
  program
    .command('refused')
    .description('list payloads a sync could not store as runs (kept apart), or show one')
    .option('--connection <name>', 'only this connection (repeatable)', collectList)
    .option('--show <id>', 'print the payload with this id, as received')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(async (options: { connection?: string[]; show?: string; format?: string }) => {
      if (options.show !== undefined) {
        const id = parseInteger(options.show, '--show', 1, Number.MAX_SAFE_INTEGER);
        const payload = await cli.withStore((store) => payloadOf(store, id));
        if (payload === null) throw new NotFoundError(`no refused payload ${id}: see "buildlens refused"`);
        cli.print(payload);
        return;
      }
      const format = formatFrom(cli, options.format, FORMATS);
      const refused = await cli.withStore((store) => listRefused(store, options.connection ?? []));
      if (format === 'json') cli.print(JSON.stringify(refused, null, 2));
      else if (refused.length === 0) cli.info('no payloads refused');
      else cli.print(renderTable(refused, COLUMNS, cli.tableWidth()));
    });
}
