// `buildlens flaky`: commits whose workflow both failed and passed, and jobs that passed on a retry, newest
// first, dated and with links to the provider's pages; with `--by job|workflow`, the ranking by flake rate.
// Over the last 30 days unless a period or `--all` is given, as the report and the dashboard's flaky page.
import type { Command } from 'commander';
import { DEFAULT_PERIOD_DAYS } from '../../domain/period.js';
import { lineText } from '../../domain/text.js';
import type { FlakyList } from '../../metrics/flaky.js';
import { flakyDocument } from '../../metrics/flaky-document.js';
import { FLAKY_RANKINGS, type FlakyRank, type FlakyRanking } from '../../metrics/flaky-ranking.js';
import type { Cli } from '../context.js';
import { type Column, formatSeconds, type Row, renderCsv, renderTable } from '../format.js';
import { addFilterOptions, checkFilterNames, formatFrom } from '../options.js';
import { type FilterOptions, parseChoice, parseFilter, parseInteger } from '../parse.js';
import { checkAllOption, reportSelection } from '../report-selection.js';

const FORMATS = ['table', 'json', 'csv'] as const;
const CSV_FIELDS = [
  'kind',
  'connection',
  'project',
  'workflow',
  'commit_sha',
  'branch',
  'failures',
  'successes',
  'job',
  'times',
  'run_number',
  'last_triggered_at',
  'triggered_at',
  'failed_url',
  'passed_url',
];
const RANK_CSV_FIELDS = [
  'rank',
  'connection',
  'project',
  'workflow',
  'job',
  'flake_rate',
  'flaky',
  'executions',
  'time_lost_s',
  'last_seen_at',
  'failed_url',
  'passed_url',
];

/** Flake rates are mostly a few percent: one decimal tells 0.6% from 1.4%. */
const rate = (value: unknown) => (typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : '-');

/** `2026-03-02 15:04 UTC`: every listed event says when it happened. */
const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Lines, not a table: the links must print whole to be followed. Provider text is sanitized. */
function renderList(list: FlakyList, limit: number): string {
  const link = (label: string, url: string | null) => (url ? [`    ${label}: ${lineText(url)}`] : []);
  const commits = list.commits.flatMap((c) => [
    `  ${when(c.last_triggered_at)} · ${lineText([c.project, c.workflow, c.commit_sha.slice(0, 8), c.branch ?? '(no branch)'].join(' · '))}` +
      ` · ${c.failures} failed, ${c.successes} passed`,
    ...link('failed', c.failed_url),
    ...link('passed', c.passed_url),
  ]);
  const jobs = list.jobs.flatMap((j) => [
    `  ${when(j.triggered_at)} · ${lineText([j.project, j.workflow, j.job].join(' · '))}` +
      ` · ${j.times === 1 ? 'once' : `${j.times} times`}, newest #${j.run_number ?? '?'}`,
    ...link('failed', j.failed_url),
    ...link('passed on retry', j.passed_url),
  ]);
  // A list cut at the limit may have more behind it: say so rather than pass it off as all there is.
  const count = (n: number) => (n < limit ? String(n) : `the first ${n}; --limit shows more`);
  return [
    `flaky commits (${count(list.commits.length)})`,
    ...commits,
    '',
    `jobs that passed on retry (${count(list.jobs.length)})`,
    ...jobs,
  ].join('\n');
}

function rankColumns(by: FlakyRanking): Column[] {
  return [
    { key: 'rank', header: '#', align: 'right', fixed: true },
    { key: 'project', header: 'project' },
    { key: 'workflow', header: 'workflow' },
    ...(by === 'job' ? [{ key: 'job', header: 'job' }] : []),
    { key: 'flake_rate', header: 'rate', align: 'right', fixed: true, display: rate },
    { key: 'flaky', header: 'flaky', align: 'right', fixed: true },
    { key: 'executions', header: 'execs', align: 'right', fixed: true },
    { key: 'time_lost_s', header: 'lost', align: 'right', fixed: true, display: formatSeconds },
    { key: 'last_seen_at', header: 'last seen', fixed: true, display: (v) => String(v).slice(0, 10) },
  ];
}

