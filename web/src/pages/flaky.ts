// Flakiness: jobs (or workflows) ranked by flake rate with their trend, time lost to retries and the newest
// example, then the commits whose workflow both failed and passed. Every listed event carries its date.
import { api, type FlakyList, type FlakyRank } from '../api.js';
import { sparkline } from '../charts.js';
import { empty, externalLink, fill, h } from '../dom.js';
import { formatSeconds, formatValue, metricInfo, trend } from '../metrics.js';
import { navigate } from '../navigation.js';
import { type Buckets, type Page, timeBuckets } from '../page.js';
import { globalParams, href, readGlobal, viewText } from '../state.js';
import { metricByGroup, metricOverTime } from '../views.js';

const RANKED = 25;
const COMMITS = 20;
const BY = ['job', 'workflow'] as const;

const LOCAL = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: '2-digit', day: '2-digit' });
const LOCAL_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const when = (iso: string, withTime = false) =>
  h(
    'time',
    { datetime: iso, title: `${iso.slice(0, 16).replace('T', ' ')} UTC` },
    (withTime ? LOCAL_TIME : LOCAL).format(new Date(iso)),
  );

function table(caption: string, headers: string[], rows: HTMLElement[], className = ''): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap card' },
    h(
      'table',
      { class: `data ${className}` },
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

const links = (failed: string | null, passed: string | null, passedText = 'passed') =>
  h(
    'td',
    { class: 'nowrap' },
    externalLink(failed, 'failed', 'The failed attempt'),
    ' · ',
    externalLink(passed, passedText, 'The attempt that passed'),
  );

/** Flaky executions per bucket of the range, 0 where it had none. */
function trendValues(rank: FlakyRank, buckets: Buckets): number[] {
  const byBucket = new Map((rank.trend ?? []).map((p) => [p.bucket, p.flaky]));
  return buckets.labels.map((b) => byBucket.get(b) ?? 0);
}

function ranking(ranks: FlakyRank[], by: (typeof BY)[number], buckets: Buckets): HTMLElement {
  if (ranks.length === 0) return empty(`No ${by} passed on a retry of a failed attempt in this range.`);
  return table(
    `${by === 'job' ? 'Jobs' : 'Workflows'} ranked by flake rate (flaky executions / executions)${ranks.length === RANKED ? `, the first ${RANKED}` : ''}`,
    [
      '#',
      'Project',
      'Workflow',
      ...(by === 'job' ? ['Job'] : []),
      'Flake rate',
      'Flaky / executions',
      'Time lost to retries',
      'Last seen',
      `Flaky per ${buckets.dimension}`,
      'Newest example',
    ],
    ranks.map((r, i) => {
      const example = r.examples[0];
      const name = by === 'job' ? `${r.job} (${r.workflow})` : r.workflow;
      return h(
        'tr',
        { 'data-rank': i + 1 },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', {}, r.project, h('span', { class: 'sub' }, r.connection)),
        h(
          'td',
          {},
          h(
            'a',
            {
              href: href(
                '/runs',
                { connection: r.connection, project: r.project },
                { ...readGlobal(), workflow: [r.workflow] },
              ),
              'data-link': true,
              'data-workflow': r.workflow,
            },
            r.workflow,
          ),
        ),
        by === 'job' ? h('td', {}, r.job ?? '') : null,
        h('td', { class: 'num', 'data-field': 'flake_rate' }, `${(r.flake_rate * 100).toFixed(1)}%`),
        h('td', { class: 'num' }, `${r.flaky} / ${r.executions}`),
        h('td', { class: 'num' }, formatSeconds(r.time_lost_s)),
        h('td', { class: 'nowrap', 'data-field': 'last_seen' }, when(r.last_seen_at)),
        h(
          'td',
          {},
          sparkline(trendValues(r, buckets), `Flaky executions of ${name} per ${buckets.dimension}`),
        ),
        example
          ? h(
              'td',
              { class: 'nowrap' },
              when(example.triggered_at, true),
              h('span', { class: 'sub' }, `run #${example.run_number ?? '?'} `),
              h(
                'span',
                { class: 'sub' },
                externalLink(example.failed_url, 'failed', 'The failed attempt'),
                ' · ',
                externalLink(example.passed_url, 'passed on retry', 'The retry that passed'),
              ),
            )
          : h('td', {}, '—'),
      );
    }),
    'ranking',
  );
}

function commits(list: FlakyList): HTMLElement {
  if (list.commits.length === 0) return empty('No commit both failed and passed in this range.');
  return table(
    `Commits whose workflow both failed and passed (newest first${list.commits.length === COMMITS ? `, the first ${COMMITS}` : ''})`,
    ['Last run', 'Project', 'Workflow', 'Branch', 'Commit', 'Failed / passed', 'Runs'],
    list.commits.map((c) =>
      h(
        'tr',
        { 'data-commit': c.commit_sha },
        h('td', { class: 'nowrap' }, when(c.last_triggered_at, true)),
        h('td', {}, c.project, h('span', { class: 'sub' }, c.connection)),
        h('td', {}, c.workflow),
        h('td', { class: 'branch' }, c.branch ?? '—'),
        h('td', {}, h('code', { title: c.commit_sha }, c.commit_sha.slice(0, 10))),
        h('td', { class: 'num' }, `${c.failures} / ${c.successes}`),
        links(c.failed_url, c.passed_url),
      ),
    ),
  );
}

export const flakyPage: Page = async (context) => {
  const { global, params } = context;
  const by = params.get('by') === 'workflow' ? 'workflow' : 'job';
  const buckets = timeBuckets(global);
  const current = globalParams(global);
  const [perProject, overTime, ranked, flaky] = await Promise.all([
    api.report({ ...current, by: ['project'], metrics: ['flaky'], compare: 'previous' }),
    api.report({ ...current, by: [buckets.dimension], metrics: ['flaky'] }),
    api.flakyRanking({ ...current, by, bucket: buckets.dimension, limit: String(RANKED) }),
    api.flaky({ ...current, limit: String(COMMITS) }),
  ]);
  if (context.stale()) return;
  const total = perProject.total;
  const choice = h(
    'label',
    {},
    'Rank',
    h(
      'select',
      {
        name: 'by',
        onchange: (event: Event) =>
          navigate(href('/flaky', { by: (event.target as HTMLSelectElement).value })),
      },
      BY.map((b) => h('option', { value: b, selected: b === by }, b === 'job' ? 'jobs' : 'workflows')),
    ),
  );
  fill(
    context.main,
    h('h1', {}, 'Flakiness'),
    h(
      'p',
      { class: 'lead' },
      `${viewText(global)} A flaky execution is a failed job that a retry of it in the same run then passed; a flaky run is also one whose workflow both failed and passed on the same commit.`,
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
    h('form', { class: 'run-filters card', 'aria-label': 'Ranking' }, choice),
    ranking(ranked.ranks, by, buckets),
    h(
      'div',
      { class: 'grid two' },
      metricOverTime(overTime.rows, buckets, 'flaky_runs'),
      metricByGroup(perProject.rows, 'project', 'flaky_rate'),
    ),
    commits(flaky),
  );
};
