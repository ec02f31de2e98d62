// One project: time series, breakdowns by workflow, branch and trigger, how runs were classified, the
// slowest and most failing workflows and steps, and every metric the report offers with its trend.
import { firingAlerts } from '../alerts.js';
import { api, type ReportRow } from '../api.js';
import { empty, fill, h } from '../dom.js';
import { formatValue, metricInfo, trend } from '../metrics.js';
import { num, type Page, timeBuckets } from '../page.js';
import { globalParams, href, periodText } from '../state.js';
import { loadStepRankings, stepRankingCards } from '../step-rankings.js';
import {
  breakdownChart,
  classificationChart,
  durationChart,
  queueChart,
  successChart,
  throughputChart,
} from '../views.js';

function ranking(
  title: string,
  rows: ReportRow[],
  field: string,
  project: { connection: string; name: string },
) {
  const top = rows.filter((r) => num(r, field) !== null && (num(r, field) ?? 0) > 0).slice(0, 5);
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, title),
    top.length === 0
      ? empty('Nothing to rank in this range.')
      : h(
          'ol',
          { class: 'ranking' },
          top.map((r) =>
            h(
              'li',
              {},
              h(
                'a',
                {
                  href: href('/runs', {
                    connection: project.connection,
                    project: project.name,
                    workflow: String(r.workflow),
                  }),
                  'data-link': true,
                },
                String(r.workflow),
              ),
              h('span', { class: 'rank-value' }, formatValue(field, r[field])),
              field === 'failure'
                ? h('span', { class: 'sub' }, `success ${formatValue('success_rate', r.success_rate)}`)
                : null,
            ),
          ),
        ),
  );
}

/** Every metric the report offers, by group, with its change against the previous period. */
function metricTable(groups: Record<string, string[]>, total: ReportRow): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'All metrics'),
    h(
      'table',
      { class: 'data compact' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Metric'),
          h('th', { scope: 'col', class: 'num' }, 'Value'),
          h('th', { scope: 'col' }, 'vs previous'),
        ),
      ),
      Object.entries(groups).map(([group, fields]) =>
        h(
          'tbody',
          {},
          h('tr', {}, h('th', { scope: 'rowgroup', colspan: 3, class: 'group' }, group)),
          fields.map((f) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, metricInfo(f).label),
              h('td', { class: 'num', 'data-metric': f }, formatValue(f, total[f])),
              h('td', {}, trend(f, total, total.previous)),
            ),
          ),
        ),
      ),
    ),
  );
}

export const projectPage: Page = async (context) => {
  const { global, meta } = context;
  const [connection = '', name = ''] = context.path;
  const scope = { connection, project: name };
  const buckets = timeBuckets(global);
  const breakdowns = ['branch', 'trigger'];
  const current = globalParams(global);
  const [alerts, series, perWorkflow, steps, ...grouped] = await Promise.all([
    api.alerts({ state: 'firing', connection, project: name }).catch(() => null),
    api.report({ ...current, ...scope, by: [buckets.dimension] }),
    // Every metric group, against the previous period: the workflow rankings and the "All metrics" table.
    api.report({
      ...current,
      ...scope,
      by: ['workflow'],
      metrics: Object.keys(meta.metric_groups),
      compare: 'previous',
    }),
    loadStepRankings({ connection, name }, current),
    ...breakdowns.map((d) => api.report({ ...current, ...scope, by: [d] })),
  ]);
  if (context.stale()) return;
  const workflows = perWorkflow.rows;
  const byDimension = new Map(breakdowns.map((d, i) => [d, grouped[i]?.rows ?? []]));
  const total = perWorkflow.total;
  const slowest = [...workflows].sort(
    (a, b) => (num(b, 'duration_s_p95') ?? -1) - (num(a, 'duration_s_p95') ?? -1),
  );
  const failing = [...workflows].sort((a, b) => (num(b, 'failure') ?? 0) - (num(a, 'failure') ?? 0));

  fill(
    context.main,
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: href('/'), 'data-link': true }, 'Overview'),
      ' / ',
      connection,
    ),
    h('h1', {}, name),
    firingAlerts(alerts),
    h(
      'p',
      { class: 'lead' },
      `${periodText(global).replace(/^./, (c) => c.toUpperCase())}: ${formatValue('runs', total.runs)} runs, success rate ${formatValue('success_rate', total.success_rate)} `,
      trend('success_rate', total, total.previous),
      h(
        'span',
        { 'data-metric': 'success_rate_without_infra' },
        `, ${formatValue('success_rate_without_infra', total.success_rate_without_infra)} without infra failures`,
      ),
      h(
        'span',
        { 'data-metric': 'infra_failure' },
        ` (${formatValue('infra_failure', total.infra_failure)} infra failure${num(total, 'infra_failure') === 1 ? '' : 's'})`,
      ),
      ' · ',
      h('a', { href: href('/runs', scope), 'data-link': true }, 'Explore these runs'),
    ),
    num(total, 'runs') === 0
      ? empty('No runs of this project in this range. Choose a longer range.')
      : [
          h(
            'div',
            { class: 'grid two' },
            durationChart(series.rows, buckets, scope),
            queueChart(series.rows, buckets, scope),
            successChart(series.rows, buckets, scope),
            throughputChart(series.rows, buckets, scope),
            classificationChart(total),
          ),
          h('h2', {}, 'Breakdown'),
          h(
            'div',
            { class: 'grid three' },
            breakdownChart(workflows, 'workflow', scope),
            breakdowns.map((d) => breakdownChart(byDimension.get(d) ?? [], d, scope)),
          ),
          h(
            'div',
            { class: 'grid three' },
            ranking('Slowest workflows (p95)', slowest, 'duration_s_p95', { connection, name }),
            ranking('Most failing workflows', failing, 'failure', { connection, name }),
            metricTable(meta.metric_groups, total),
          ),
          h('h2', {}, 'Steps'),
          // Compared as the project's total is: no arrow where the store lacks the previous period.
          h('div', { class: 'grid two' }, stepRankingCards(steps, total.comparison)),
        ],
  );
};
