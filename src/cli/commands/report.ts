// `buildlens report`: the metrics table per project (or any grouping) plus a total row.
import type { Command } from 'commander';
import type { RunFilter } from '../../domain/model.js';
import { DIMENSIONS, type Dimension, report } from '../../metrics/report.js';
import type { Store } from '../../store/store.js';
import type { Cli } from '../context.js';
import {
  type Column,
  formatPercent,
  formatSeconds,
  type Row,
  renderCsv,
  renderMarkdown,
  renderTable,
} from '../format.js';
import { addFilterOptions, formatFrom } from '../options.js';
import { type FilterOptions, parseChoiceList, parseFilter } from '../parse.js';

const FORMATS = ['table', 'json', 'csv', 'md'] as const;
type ReportFormat = (typeof FORMATS)[number];

const count = (key: string, header: string): Column => ({ key, header, align: 'right' });
const seconds = (key: string, header: string): Column => ({
  key,
  header,
  align: 'right',
  display: formatSeconds,
});

const METRIC_COLUMNS: Column[] = [
  count('runs', 'runs'),
  count('success', 'ok'),
  count('failure', 'fail'),
  count('aborted', 'abort'),
  count('skipped', 'skip'),
  count('running', 'run'),
  { key: 'success_rate', header: 'rate', align: 'right', display: formatPercent },
  seconds('duration_s_p50', 'p50'),
  seconds('duration_s_p90', 'p90'),
  seconds('duration_s_p95', 'p95'),
  seconds('duration_s_max', 'max'),
  seconds('queue_s_p50', 'q50'),
  seconds('queue_s_p95', 'q95'),
];

const LEGEND = [
  'ok/fail/abort/skip/run: runs by outcome (run = unfinished); rate = ok/(ok+fail)',
  'p50..max: duration of successful runs; q50/q95: queue time of started runs',
].join('\n');

export interface ReportView {
  filter: RunFilter;
  /** Empty: per project. */
  by: Dimension[];
  format: ReportFormat;
}

/** Runs the report and renders it; `demo` prints the same view. */
export async function renderReport(store: Store, view: ReportView): Promise<string> {
  const by: Dimension[] = view.by.length > 0 ? view.by : ['project'];
  const [rows, [total]] = await Promise.all([
    report(store, { filter: view.filter, by }),
    report(store, { filter: view.filter, by: [] }),
  ]);
  if (total === undefined) throw new Error('the total report returned no row');
  if (view.format === 'json') return JSON.stringify({ by, filter: view.filter, rows, total }, null, 2);

  // Grouping by project brings its connection along; people only need it when it tells rows apart.
  const groupKeys = (rows[0] ? Object.keys(rows[0]) : by).filter((k): k is Dimension =>
    DIMENSIONS.includes(k as Dimension),
  );
  const connections = new Set(rows.map((r) => r.connection));
  const shownKeys =
    view.format !== 'csv' && !by.includes('connection') && connections.size <= 1
      ? groupKeys.filter((k) => k !== 'connection')
      : groupKeys;
  const columns: Column[] = [
    ...shownKeys.map((key) => ({
      key,
      header: key,
      display: (v: Row[string]) => (v === null ? '(none)' : String(v)),
    })),
    ...METRIC_COLUMNS,
  ];
  const totalRow: Row = { ...total, [shownKeys[0] ?? 'project']: 'total' };
  const table = [...rows.map((r): Row => ({ ...r })), totalRow];
  if (view.format === 'csv') return renderCsv(table, columns);
  if (view.format === 'md') return renderMarkdown(table, columns);
  return `${renderTable(table, columns)}\n\n${LEGEND}`;
}

export function registerReport(program: Command, cli: Cli): void {
  addFilterOptions(
    program.command('report').description('run counts, success rate, durations and queue times'),
  )
    .option('--by <dimensions>', `group by any of ${DIMENSIONS.join(',')} (default: project)`)
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(async (options: FilterOptions & { by?: string; format?: string }) => {
      const view: ReportView = {
        filter: parseFilter(options),
        by: options.by === undefined ? [] : parseChoiceList(options.by, '--by', DIMENSIONS),
        format: formatFrom(cli, options.format, FORMATS),
      };
      cli.print(await cli.withStore((store) => renderReport(store, view)));
    });
}
