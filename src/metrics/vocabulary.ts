// The report's vocabulary: its dimensions, metric groups, field names and row types, and the store it reads.
// A leaf every metrics file imports down to (the runs path in report.ts, the rollups path in
// rollup-report.ts, flaky.ts, report-document.ts), so none of them has to import another for a word.
import type { Store } from '../store/store.js';

export const DIMENSIONS = [
  'connection',
  'provider',
  'project',
  'workflow',
  'branch',
  'trigger',
  'pr',
  'machine',
  'stack',
  'agent_queue',
  'day',
  'week',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Metric groups a report can compute. `counts` and `duration` are always there, and so are the queue's p50
 * and p95 (the overview every consumer reads); asking for `queue` adds its p90 and max.
 */
export const METRIC_GROUPS = [
  'counts',
  'rates',
  'duration',
  'queue',
  'setup',
  'recovery',
  'flaky',
  'credits',
] as const;
export type MetricGroup = (typeof METRIC_GROUPS)[number];
export const BASE_METRICS: readonly MetricGroup[] = ['counts', 'duration'];
export const OVERVIEW_QUEUE_FIELDS = ['queue_s_p50', 'queue_s_p95'] as const;

/** `<prefix>_p50/_p90/_p95/_max`: the fields of a measured duration. */
export const percentileFields = (prefix: string) => [
  `${prefix}_p50`,
  `${prefix}_p90`,
  `${prefix}_p95`,
  `${prefix}_max`,
];

/** The fields of each group, in order: the stable json/csv names (docs/metrics.md). */
export const METRIC_FIELDS: Record<MetricGroup, readonly string[]> = {
  counts: [
    'runs',
    'success',
    'failure',
    'infra_failure',
    'aborted',
    'skipped',
    'running',
    'blocked',
    'unknown',
    'success_rate',
    'success_rate_without_infra',
  ],
  rates: ['aborted_manual', 'aborted_auto', 'failure_rate', 'abort_rate', 'skip_rate'],
  duration: percentileFields('duration_s'),
  queue: percentileFields('queue_s'),
  setup: percentileFields('setup_s'),
  recovery: ['recovery_incidents', 'recovery_open', 'recovery_s_p50'],
  flaky: ['flaky_runs', 'flaky_rate'],
  credits: ['credits', 'credits_per_run'],
};

/** The dimensions each row carries, in order: grouping by project also groups by its connection. */
export function groupDimensions(by: readonly Dimension[]): Dimension[] {
  const unique = [...new Set(by)];
  return unique.includes('project') && !unique.includes('connection') ? [...unique, 'connection'] : unique;
}

type N = number | null;

export const PERCENTILE_SOURCES = ['exact', 'sketch'] as const;
export type PercentileSource = (typeof PERCENTILE_SOURCES)[number];

/** Up to this many selected runs a report's percentiles are exact, from the runs (DESIGN.md). */
export const EXACT_LIMIT = 20_000;

// Type aliases, not interfaces: rows are also plain records for the output formats.
/** Always present. Field names are snake_case: they are what other programs read (a stable contract). */
export type BaseMetrics = {
  runs: number;
  success: number;
  /** Includes `infra_failure`: a failed run counts against the rate whatever broke it. */
  failure: number;
  /** Failures a rule put down to the infrastructure (agents, network, provider), also inside `failure`. */
  infra_failure: number;
  /** aborted_manual + aborted_auto. */
  aborted: number;
  skipped: number;
  /** Not finished yet (no classification), of a known status. */
  running: number;
  /**
   * Buildkite builds waiting on a block step (status blocked). They are classified from what ran before the
   * block, so they are also in success or failure, never in `running` (DESIGN.md "Blocked build").
   */
  blocked: number;
  /** Of a status buildlens does not know (DESIGN.md): counted in `runs`, in no rate or percentile. */
  unknown: number;
  /** success / (success + failure); null when both are 0. */
  success_rate: N;
  /** success / (success + failure − infra_failure): the rate the builds themselves earn. */
  success_rate_without_infra: N;
  /**
   * Where this row's percentiles come from: the runs themselves (`exact`), or the rollups' sketches (within
   * 0.5 %) when the selection holds more than EXACT_LIMIT runs.
   */
  percentiles: PercentileSource;
  /** Over runs classified success. */
  duration_s_p50: N;
  duration_s_p90: N;
  duration_s_p95: N;
  duration_s_max: N;
  /** Over runs that started (queue_s not null). */
  queue_s_p50: N;
  queue_s_p95: N;
};

/** Present when their group is asked for. */
export type ExtraMetrics = {
  aborted_manual: number;
  aborted_auto: number;
  /** failure / (success + failure). */
  failure_rate: N;
  /** aborted / finished runs. */
  abort_rate: N;
  /** skipped / finished runs. */
  skip_rate: N;
  queue_s_p90: N;
  queue_s_max: N;
  setup_s_p50: N;
  setup_s_p90: N;
  setup_s_p95: N;
  setup_s_max: N;
  /** Failure streaks on a branch that a success ended. */
  recovery_incidents: number;
  /** Failure streaks not ended yet. */
  recovery_open: number;
  /** Median seconds from a streak's first failure finishing to the next success finishing. */
  recovery_s_p50: N;
  flaky_runs: number;
  /** flaky_runs / (success + failure). */
  flaky_rate: N;
  /** Sum of provider credits; null when no run has any. */
  credits: N;
  /** Mean credits of runs that have a cost. */
  credits_per_run: N;
};

export type ReportMetrics = BaseMetrics & Partial<ExtraMetrics>;
export type ReportRow = Partial<Record<Dimension, string | null>> & ReportMetrics;

/** What a report reads: the store's query builder and its SQL dialect. */
export type ReportSource = Pick<Store, 'db' | 'dialect'>;
