// The per project overview for /metrics (what the Grafana dashboard and the Prometheus rules in deploy/ read):
// per project, branch scope (default|all) and window (24h|7d|30d), runs by outcome, success rates, flaky
// rate, duration and queue quantiles and credits; projects beyond the limit as project="other".
import { OVERVIEW_WINDOWS, type OverviewRow, type ProjectOverview } from '../metrics/project-overview.js';
import type { ReportMetrics } from '../metrics/vocabulary.js';
import type { Family, Sample } from './exposition.js';

/**
 * Outcomes that add up to the runs: unlike the report's `failure`, `failure` here leaves out the
 * infra_failure runs, which have their own outcome.
 */
const OUTCOMES: [string, (m: ReportMetrics) => number][] = [
  ['success', (m) => m.success],
  ['failure', (m) => m.failure - m.infra_failure],
  ['infra_failure', (m) => m.infra_failure],
  ['aborted', (m) => m.aborted],
  ['skipped', (m) => m.skipped],
  ['running', (m) => m.running],
  ['unknown', (m) => m.unknown],
];
/** Quantile label and percentile field, shared by every /metrics family of durations (and of queue times below). */
export const DURATION_QUANTILES = [
  ['0.5', 'duration_s_p50'],
  ['0.9', 'duration_s_p90'],
  ['0.95', 'duration_s_p95'],
] as const;
export const QUEUE_QUANTILES = [
  ['0.5', 'queue_s_p50'],
  ['0.95', 'queue_s_p95'],
] as const;

const windows = OVERVIEW_WINDOWS.map((w) => w.window).join('|');
const scope = `runs triggered in the window (window=${windows}) on the default branch or all (branch=default|all)`;

/** One sample per row (and extra label value) whose figure is known. */
function samples(
  rows: readonly OverviewRow[],
  pick: (m: ReportMetrics) => [Record<string, string>, number | null | undefined][],
): Sample[] {
  return rows.flatMap((row) =>
    pick(row.metrics).flatMap(([labels, value]) =>
      value === null || value === undefined
        ? []
        : [
            {
              labels: {
                connection: row.connection ?? '',
                project: row.project,
                branch: row.branch,
                window: row.window,
                ...labels,
              },
              value,
            },
          ],
    ),
  );
}

export function projectFamilies(overview: ProjectOverview): Family[] {
  const { rows } = overview;
  const gauge = (name: string, help: string, pick: Parameters<typeof samples>[1]): Family => ({
    name,
    help,
    type: 'gauge',
    samples: samples(rows, pick),
  });
  return [
    {
      name: 'buildlens_overview_projects',
      help: `Projects with series of their own (named, at most the limit) and taken together as project="other"`,
      type: 'gauge',
      samples: [
        { labels: { group: 'named' }, value: overview.named.length },
        { labels: { group: 'other' }, value: overview.others },
      ],
    },
    {
      name: 'buildlens_overview_project_limit',
      help: 'At most this many projects have series of their own (serve --metrics-projects)',
      type: 'gauge',
      samples: [{ labels: {}, value: overview.limit }],
    },
    gauge(
      'buildlens_project_runs',
      `Runs by outcome (failure without infra_failure; running = unfinished; unknown = a status buildlens does not know), ${scope}`,
      (m) => OUTCOMES.map(([outcome, value]) => [{ outcome }, value(m)]),
    ),
    gauge('buildlens_project_success_ratio', `success / (success + failure), ${scope}`, (m) => [
      [{}, m.success_rate],
    ]),
    gauge(
      'buildlens_project_success_ratio_without_infra',
      `success / (success + failure - infra_failure), ${scope}`,
      (m) => [[{}, m.success_rate_without_infra]],
    ),
    gauge('buildlens_project_flaky_ratio', `flaky runs / (success + failure), ${scope}`, (m) => [
      [{}, m.flaky_rate],
    ]),
    gauge('buildlens_project_run_duration_seconds', `Duration quantiles of successful runs, ${scope}`, (m) =>
      DURATION_QUANTILES.map(([quantile, field]) => [{ quantile }, m[field]]),
    ),
    gauge('buildlens_project_queue_seconds', `Queue time quantiles of started runs, ${scope}`, (m) =>
      QUEUE_QUANTILES.map(([quantile, field]) => [{ quantile }, m[field]]),
    ),
    gauge('buildlens_project_credits', `Provider credits (Bitrise) of the runs, ${scope}`, (m) => [
      [{}, m.credits],
    ]),
  ];
}
