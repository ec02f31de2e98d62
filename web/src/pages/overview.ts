// Overview: every project's runs, success rate (with and without infra failures), infra failures,
// durations and queue time, with trends against the previous period of the same length and a sparkline of
// runs over time.
import { firingAlerts } from '../alerts.js';
import { api, type ReportRow } from '../api.js';
import { sparkline } from '../charts.js';
import { empty, fill, h } from '../dom.js';
import { formatValue, metricInfo, trend } from '../metrics.js';
import { num, type Page, projectKey, timeBuckets } from '../page.js';
import { globalParams, href, periodText, viewText } from '../state.js';
import { durationChart, queueChart, throughputChart } from '../views.js';

// Infra failures are their own figure, and the rate without them stands beside the plain one.
const COLUMNS = [
  'runs',
  'success_rate',
  'success_rate_without_infra',
  'infra_failure',
  'duration_s_p50',
  'duration_s_p95',
  'queue_s_p95',
];

function kpis(current: ReportRow): HTMLElement {
  return h(
    'section',
    { class: 'kpis', 'aria-label': 'Totals' },
    COLUMNS.map((field) =>
      h(
        'div',
        { class: 'kpi card' },
        h('span', { class: 'kpi-label' }, metricInfo(field).label),
        h('span', { class: 'kpi-value', 'data-metric': field }, formatValue(field, current[field])),
        trend(field, current, current.previous),
      ),
    ),
  );
}

export const overviewPage: Page = async (context) => {
  const { global } = context;
  const buckets = timeBuckets(global);
  const bucket = buckets.dimension;
  const [current, series, overall, alerts] = await Promise.all([
    api.report({ ...globalParams(global), by: ['project'], compare: 'previous' }),
    api.report({ ...globalParams(global), by: ['project', bucket] }),
    api.report({ ...globalParams(global), by: [bucket] }),
    // Alerts are extra: the overview stands without them.
    api.alerts({ state: 'firing' }).catch(() => null),
  ]);
  if (context.stale()) return;
  // Runs per bucket of each project; a bucket without runs is 0.
  const runsOver = new Map<string, number[]>();
  for (const row of series.rows) {
    const values = runsOver.get(projectKey(row)) ?? buckets.labels.map(() => 0);
    const at = buckets.labels.indexOf(String(row[bucket]));
    if (at >= 0) values[at] = num(row, 'runs') ?? 0;
    runsOver.set(projectKey(row), values);
  }

  const table = h(
    'table',
    { class: 'data' },
    h(
      'caption',
      { class: 'visually-hidden' },
      `Projects, ${periodText(global)}, with change against the period of the same length before`,
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Project'),
        COLUMNS.map((f) => h('th', { scope: 'col', class: 'num' }, metricInfo(f).label)),
        h('th', { scope: 'col' }, `Runs per ${bucket}`),
      ),
    ),
    h(
      'tbody',
      {},
      current.rows.map((row) => {
        const key = projectKey(row);
        const name = String(row.project ?? '(unknown)');
        const link = href(
          `/project/${encodeURIComponent(String(row.connection))}/${encodeURIComponent(name)}`,
        );
        return h(
          'tr',
          { 'data-project': name },
          h(
            'th',
            { scope: 'row' },
            h('a', { href: link, 'data-link': true }, name),
            h('span', { class: 'sub' }, String(row.connection ?? '')),
          ),
          COLUMNS.map((field) =>
            h(
              'td',
              { class: 'num', 'data-metric': field },
              h('span', {}, formatValue(field, row[field])),
              trend(field, row, row.previous),
            ),
          ),
          h('td', {}, sparkline(runsOver.get(key) ?? [], `Runs per ${bucket} of ${name}`)),
        );
      }),
    ),
  );

  fill(
    context.main,
    h('h1', {}, 'Overview'),
    h('p', { class: 'lead' }, viewText(global)),
    firingAlerts(alerts),
    kpis(current.total),
    current.rows.length === 0
      ? empty('No runs in this range. Choose a longer range or another provider, or sync your connections.')
      : [
          h('div', { class: 'table-wrap card' }, table),
          h(
            'div',
            { class: 'grid two' },
            throughputChart(overall.rows, buckets),
            durationChart(overall.rows, buckets),
            queueChart(overall.rows, buckets),
          ),
        ],
  );
};