const rankRow = (rank: FlakyRank, i: number): Row => {
  const { examples, trend: _, ...figures } = rank;
  const newest = examples[0];
  return {
    rank: i + 1,
    ...figures,
    failed_url: newest?.failed_url ?? null,
    passed_url: newest?.passed_url ?? null,
  };
};

/** The table, then each entry's newest flaky execution with its links (whole, to be followed). */
function renderRanking(ranks: FlakyRank[], by: FlakyRanking, limit: number, width: number): string {
  const examples = ranks.flatMap((r, i) => {
    const newest = r.examples[0];
    if (!newest) return [];
    return [
      `  #${i + 1} ${when(newest.triggered_at)} · run #${newest.run_number ?? '?'}`,
      ...(newest.failed_url ? [`    failed: ${lineText(newest.failed_url)}`] : []),
      ...(newest.passed_url ? [`    passed on retry: ${lineText(newest.passed_url)}`] : []),
    ];
  });
  const title =
    ranks.length < limit
      ? `flaky ${by}s (${ranks.length})`
      : `flaky ${by}s (the first ${limit}; --limit shows more)`;
  return [
    title,
    renderTable(ranks.map(rankRow), rankColumns(by), width),
    'rate: flaky executions / executions; lost: duration of failed executions that were retried',
    '',
    'newest flaky execution of each',
    ...examples,
  ].join('\n');
}

export function registerFlaky(program: Command, cli: Cli): void {
  addFilterOptions(
    program
      .command('flaky')
      .description('flaky commits and jobs that passed on retry with links; --by ranks jobs or workflows'),
  )
    .option('--by <what>', `rank by flake rate: ${FLAKY_RANKINGS.join(' or ')}`)
    .option('--limit <n>', 'at most this many commits and this many jobs (or ranked entries)', '50')
    .option('--all', `every run stored, not the last ${DEFAULT_PERIOD_DAYS} days`)
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(
      async (options: FilterOptions & { by?: string; limit: string; all?: boolean; format?: string }) => {
        checkAllOption(options);
        const { filter, heading } = reportSelection(parseFilter(options), options.all === true);
        const limit = parseInteger(options.limit, '--limit', 1, 100_000);
        const format = formatFrom(cli, options.format, FORMATS);
        const by = options.by === undefined ? undefined : parseChoice(options.by, '--by', FLAKY_RANKINGS);
        const document = await cli.withStore(async (store) => {
          await checkFilterNames(store, filter);
          return flakyDocument(store, filter, { limit, by });
        });
        if (format === 'json') return cli.print(JSON.stringify(document, null, 2));
        if ('ranks' in document) {
          const { ranks } = document;
          if (format === 'csv')
            return cli.print(
              renderCsv(
                ranks.map(rankRow),
                RANK_CSV_FIELDS.map((key) => ({ key, header: key })),
              ),
            );
          if (ranks.length === 0)
            return cli.info(
              `${heading.join('\n')}\nno flaky ${document.by}s: no job passed on a retry in this selection`,
            );
          return cli.print(
            `${heading.join('\n')}\n\n${renderRanking(ranks, document.by, limit, cli.tableWidth())}`,
          );
        }
        if (format === 'csv') {
          const rows = [
            ...document.commits.map((c) => ({ kind: 'commit', ...c })),
            ...document.jobs.map((j) => ({ kind: 'job', ...j })),
          ] as unknown as Row[];
          return cli.print(
            renderCsv(
              rows,
              CSV_FIELDS.map((key) => ({ key, header: key })),
            ),
          );
        }
        if (document.commits.length === 0 && document.jobs.length === 0)
          return cli.info(`${heading.join('\n')}\nno flaky commits or jobs`);
        cli.print(`${heading.join('\n')}\n\n${renderList(document, limit)}`);
      },
    );
}
