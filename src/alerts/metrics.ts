// The figures an alert can watch, each read from a report row (src/metrics), with the runs it is taken over
// (what `min_runs` counts) and how a person reads it. Rates are fractions here and percentages in rules
// files and messages, as people say "below 90 %".
import { formatDuration } from '../domain/duration.js';
import type { MetricGroup, ReportMetrics } from '../metrics/vocabulary.js';

export const ALERT_METRICS = [
  'success_rate',
  'failure_count',
  'infra_failure_rate',
  'duration_p50',
  'duration_p90',
  'duration_p95',
  'queue_p95',
  'flaky_rate',
  'credits',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

/** rate: a fraction (written in %); seconds: a duration; count and credits: plain numbers. */
export type MetricKind = 'rate' | 'seconds' | 'count' | 'credits';

export interface MetricDefinition {
  label: string;
  kind: MetricKind;
  /** Report metric groups beyond the base ones that the figure needs. */
  groups: readonly MetricGroup[];
  /** The figure, null when there is nothing to take it over. */
  value(row: ReportMetrics): number | null;
  /** How many runs the figure is taken over: what `min_runs` is compared with. */
  basis(row: ReportMetrics): number;
  /** What the basis counts, for messages ("12 finished runs"). */
  basisWords: string;
}

const finished = (row: ReportMetrics) => row.success + row.failure;
const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

export const METRICS: Record<AlertMetric, MetricDefinition> = {
  success_rate: {
    label: 'Success rate',
    kind: 'rate',
    groups: [],
    value: (row) => row.success_rate,
    basis: finished,
    basisWords: 'succeeded or failed runs',
  },
  failure_count: {
    label: 'Failed runs',
    kind: 'count',
    groups: [],
    value: (row) => row.failure,
    basis: (row) => row.runs,
    basisWords: 'runs',
  },
  infra_failure_rate: {
    label: 'Infrastructure failure rate',
    kind: 'rate',
    groups: [],
    value: (row) => ratio(row.infra_failure, finished(row)),
    basis: finished,
    basisWords: 'succeeded or failed runs',
  },
  duration_p50: {
    label: 'Duration p50',
    kind: 'seconds',
    groups: [],
    value: (row) => row.duration_s_p50,
    basis: (row) => row.success,
    basisWords: 'successful runs',
  },
  duration_p90: {
    label: 'Duration p90',
    kind: 'seconds',
    groups: [],
    value: (row) => row.duration_s_p90,
    basis: (row) => row.success,
    basisWords: 'successful runs',
  },
  duration_p95: {
    label: 'Duration p95',
    kind: 'seconds',
    groups: [],
    value: (row) => row.duration_s_p95,
    basis: (row) => row.success,
    basisWords: 'successful runs',
  },
  queue_p95: {
    label: 'Queue time p95',
    kind: 'seconds',
    groups: [],
    value: (row) => row.queue_s_p95,
    basis: (row) => row.runs - row.unknown,
    basisWords: 'runs',
  },
  flaky_rate: {
    label: 'Flaky rate',
    kind: 'rate',
    groups: ['flaky'],
    value: (row) => row.flaky_rate ?? null,
    basis: finished,
    basisWords: 'succeeded or failed runs',
  },
  credits: {
    label: 'Credits',
    kind: 'credits',
    groups: ['credits'],
    // No run with a cost in the window spends nothing.
    value: (row) => row.credits ?? 0,
    basis: (row) => row.runs,
    basisWords: 'runs',
  },
};

const round = (value: number, digits: number) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** A figure as messages and tables show it: `82.5 %`, `8m 13s`, `14`, `1250.5`. */
export function formatFigure(kind: MetricKind, value: number | null): string {
  if (value === null) return '-';
  switch (kind) {
    case 'rate':
      return `${round(value * 100, 1)} %`;
    case 'seconds':
      return formatDuration(value);
    default:
      return String(round(value, 2));
  }
}
