// `buildlens report`: the metrics table per project (or any grouping) plus a total row.
import type { Command } from 'commander';
import type { RunFilter } from '../../domain/model.js';
import { DIMENSIONS, type Dimension, groupDimensions } from '../../metrics/report.js';
import { reportDocument } from '../../metrics/report-document.js';
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
  count('aborted', 'abrt'),
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
  'ok/fail/abrt/skip/run: runs by outcome (run = unfinished); rate = ok/(ok+fail)',
  'p50..max: duration of successful runs; q50/q95: queue time of started runs',
].join('\n');

export interface ReportView {
  filter: RunFilter;
  /** Empty: per project. */
  by: Dimension[];
  format: ReportFormat;
  /** Table width. */
  width: number;
}

/** Runs the report and renders it; `demo` prints the same view. */
export async function renderReport(store: Store, view: ReportView): Promise<string> {
  const document = await reportDocument(store, { filter: view.filter, by: view.by });
  if (view.format === 'json') return JSON.stringify(document, null, 2);
  const { by, rows, total } = document;

  // Grouping by project brings its connection along; people need it only when it tells rows apart.
  const dimensions = groupDimensions(by);
  const withoutConnection = dimensions.filter((d) => d !== 'connection');
  const labels = rows.map((r) => JSON.stringify(withoutConnection.map((d) => r[d])));
  const shown =
    view.format !== 'csv' && !by.includes('connection') && new Set(labels).size === labels.length
      ? withoutConnection
      : dimensions;
  const columns: Column[] = [
    ...shown.map(
      (key): Column => ({
        key,
        header: key,
        fixed: key === 'week',
        display: (value) => (value === null ? '(none)' : String(value)),
      }),
    ),
    ...METRIC_COLUMNS,
  ];
  const label = Object.fromEntries(shown.map((d, i) => [d, i === 0 ? 'total' : '']));
  const table: Row[] = [...rows, { ...total, ...label }];
  if (view.format === 'csv') return renderCsv(table, columns);
  if (view.format === 'md') return renderMarkdown(table, columns);
  return `${renderTable(table, columns, view.width)}\n\n${LEGEND}`;
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
        width: cli.tableWidth(),
      };
      cli.print(await cli.withStore((store) => renderReport(store, view)));
    });
}
