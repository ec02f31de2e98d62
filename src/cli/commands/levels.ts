// `buildlens jobs` and `buildlens steps`: the levels below a run. With --run (or --job for steps) one run's
// jobs or steps in the order they ran; without, those of every run the filters select, newest run first.
import type { Command } from 'commander';
import { RUN_STATUSES } from '../../domain/model.js';
import { JOB_RECORD_FIELDS, type JobRecord, listJobRecords } from '../../store/job-records.js';
import type { LevelQuery } from '../../store/run-scope.js';
import {
  listStepRecords,
  STEP_RECORD_FIELDS,
  type StepQuery,
  type StepRecord,
} from '../../store/step-records.js';
import type { Cli } from '../context.js';
import { type Cell, type Column, formatSeconds, type Row, renderCsv, renderTable } from '../format.js';
import { addFilterOptions, checkFilterNames, formatFrom } from '../options.js';
import { type FilterOptions, parseChoiceList, parseFilter, parseInteger } from '../parse.js';

const FORMATS = ['table', 'json', 'csv'] as const;
const MAX_LIMIT = 1_000_000;
const DEFAULT_LIMIT = 200;

/** One run's (or job's) are listed whole unless --limit says otherwise; a listing over runs is cut. */
const limitOf = (options: LevelOptions & { job?: string }) =>
  options.limit !== undefined
    ? parseInteger(options.limit, '--limit', 1, MAX_LIMIT)
    : options.run !== undefined || options.job !== undefined
      ? MAX_LIMIT
      : DEFAULT_LIMIT;

const clock = (value: Cell) => (typeof value === 'string' ? value.slice(11, 19) : '');
const minute = (value: Cell) => (typeof value === 'string' ? value.slice(0, 16).replace('T', ' ') : '');

const JOB_COLUMNS: Column[] = [
  { key: 'run', header: 'run (UTC)', display: minute, fixed: true },
  { key: 'name', header: 'job' },
  { key: 'status', header: 'status', fixed: true },
  { key: 'critical', header: 'path', fixed: true },
  { key: 'started_at', header: 'start', display: clock, fixed: true },
  { key: 'queue_s', header: 'queue', align: 'right', display: formatSeconds },
  { key: 'duration_s', header: 'dur', align: 'right', display: formatSeconds },
  { key: 'depends', header: 'after' },
];

const STEP_COLUMNS: Column[] = [
  { key: 'run', header: 'run (UTC)', display: minute, fixed: true },
  { key: 'job', header: 'job' },
  { key: 'name', header: 'step' },
  { key: 'status', header: 'status', fixed: true },
  { key: 'started_at', header: 'start', display: clock, fixed: true },
  { key: 'duration_s', header: 'dur', align: 'right', display: formatSeconds },
];

const jobRow = (job: JobRecord): Row => ({
  ...flat(job),
  run: job.run_triggered_at,
  status: job.retried ? `${job.status} (retried)` : job.status,
  critical: job.on_critical_path ? '*' : '',
  depends: job.depends_on.join(', '),
});

const stepRow = (step: StepRecord): Row => ({ ...step, run: step.run_triggered_at, job: step.job ?? '' });

interface LevelOptions extends FilterOptions {
  run?: string;
  status?: string;
  limit?: string;
  format?: string;
}

function levelQuery(options: LevelOptions): LevelQuery {
  return {
    ...parseFilter(options),
    ...(options.run !== undefined ? { run: options.run } : {}),
    ...(options.status !== undefined
      ? { levelStatus: parseChoiceList(options.status, '--status', RUN_STATUSES) }
      : {}),
  };
}

function addLevelOptions(command: Command, unit: string): Command {
  return addFilterOptions(command)
    .option('--run <key>', `only the ${unit} of this run`)
    .option(
      '--status <status>',
      `only ${unit} with these statuses (${RUN_STATUSES.join(', ')}), comma-separated`,
    )
    .option('--limit <n>', `at most this many ${unit} (default: all of one run, else ${DEFAULT_LIMIT})`)
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`);
}

/** Lists (depends_on) as one comma-separated cell: csv has no nesting. */
const flat = (record: object): Row =>
  Object.fromEntries(
    Object.entries(record).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value]),
  ) as Row;

interface Listing<T> {
  records: T[];
  fields: readonly string[];
  columns: Column[];
  toRow: (record: T) => Row;
  unit: string;
}

function print<T extends object>(cli: Cli, format: (typeof FORMATS)[number], listing: Listing<T>): void {
  const { records, unit } = listing;
  if (format === 'json') cli.print(JSON.stringify(records, null, 2));
  else if (format === 'csv')
    cli.print(
      renderCsv(
        records.map(flat),
        listing.fields.map((key) => ({ key, header: key })),
      ),
    );
  else if (records.length === 0) cli.info(`no ${unit} match`);
  else cli.print(renderTable(records.map(listing.toRow), listing.columns, cli.tableWidth()));
}

export function registerLevels(program: Command, cli: Cli): void {
  addLevelOptions(
    program
      .command('jobs')
      .description('list jobs: a run’s in the order they ran (--run), else newest run first'),
    'jobs',
  ).action(async (options: LevelOptions) => {
    const query = levelQuery(options);
    const limit = limitOf(options);
    const format = formatFrom(cli, options.format, FORMATS);
    const jobs = await cli.withStore(async (store) => {
      await checkFilterNames(store, query);
      return listJobRecords(store, query, limit);
    });
    print(cli, format, {
      records: jobs,
      fields: JOB_RECORD_FIELDS,
      columns: JOB_COLUMNS,
      toRow: jobRow,
      unit: 'jobs',
    });
  });

  addLevelOptions(
    program
      .command('steps')
      .description(
        'list steps: a run’s or a job’s in the order they ran (--run, --job), else newest run first',
      ),
    'steps',
  )
    .option('--job <key>', 'only the steps of this job')
    .action(async (options: LevelOptions & { job?: string }) => {
      const query: StepQuery = {
        ...levelQuery(options),
        ...(options.job !== undefined ? { job: options.job } : {}),
      };
      const limit = limitOf(options);
      const format = formatFrom(cli, options.format, FORMATS);
      const steps = await cli.withStore(async (store) => {
        await checkFilterNames(store, query);
        return listStepRecords(store, query, limit);
      });
      print(cli, format, {
        records: steps,
        fields: STEP_RECORD_FIELDS,
        columns: STEP_COLUMNS,
        toRow: stepRow,
        unit: 'steps',
      });
    });
}
