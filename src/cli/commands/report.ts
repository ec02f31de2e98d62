// `buildlens report`: the metrics per project (or any grouping) plus a total row, optionally against the
// previous period of the same length.

import type { Command } from 'commander';
import type { RunFilter } from '../../domain/model.js';
import { DEFAULT_PERIOD_DAYS } from '../../domain/period.js';
import { lineText } from '../../domain/text.js';
import { LEVELS } from '../../metrics/level-report.js';
import { type ComparedRow, type ReportDocument, reportDocument } from '../../metrics/report-document.js';
import {
  BASE_METRICS,
  DIMENSIONS,
  type Dimension,
  EXACT_LIMIT,
  groupDimensions,
  METRIC_FIELDS,
  METRIC_GROUPS,
  type MetricGroup,
  OVERVIEW_QUEUE_FIELDS,
} from '../../metrics/vocabulary.js';
import type { Store } from '../../store/store.js';
import type { Cli } from '../context.js';
import { UsageError } from '../errors.js';
import {
  type Cell,
  type Column,
  formatPercent,
  formatSeconds,
  type Row,
  renderCsv,
  renderMarkdown,
  renderTable,
} from '../format.js';
import { addFilterOptions, checkFilterNames, formatFrom } from '../options.js';
import { type FilterOptions, parseChoice, parseChoiceList, parseFilter } from '../parse.js';
import { checkAllOption, reportSelection } from '../report-selection.js';
import { renderLevelReport } from './level-report.js';

const FORMATS = ['table', 'json', 'csv', 'md'] as const;
type ReportFormat = (typeof FORMATS)[number];

type Kind = 'count' | 'rate' | 'seconds' | 'credits';

/** Short table headings and how each metric reads; json and csv use the field names. */
const METRIC_VIEW: Record<string, [header: string, kind: Kind]> = {
  runs: ['runs', 'count'],
  success: ['ok', 'count'],
  failure: ['fail', 'count'],
  aborted: ['abrt', 'count'],
  skipped: ['skip', 'count'],
  running: ['run', 'count'],
  blocked: ['blk', 'count'],
  unknown: ['unk', 'count'],
  success_rate: ['rate', 'rate'],
  success_rate_without_infra: ['r-i', 'rate'],
  percentiles: ['pctl', 'count'],
  aborted_manual: ['man', 'count'],
  aborted_auto: ['auto', 'count'],
  infra_failure: ['inf', 'count'],
  failure_rate: ['fail%', 'rate'],
  abort_rate: ['abrt%', 'rate'],
  skip_rate: ['skip%', 'rate'],
  duration_s_p50: ['p50', 'seconds'],
  duration_s_p90: ['p90', 'seconds'],
  duration_s_p95: ['p95', 'seconds'],
  duration_s_max: ['max', 'seconds'],
  queue_s_p50: ['q50', 'seconds'],
  queue_s_p90: ['q90', 'seconds'],
  queue_s_p95: ['q95', 'seconds'],
  queue_s_max: ['qmax', 'seconds'],
  setup_s_p50: ['s50', 'seconds'],
  setup_s_p90: ['s90', 'seconds'],
  setup_s_p95: ['s95', 'seconds'],
  setup_s_max: ['smax', 'seconds'],
  recovery_incidents: ['incid', 'count'],
  recovery_open: ['open', 'count'],
  recovery_s_p50: ['ttr50', 'seconds'],
  flaky_runs: ['flaky', 'count'],
  flaky_rate: ['flaky%', 'rate'],
  credits: ['credits', 'credits'],
  credits_per_run: ['per run', 'credits'],
};

/** The counts group's legend: the overview and `--metrics counts` both print it. */
const COUNTS_LEGEND = [
  'ok/fail/abrt/skip/run: runs by outcome (run = unfinished); rate = ok/(ok+fail)',
  'inf: failed on the infrastructure (also in fail); r-i = ok/(ok+fail-inf)',
  'blk: waiting on a block step (in ok or fail by what ran before the block)',
  'unk: runs of a status buildlens does not know (in no rate or percentile)',
];
const PERCENTILES_LEGEND = `pctl: exact (the runs, up to ${EXACT_LIMIT.toLocaleString('en')}) or sketch (rollups, within 0.5%)`;
const OVERVIEW_LEGEND = [
  ...COUNTS_LEGEND,
  'p50..max: duration of successful runs; q50/q95: queue time of started runs',
  PERCENTILES_LEGEND,
];

