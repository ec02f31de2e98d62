// Flaky runs: how many and how often per project, over time, and the commits and jobs behind the numbers,
// with links to the failed and the passed run on the provider.
import { api, type FlakyList } from '../api.js';
import { empty, externalLink, fill, h } from '../dom.js';
import { formatValue, metricInfo, trend } from '../metrics.js';
import { type Page, timeBuckets } from '../page.js';
import { globalParams } from '../state.js';
import { metricByGroup, metricOverTime } from '../views.js';

const LIMIT = 100;
const time = (iso: string) => iso.slice(0, 16).replace('T', ' ');

function table(caption: string, headers: string[], rows: HTMLElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap card' },
    h(
      'table',
      { class: 'data' },
      h('caption', { class: 'caption' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

function lists(flaky: FlakyList): HTMLElement[] {
  const links = (failed: string | null, passed: string | null) =>
    h(
      'td',
      { class: 'nowrap' },
      externalLink(failed, 'failed', 'The failed run'),
      ' · ',
      externalLink(passed, 'passed', 'The passed run'),
    );
  return [
    flaky.commits.length === 0
      ? empty('No commit both failed and passed in this range.')
      : table(
          `Commits whose workflow both failed and passed (newest first, at most ${LIMIT})`,
          ['Last run (UTC)', 'Project', 'Workflow', 'Branch', 'Commit', 'Failed / passed', 'Runs'],
          flaky.commits.map((c) =>
            h(
              'tr',
              { 'data-commit': c.commit_sha },
              h('td', { class: 'nowrap' }, time(c.last_triggered_at)),
              h('td', {}, c.project, h('span', { class: 'sub' }, c.connection)),
              h('td', {}, c.workflow),
              h('td', { class: 'branch' }, c.branch ?? '—'),
              h('td', {}, h('code', { title: c.commit_sha }, c.commit_sha.slice(0, 10))),
              h('td', { class: 'num' }, `${c.failures} / ${c.successes}`),
              links(c.failed_url, c.passed_url),
            ),
          ),
        ),
    flaky.jobs.length === 0
      ? empty('No job passed on a retry in this range.')
      : table(
          `Jobs that passed on a retry of a failed attempt (newest first, at most ${LIMIT})`,
          ['Run triggered (UTC)', 'Project', 'Workflow', 'Run', 'Job', 'Attempts'],
          flaky.jobs.map((j) =>
            h(
              'tr',
              {},
              h('td', { class: 'nowrap' }, time(j.triggered_at)),
              h('td', {}, j.project, h('span', { class: 'sub' }, j.connection)),
              h('td', {}, j.workflow),
              h('td', { class: 'num' }, j.run_number === null ? '—' : `#${j.run_number}`),
              h('td', {}, j.job),
              links(j.failed_url, j.passed_url),
            ),
          ),
        ),
  ];
}

export const flakyPage: Page = async (context) => {
  const { global } = context;
  const buckets = timeBuckets(global);
  const current = globalParams(global);
  const [perProject, overTime, flaky] = await Promise.all([
    api.report({ ...current, by: ['project'], metrics: ['flaky'], compare: 'previous' }),
    api.report({ ...current, by: [buckets.dimension], metrics: ['flaky'] }),
    api.flaky({ ...current, limit: String(LIMIT) }),
  ]);
  if (context.stale()) return;
  const total = perProject.total;
  fill(
    context.main,
    h('h1', {}, 'Flaky runs'),
    h(
      'p',
      { class: 'lead' },
      'A run is flaky when the same workflow both failed and passed on one commit, or a job passed on a retry of a failed attempt.',
    ),
    h(
      'section',
      { class: 'kpis', 'aria-label': 'Totals' },
      ['flaky_runs', 'flaky_rate'].map((field) =>
        h(
          'div',
          { class: 'kpi card' },
          h('span', { class: 'kpi-label' }, metricInfo(field).label),
          h('span', { class: 'kpi-value', 'data-metric': field }, formatValue(field, total[field])),
          trend(field, total, total.previous),
        ),
      ),
    ),
    h(
      'div',
      { class: 'grid two' },
      metricOverTime(overTime.rows, buckets, 'flaky_runs'),
      metricByGroup(perProject.rows, 'project', 'flaky_rate'),
    ),
    lists(flaky),
  );
};
