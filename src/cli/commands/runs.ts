// `buildlens runs`: normalized runs, newest first, with the classification and the rule that set it.
import type { Command } from 'commander';
import { CLASSIFICATIONS, type Classification, RUN_STATUSES, type RunStatus } from '../../domain/model.js';
import { listRunRecords, projectNames, RUN_RECORD_FIELDS, type RunRecord } from '../../store/run-records.js';
import type { RunQuery } from '../../store/runs.js';
import type { Store } from '../../store/store.js';
import type { Cli } from '../context.js';
import { type Cell, type Column, formatSeconds, type Row, renderCsv, renderTable } from '../format.js';
import { addFilterOptions, checkFilterNames, formatFrom } from '../options.js';
import { collectList, type FilterOptions, parseChoiceList, parseFilter, parseInteger } from '../parse.js';

const FORMATS = ['table', 'json', 'csv'] as const;
const PAGE_SIZE = 500;
const MAX_LIMIT = 1_000_000;

const minute = (value: Cell) => (typeof value === 'string' ? value.slice(0, 16).replace('T', ' ') : '');

/** What a terminal shows; long names are shortened there, and the rest is in json and csv. */
const TABLE_COLUMNS: Column[] = [
  { key: 'triggered_at', header: 'triggered (UTC)', display: minute, fixed: true },
  { key: 'project', header: 'project' },
  { key: 'workflow', header: 'workflow' },
  { key: 'branch', header: 'branch' },
  { key: 'result', header: 'result', fixed: true },
  { key: 'rule', header: 'rule' },
  { key: 'duration_s', header: 'dur', align: 'right', display: formatSeconds },
  { key: 'queue_s', header: 'queue', align: 'right', display: formatSeconds },
];

/** The table; where the terminal is too narrow for every column, without the rule (json and csv have it). */
function runsTable(rows: Row[], width: number): string {
  const table = renderTable(rows, TABLE_COLUMNS, width);
  const fits = table.split('\n').every((line) => [...line].length <= width);
  return fits
    ? table
    : renderTable(
        rows,
        TABLE_COLUMNS.filter((c) => c.key !== 'rule'),
        width,
      );
}

function tableRow(run: RunRecord): Row {
  return {
    ...run,
    result: run.classification ?? run.status,
    rule: run.classified_by?.replace(/^default:/, '') ?? '',
  };
}

/** `--status` takes run statuses and classifications alike, comma-separated. */
function statusFilter(value: string | undefined): Pick<RunQuery, 'status' | 'classification'> {
  if (value === undefined) return {};
  const choices = [...new Set<string>([...CLASSIFICATIONS, ...RUN_STATUSES])];
  const picked = parseChoiceList(value, '--status', choices);
  // A classification wins where both vocabularies share a word (skipped): it is what reports count.
  const classification = picked.filter((s): s is Classification =>
    CLASSIFICATIONS.includes(s as Classification),
  );
  const status = picked.filter((s): s is RunStatus => !classification.includes(s as Classification));
  return {
    ...(classification.length ? { classification } : {}),
    ...(status.length ? { status } : {}),
  };
}

async function collectRuns(store: Store, query: RunQuery, limit: number): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  const nameOf = await projectNames(store);
  let cursor: string | null = null;
  do {
    const page = await listRunRecords(
      store,
      query,
      { limit: Math.min(PAGE_SIZE, limit - runs.length), cursor },
      nameOf,
    );
    runs.push(...page.runs);
    cursor = page.next_cursor;
  } while (cursor !== null && runs.length < limit);
  return runs;
}

interface RunsOptions extends FilterOptions {
  status?: string;
  step?: string[];
  stepStatus?: string;
  limit: string;
  format?: string;
}

export function registerRuns(program: Command, cli: Cli): void {
  addFilterOptions(program.command('runs').description('list runs, newest first, with their classification'))
    .option('--status <status>', 'only runs with these statuses or classifications, comma-separated')
    .option('--step <name>', 'only runs that executed a step of this name (repeatable)', collectList)
    .option(
      '--step-status <status>',
      'only runs with a step (of --step, when given) that ended so, e.g. failed (comma-separated)',
    )
    .option('--limit <n>', 'at most this many runs', '50')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(async (options: RunsOptions) => {
      const query: RunQuery = {
        ...parseFilter(options),
        ...statusFilter(options.status),
        ...(options.step ? { step: options.step } : {}),
        ...(options.stepStatus !== undefined
          ? { stepStatus: parseChoiceList(options.stepStatus, '--step-status', RUN_STATUSES) }
          : {}),
      };
      const limit = parseInteger(options.limit, '--limit', 1, MAX_LIMIT);
      const format = formatFrom(cli, options.format, FORMATS);
      const runs = await cli.withStore(async (store) => {
        await checkFilterNames(store, query);
        return collectRuns(store, query, limit);
      });
      if (format === 'json') cli.print(JSON.stringify(runs, null, 2));
      else if (format === 'csv')
        cli.print(
          renderCsv(
            runs,
            RUN_RECORD_FIELDS.map((key) => ({ key, header: key })),
          ),
        );
      else if (runs.length === 0) cli.info('no runs match');
      else cli.print(runsTable(runs.map(tableRow), cli.tableWidth()));
    });
}