const OVERVIEW_QUEUE_LEGEND = 'q50/q95: queue time of started runs';
/** Each row says where its percentiles come from, beside the durations. */
const DURATION_FIELDS = [...METRIC_FIELDS.duration, 'percentiles'];
const OVERVIEW_FIELDS = [...METRIC_FIELDS.counts, ...DURATION_FIELDS, ...OVERVIEW_QUEUE_FIELDS];

const LEGEND: Record<MetricGroup, string[]> = {
  counts: COUNTS_LEGEND,
  rates: ['man/auto: aborts by people/automation; fail% = fail/(ok+fail); abrt%, skip%'],
  duration: ['p50..max: duration of successful runs', PERCENTILES_LEGEND],
  queue: ['q50..qmax: queue time of started runs'],
  setup: ['s50..smax: Bitrise environment setup time'],
  recovery: ['incid: failure streaks a success ended; open: not ended; ttr50: median recovery'],
  flaky: ['flaky: failures of a commit that also passed; runs with a job passing on retry'],
  credits: ['credits: provider credits (Bitrise); per run: mean over runs with a cost'],
};

const formatCredits = (value: Cell) =>
  typeof value === 'number' ? String(Math.round(value * 100) / 100) : '-';
const DISPLAY: Record<Kind, ((value: Cell) => string) | undefined> = {
  count: undefined,
  rate: formatPercent,
  seconds: formatSeconds,
  credits: formatCredits,
};

/** Change against the previous period: points for rates, percent for the rest. */
function change(kind: Kind, now: Cell, before: Cell): string {
  if (typeof now !== 'number' || typeof before !== 'number') return '';
  if (kind === 'rate') {
    const points = Math.round((now - before) * 100);
    return `${points > 0 ? '+' : ''}${points}pp`;
  }
  if (before === 0) return '';
  const percent = Math.round(((now - before) / before) * 100);
  return `${percent > 0 ? '+' : ''}${percent}%`;
}

/** Columns of these fields; compared, figures other than plain counts (runs aside) get a Δ column. */
function metricColumns(fields: readonly string[], compared: boolean): Column[] {
  return fields.flatMap((key): Column[] => {
    const [header, kind] = METRIC_VIEW[key] ?? [key, 'count'];
    const column: Column = {
      key,
      header,
      align: 'right',
      ...(DISPLAY[kind] ? { display: DISPLAY[kind] } : {}),
    };
    const withChange = compared && (kind !== 'count' || key === 'runs');
    return withChange ? [column, { key: `${key}:change`, header: 'Δ', align: 'right' }] : [column];
  });
}

interface Section {
  title: string;
  fields: readonly string[];
  legend: string[];
}

/**
 * What the tables show: the overview (counts, durations, queue p50/p95) in one table, then one per extra
 * group. Split, the overview is three tables, so that each fits 80 columns beside Δ columns or several
 * grouping columns.
 */
function sectionsOf(extra: MetricGroup[], split: boolean): Section[] {
  const group = (g: MetricGroup): Section => ({
    title: g,
    fields: g === 'duration' ? DURATION_FIELDS : METRIC_FIELDS[g],
    legend: LEGEND[g],
  });
  const queueOverview: Section = {
    title: 'queue',
    fields: OVERVIEW_QUEUE_FIELDS,
    legend: [OVERVIEW_QUEUE_LEGEND],
  };
  const overview: Section[] = split
    ? [group('counts'), group('duration'), ...(extra.includes('queue') ? [] : [queueOverview])]
    : [
        {
          title: 'overview',
          fields: OVERVIEW_FIELDS,
          legend: OVERVIEW_LEGEND,
        },
      ];
  return [...overview, ...extra.map(group)];
}

/**
 * A row flattened for the output formats: metrics, their change, and for csv `prev_<field>` and whether the
 * previous period is covered.
 */
