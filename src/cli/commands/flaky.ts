// `buildlens flaky`: commits whose workflow both failed and passed, and jobs that passed on a retry, newest
// first, with links to the provider's pages.
import type { Command } from 'commander';
import { lineText } from '../../domain/text.js';
import { type FlakyList, flakyList } from '../../metrics/flaky.js';
import type { Cli } from '../context.js';
import { type Row, renderCsv } from '../format.js';
import { addFilterOptions, checkConnections, formatFrom } from '../options.js';
import { type FilterOptions, parseFilter, parseInteger } from '../parse.js';

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
  'run_number',
  'job',
  'last_triggered_at',
  'triggered_at',
  'failed_url',
  'passed_url',
];

/** Lines, not a table: the links must print whole to be followed. Provider text is sanitized. */
function renderList(list: FlakyList, limit: number): string {
  const link = (label: string, url: string | null) => (url ? [`    ${label}: ${lineText(url)}`] : []);
  const commits = list.commits.flatMap((c) => [
    `  ${lineText([c.project, c.workflow, c.commit_sha.slice(0, 8), c.branch ?? '(no branch)'].join(' · '))}` +
      ` · ${c.failures} failed, ${c.successes} passed`,
    ...link('failed', c.failed_url),
    ...link('passed', c.passed_url),
  ]);
  const jobs = list.jobs.flatMap((j) => [
    `  ${lineText([j.project, j.workflow, `#${j.run_number ?? '?'}`, j.job].join(' · '))}`,
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

export function registerFlaky(program: Command, cli: Cli): void {
  addFilterOptions(
    program.command('flaky').description('flaky commits and jobs that passed on retry, with links'),
  )
    .option('--limit <n>', 'at most this many commits and this many jobs', '50')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(async (options: FilterOptions & { limit: string; format?: string }) => {
      const filter = parseFilter(options);
      const limit = parseInteger(options.limit, '--limit', 1, 100_000);
      const format = formatFrom(cli, options.format, FORMATS);
      const list = await cli.withStore(async (store) => {
        await checkConnections(store, filter);
        return flakyList(store, filter, limit);
      });
      if (format === 'json') return cli.print(JSON.stringify(list, null, 2));
      if (format === 'csv') {
        const rows = [
          ...list.commits.map((c) => ({ kind: 'commit', ...c })),
          ...list.jobs.map((j) => ({ kind: 'job', ...j })),
        ] as unknown as Row[];
        return cli.print(
          renderCsv(
            rows,
            CSV_FIELDS.map((key) => ({ key, header: key })),
          ),
        );
      }
      if (list.commits.length === 0 && list.jobs.length === 0) return cli.info('no flaky commits or jobs');
      cli.print(renderList(list, limit));
    });
}
