// Charts built from report rows, shared by the pages.
import type { ReportRow } from './api.js';
import { axisStyle, CLASS_COLORS, chartFigure, color } from './charts.js';
import { formatSeconds, formatValue, metricInfo } from './metrics.js';
import { type Buckets, num } from './page.js';

const OUTCOMES = ['success', 'failure', 'aborted', 'skipped', 'running'] as const;

/** Each bucket's value of `field`; a bucket without runs counts 0 runs but has no percentile. */
const byBucket = (rows: ReportRow[], buckets: Buckets) => {
  const index = new Map(rows.map((r) => [String(r[buckets.dimension]), r]));
  return (field: string, missing: 0 | null = null) =>
    buckets.labels.map((b) => (index.has(b) ? num(index.get(b), field) : missing));
};

const countPoints = (series: (number | null)[][]) => series.flat().filter((v) => v !== null).length;

/** Runs per bucket, stacked by outcome: aborted and skipped are their own series, not hidden in failure. */
export function throughputChart(rows: ReportRow[], buckets: Buckets): HTMLElement {
  const value = byBucket(rows, buckets);
  const series = OUTCOMES.map((o) => value(o, 0));
  return chartFigure(
    `Throughput: runs per ${buckets.dimension} by outcome`,
    {
      xAxis: { type: 'category', data: buckets.labels, ...axisStyle() },
      yAxis: { type: 'value', minInterval: 1, ...axisStyle() },
      tooltip: { trigger: 'axis' },
      series: OUTCOMES.map((outcome, i) => ({
        name: metricInfo(outcome).label,
        type: 'bar',
        stack: 'runs',
        data: series[i],
        itemStyle: { color: color(CLASS_COLORS[outcome]) },
      })),
    },
    // Empty buckets are drawn as 0 runs, but only buckets with runs count as data.
    rows.length,
  );
}

/** Duration p50/p95 of successful runs and queue p95, per bucket. */
export function durationChart(rows: ReportRow[], buckets: Buckets): HTMLElement {
  const value = byBucket(rows, buckets);
  const lines = [
    ['duration_s_p50', 'c-p50'],
    ['duration_s_p95', 'c-p95'],
    ['queue_s_p95', 'c-queue'],
  ] as const;
  const series = lines.map(([field]) => value(field));
  return chartFigure(
    `Duration and queue time per ${buckets.dimension}`,
    {
      xAxis: { type: 'category', data: buckets.labels, ...axisStyle() },
      yAxis: {
        type: 'value',
        ...axisStyle(),
        axisLabel: { ...axisStyle().axisLabel, formatter: formatSeconds },
      },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => (typeof v === 'number' ? formatSeconds(v) : '—'),
      },
      series: lines.map(([field, colour], i) => ({
        name: metricInfo(field).label,
        type: 'line',
        data: series[i],
        connectNulls: true,
        symbolSize: 6,
        itemStyle: { color: color(colour) },
        lineStyle: { color: color(colour), width: 2, type: field.startsWith('queue') ? 'dashed' : 'solid' },
      })),
    },
    countPoints(series),
  );
}

export function successChart(rows: ReportRow[], buckets: Buckets): HTMLElement {
  const value = byBucket(rows, buckets);
  const rate = value('success_rate').map((v) => (v === null ? null : Math.round(v * 1000) / 10));
  return chartFigure(
    `Success rate per ${buckets.dimension}`,
    {
      xAxis: { type: 'category', data: buckets.labels, ...axisStyle() },
      yAxis: {
        type: 'value',
        min: 0,
        max: 100,
        ...axisStyle(),
        axisLabel: { ...axisStyle().axisLabel, formatter: '{value}%' },
      },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? `${v}%` : '—') },
      series: [
        {
          name: 'Success rate',
          type: 'line',
          data: rate,
          connectNulls: true,
          symbolSize: 6,
          itemStyle: { color: color('c-success') },
          lineStyle: { color: color('c-success'), width: 2 },
        },
      ],
    },
    countPoints([rate]),
  );
}