function flatRow(row: ComparedRow, fields: string[]): Row {
  const { previous, comparison, ...current } = row;
  const flat: Row = { ...(current as Row) };
  if (previous === undefined) return flat;
  flat.coverage = comparison?.coverage ?? null;
  flat.covered_from = comparison?.covered_from ?? null;
  for (const key of fields) {
    const before = (previous as Record<string, Cell> | null)?.[key] ?? null;
    flat[`prev_${key}`] = before;
    flat[`${key}:change`] = change(METRIC_VIEW[key]?.[1] ?? 'count', flat[key] ?? null, before);
  }
  return flat;
}

export interface ReportView {
  /** As given; without since or until it is the last 30 days unless `all`. */
  filter: RunFilter;
  /** Every run, when the filter gives no period. */
  all?: boolean;
  /** Empty: per project. */
  by: Dimension[];
  /** Groups shown besides the overview (counts, duration, queue p50/p95). */
  metrics?: MetricGroup[];
  compare?: 'previous';
  /** Percentiles from every run rather than the rollups' sketches. */
  exact?: boolean;
  format: ReportFormat;
  /** Table width. */
  width: number;
}

/** The dimension columns people need: a project's connection only when it tells rows apart. */
function labelColumns(document: ReportDocument, format: ReportFormat): Column[] {
  const { by, rows } = document;
  const dimensions = groupDimensions(by);
  const withoutConnection = dimensions.filter((d) => d !== 'connection');
  const labels = rows.map((r) => JSON.stringify(withoutConnection.map((d) => r[d])));
  const shown =
    format !== 'csv' && !by.includes('connection') && new Set(labels).size === labels.length
      ? withoutConnection
      : dimensions;
  return shown.map(
    (key): Column => ({
      key,
      header: key,
      fixed: key === 'week' || key === 'day',
      display: (value) => (value === null ? '(none)' : String(value)),
    }),
  );
}

/** Characters a grouping column needs to stay readable once shortened ("Checkout Flu…"). */
const READABLE_LABEL = 12;

/**
 * Whether the overview's figures leave every grouping column enough room in one table; if not, the overview
 * is split, as otherwise two grouping columns shrink to "Acme …" and rows can no longer be told apart.
 */
function labelsReadable(table: Row[], labels: Column[], width: number): boolean {
  const figures = renderTable(table, metricColumns(OVERVIEW_FIELDS, false), Number.POSITIVE_INFINITY);
  const figuresWidth = Math.max(...figures.split('\n').map((line) => [...line].length));
  // Each grouping column is followed by a two-space gap.
  return (width - figuresWidth) / labels.length - 2 >= READABLE_LABEL;
}

/** Runs the report and renders it; `demo` prints the same view. */
export async function renderReport(store: Store, view: ReportView): Promise<string> {
  const { filter, heading } = reportSelection(view.filter, view.all === true);
  const document = await reportDocument(store, {
    filter,
    by: view.by,
    metrics: view.metrics ?? [],
    ...(view.compare ? { compare: view.compare } : {}),
    exact: view.exact,
  });
  if (view.format === 'json') return JSON.stringify(document, null, 2);

  const compared = view.compare !== undefined;
  const extra = METRIC_GROUPS.filter((g) => !BASE_METRICS.includes(g) && document.metrics?.includes(g));
  const sections = sectionsOf(extra, compared);
  const fields = [...new Set(sections.flatMap((section) => section.fields))];
  const labels = labelColumns(document, view.format);
  const totalLabel = Object.fromEntries(labels.map((c, i) => [c.key, i === 0 ? 'total' : '']));
  const table: Row[] = [...document.rows, { ...document.total, ...totalLabel }].map((r) =>
    flatRow(r as ComparedRow, fields),
  );
  if (view.format === 'csv') {
    const prev = compared
      ? ['coverage', 'covered_from', ...fields.map((key) => `prev_${key}`)].map((key) => ({
          key,
          header: key,
        }))
      : [];
    return renderCsv(table, [...labels, ...fields.map((key) => ({ key, header: key })), ...prev]);
  }
  const notes = comparisonNotes(document, labels);
  if (view.format === 'md')
    return [
      heading.join('  \n'),
      renderMarkdown(table, [...labels, ...metricColumns(fields, compared)]),
      ...notes,
    ].join('\n\n');
  const period = document.previous_filter;
  const against = period ? ` (Δ against ${period.since?.slice(0, 10)} to ${period.until?.slice(0, 10)})` : '';
  const render = (section: Section) =>
    renderTable(table, [...labels, ...metricColumns(section.fields, compared)], view.width);
  const shown = compared || labelsReadable(table, labels, view.width) ? sections : sectionsOf(extra, true);
  const tables = shown.map((section) =>
    shown.length > 1 ? `${section.title}${against}\n${render(section)}` : render(section),
  );
  const legend = [...notes, ...shown.flatMap((section) => section.legend)];
  return `${heading.join('\n')}\n\n${tables.join('\n\n')}\n\n${legend.join('\n')}`;
}

