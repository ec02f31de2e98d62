// How each metric field reads: its label, its unit and which direction is better. Fields the metrics
// module adds later are shown too, with a label and unit guessed from their snake_case name.

import { formatDuration } from '../../src/domain/duration.js';
import type { Figures, ReportRow } from './api.js';
import { h } from './dom.js';

export type Unit = 'count' | 'ratio' | 'seconds' | 'credits';

export interface MetricInfo {
  label: string;
  unit: Unit;
  /** Which way is an improvement; null when neither is (e.g. run counts). */
  better: 'up' | 'down' | null;
}

const KNOWN: Record<string, MetricInfo> = {
  runs: { label: 'Runs', unit: 'count', better: null },
  success: { label: 'Succeeded', unit: 'count', better: null },
  failure: { label: 'Failed', unit: 'count', better: 'down' },
  aborted: { label: 'Aborted', unit: 'count', better: null },
  skipped: { label: 'Skipped', unit: 'count', better: null },
  running: { label: 'Unfinished', unit: 'count', better: null },
  blocked: { label: 'Blocked', unit: 'count', better: null },
  unknown: { label: 'Unknown status', unit: 'count', better: null },
  infra_failure: { label: 'Infra failures', unit: 'count', better: 'down' },
  success_rate: { label: 'Success rate', unit: 'ratio', better: 'up' },
  success_rate_without_infra: { label: 'Success rate without infra', unit: 'ratio', better: 'up' },
  duration_s_p50: { label: 'Duration p50', unit: 'seconds', better: 'down' },
  duration_s_p90: { label: 'Duration p90', unit: 'seconds', better: 'down' },
  duration_s_p95: { label: 'Duration p95', unit: 'seconds', better: 'down' },
  duration_s_max: { label: 'Duration max', unit: 'seconds', better: 'down' },
  queue_s_p50: { label: 'Queue p50', unit: 'seconds', better: 'down' },
  queue_s_p95: { label: 'Queue p95', unit: 'seconds', better: 'down' },
  flaky_runs: { label: 'Flaky runs', unit: 'count', better: 'down' },
  failure_rate: { label: 'Failure rate', unit: 'ratio', better: 'down' },
  recovery_s_p50: { label: 'Time to recovery p50', unit: 'seconds', better: 'down' },
  credits: { label: 'Credits', unit: 'credits', better: 'down' },
  credits_per_run: { label: 'Credits per run', unit: 'credits', better: 'down' },
  flaky_rate: { label: 'Flaky rate', unit: 'ratio', better: 'down' },
};

export function metricInfo(field: string): MetricInfo {
  const known = KNOWN[field];
  if (known) return known;
  // `setup_s_p90` reads "Setup p90": the unit suffix is shown by the value's format.
  const label = field
    .replace(/_s(_|$)/, '$1')
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());
  if (/_rate$|_ratio$/.test(field)) return { label, unit: 'ratio', better: null };
  if (/(^|_)s(_|$)/.test(field)) return { label, unit: 'seconds', better: 'down' };
  if (/credit|cost/.test(field)) return { label, unit: 'credits', better: 'down' };
  return { label, unit: 'count', better: null };
}

/** The one duration format of the CLI, markdown and dashboard. */
export const formatSeconds = formatDuration;

export function formatValue(field: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return '—';
  switch (metricInfo(field).unit) {
    case 'ratio':
      return `${(value * 100).toFixed(1)}%`;
    case 'seconds':
      return formatSeconds(value);
    case 'credits':
      return value.toLocaleString('en', { maximumFractionDigits: 1 });
    case 'count':
      return value.toLocaleString('en');
  }
}

const asNumber = (value: unknown) => (typeof value === 'number' ? value : null);

/** ▲/▼ and the change against the previous period, coloured good or bad where that is known. */
export function trend(field: string, current: ReportRow | undefined, previous: Figures | null | undefined) {
  // A previous period the store does not wholly cover is no baseline, and the page says why.
  const note = current?.comparison?.note;
  if (note) return h('span', { class: 'trend none', title: 'not compared with the previous period' }, note);
  const now = asNumber(current?.[field]);
  const before = asNumber(previous?.[field]);
  // A previous period without runs (before the history starts) is no baseline.
  if (now === null || before === null || !asNumber(previous?.runs))
    return h('span', { class: 'trend none', title: 'no data in the previous period' }, '');
  const info = metricInfo(field);
  const change = now - before;
  const relative = before === 0 ? null : change / before;
  const text =
    info.unit === 'ratio'
      ? `${change >= 0 ? '+' : '−'}${Math.abs(change * 100).toFixed(1)} pts`
      : relative === null
        ? change === 0
          ? 'same'
          : `from ${formatValue(field, before)}`
        : `${change >= 0 ? '+' : '−'}${Math.abs(relative * 100).toFixed(0)}%`;
  const flat =
    info.unit === 'ratio'
      ? Math.abs(change) < 0.005
      : relative === null
        ? change === 0
        : Math.abs(relative) < 0.02;
  const arrow = flat ? '→' : change > 0 ? '▲' : '▼';
  const mood =
    flat || info.better === null ? 'neutral' : change > 0 === (info.better === 'up') ? 'good' : 'bad';
  const direction = flat ? 'about the same' : change > 0 ? 'up' : 'down';
  return h(
    'span',
    { class: `trend ${mood}`, title: `${direction} vs the previous period (${formatValue(field, before)})` },
    `${arrow} ${text}`,
  );
}