/** Runs of each group (workflow, branch, trigger…) stacked by outcome, the biggest `limit` groups. */
export function breakdownChart(rows: ReportRow[], dimension: string, limit = 10): HTMLElement {
  const top = [...rows]
    .sort((a, b) => (num(b, 'runs') ?? 0) - (num(a, 'runs') ?? 0))
    .slice(0, limit)
    .reverse();
  const names = top.map((r) => (r[dimension] === null ? '(none)' : String(r[dimension])));
  const series = OUTCOMES.map((o) => top.map((r) => num(r, o)));
  return chartFigure(
    `Runs by ${dimension}${rows.length > limit ? ` (top ${limit})` : ''}`,
    {
      yAxis: {
        type: 'category',
        data: names,
        ...axisStyle(),
        axisLabel: { ...axisStyle().axisLabel, width: 140, overflow: 'truncate' },
      },
      xAxis: { type: 'value', minInterval: 1, ...axisStyle() },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      series: OUTCOMES.map((outcome, i) => ({
        name: metricInfo(outcome).label,
        type: 'bar',
        stack: 'runs',
        data: series[i],
        itemStyle: { color: color(CLASS_COLORS[outcome]) },
      })),
    },
    countPoints(series),
    { height: Math.max(180, 60 + names.length * 26) },
  );
}

/** How the runs of the range were classified. */
export function classificationChart(total: ReportRow): HTMLElement {
  const slices = OUTCOMES.map((o) => ({
    name: metricInfo(o).label,
    value: num(total, o) ?? 0,
    itemStyle: { color: color(CLASS_COLORS[o]) },
  })).filter((s) => s.value > 0);
  return chartFigure(
    'Classification of runs',
    {
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'pie',
          radius: ['45%', '72%'],
          top: 28,
          data: slices,
          label: { color: color('fg'), formatter: '{b}: {c}' },
        },
      ],
    },
    slices.length,
  );
}

/** One metric per bucket as bars, e.g. flaky runs per day. */
export function metricOverTime(rows: ReportRow[], buckets: Buckets, field: string): HTMLElement {
  const values = byBucket(rows, buckets)(field, 0);
  return chartFigure(
    `${metricInfo(field).label} per ${buckets.dimension}`,
    {
      xAxis: { type: 'category', data: buckets.labels, ...axisStyle() },
      yAxis: { type: 'value', minInterval: 1, ...axisStyle() },
      tooltip: { trigger: 'axis' },
      series: [
        {
          name: metricInfo(field).label,
          type: 'bar',
          data: values,
          itemStyle: { color: color('c-aborted') },
        },
      ],
    },
    rows.length,
  );
}

/** One metric per group as horizontal bars, highest first, e.g. flaky rate per project. */
export function metricByGroup(rows: ReportRow[], dimension: string, field: string, limit = 10): HTMLElement {
  const top = rows
    .filter((r) => num(r, field) !== null)
    .sort((a, b) => (num(b, field) ?? 0) - (num(a, field) ?? 0))
    .slice(0, limit)
    .reverse();
  return chartFigure(
    `${metricInfo(field).label} by ${dimension}`,
    {
      yAxis: {
        type: 'category',
        data: top.map((r) => String(r[dimension] ?? '(none)')),
        ...axisStyle(),
        axisLabel: { ...axisStyle().axisLabel, width: 160, overflow: 'truncate' },
      },
      xAxis: {
        type: 'value',
        ...axisStyle(),
        axisLabel: { ...axisStyle().axisLabel, formatter: (v: number) => formatValue(field, v) },
      },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (v: unknown) => formatValue(field, v),
      },
      series: [
        {
          name: metricInfo(field).label,
          type: 'bar',
          data: top.map((r) => num(r, field)),
          itemStyle: { color: color('c-aborted') },
        },
      ],
    },
    top.length,
    { height: Math.max(180, 60 + top.length * 26) },
  );
}