/**
 * Rows whose previous period the store does not wholly cover, grouped by why: they have no Δ, and this says
 * so ("no Δ for total, API Service: no data before 12 Sep").
 */
function comparisonNotes(document: ReportDocument, labels: Column[]): string[] {
  const rows: [string, ComparedRow][] = [
    ...document.rows.map((r): [string, ComparedRow] => [
      lineText(labels.map((c) => r[c.key as Dimension] ?? '(none)').join(' / ')),
      r,
    ]),
    ['total', document.total],
  ];
  const byNote = new Map<string, string[]>();
  for (const [label, row] of rows) {
    const note = row.comparison?.note;
    if (note) byNote.set(note, [...(byNote.get(note) ?? []), label]);
  }
  return [...byNote].map(([note, names]) => `no Δ for ${names.join(', ')}: ${note}`);
}

export function registerReport(program: Command, cli: Cli): void {
  addFilterOptions(
    program
      .command('report')
      .description('run counts, rates, durations, queue times, recovery, flaky runs, credits'),
  )
    .option(
      '--by <dimensions>',
      `group by any of ${DIMENSIONS.join(',')} (default: project); or job, or step, alone`,
    )
    .option(
      '--metrics <groups>',
      `metric groups besides the overview: any of ${METRIC_GROUPS.join(',')}, or all`,
    )
    .option('--compare <period>', 'show the change against the previous period of the same length: previous')
    .option(
      '--exact',
      "percentiles from every run (job, step) instead of the rollups' sketches (those are within 0.5%; this is slower)",
    )
    .option('--all', `every run stored, not the last ${DEFAULT_PERIOD_DAYS} days`)
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(
      async (
        options: FilterOptions & {
          by?: string;
          metrics?: string;
          compare?: string;
          exact?: boolean;
          all?: boolean;
          format?: string;
        },
      ) => {
        checkAllOption(options);
        const level = LEVELS.find((l) => l === options.by?.trim());
        if (level) {
          const filter = parseFilter(options);
          const format = formatFrom(cli, options.format, FORMATS);
          if (options.compare !== undefined || options.metrics !== undefined)
            throw new UsageError(`--by ${level} takes neither --compare nor --metrics`);
          cli.print(
            await cli.withStore(async (store) => {
              await checkFilterNames(store, filter);
              return renderLevelReport(store, {
                filter,
                all: options.all === true,
                exact: options.exact === true,
                level,
                format,
                width: cli.tableWidth(),
              });
            }),
          );
          return;
        }
        const view: ReportView = {
          filter: parseFilter(options),
          all: options.all === true,
          by: options.by === undefined ? [] : parseChoiceList(options.by, '--by', DIMENSIONS),
          metrics:
            options.metrics === undefined
              ? []
              : options.metrics.trim() === 'all'
                ? [...METRIC_GROUPS]
                : parseChoiceList(options.metrics, '--metrics', METRIC_GROUPS),
          ...(options.compare === undefined
            ? {}
            : { compare: parseChoice(options.compare, '--compare', ['previous'] as const) }),
          exact: options.exact === true,
          format: formatFrom(cli, options.format, FORMATS),
          width: cli.tableWidth(),
        };
        cli.print(
          await cli.withStore(async (store) => {
            await checkFilterNames(store, view.filter);
            return renderReport(store, view);
          }),
        );
      },
    );
}
