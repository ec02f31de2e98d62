// Charts built from report rows, shared by the pages.
import type { Params, ReportRow } from './api.js';
import { axisStyle, type ChartClick, CLASS_COLORS, chartFigure, color, durationAxis } from './charts.js';
import { formatSeconds, formatValue, metricInfo } from './metrics.js';
import { navigate } from './navigation.js';
import { type Buckets, num } from './page.js';
import { href, readGlobal } from './state.js';

/** The outcomes charts stack: infra failures apart from the other failures (docs/metrics.md). */
const OUTCOMES = ['success', 'failure', 'infra_failure', 'aborted', 'skipped', 'running'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** The report counts infra failures inside `failure` too; a stacked chart shows each run once. */
const outcomeField = (outcome: Outcome) => (outcome === 'failure' ? 'failure_not_infra' : outcome);

/** `row` with the failures that were not the infrastructure's, the `failure_not_infra` series. */
function withOutcomes(row: ReportRow): ReportRow {
  const failure = num(row, 'failure');
  return { ...row, failure_not_infra: failure === null ? null : failure - (num(row, 'infra_failure') ?? 0) };
}

const outcomeLabel = (outcome: Outcome) =>
  outcome === 'failure' ? 'Failed (not infra)' : metricInfo(outcome).label;

/** Each bucket's value of `field`; a bucket without runs counts 0 runs but has no percentile. */
const byBucket = (rows: ReportRow[], buckets: Buckets) => {
  const index = new Map(rows.map((r) => [String(r[buckets.dimension]), r]));
  return (field: string, missing: 0 | null = null) =>
    buckets.labels.map((b) => (index.has(b) ? num(index.get(b), field) : missing));
};

const countPoints = (series: (number | null)[][]) => series.flat().filter((v) => v !== null).length;

/** The run explorer over one bucket's days, keeping the global filters and adding `params`. */
export function bucketRuns(buckets: Buckets, index: number, params: Params = {}): string {
  const days = buckets.days[index] ?? buckets.days[0];
  return href('/runs', params, { ...readGlobal(), from: days?.from ?? null, to: days?.to ?? null });
}

/** The runs of the whole chart: the explorer with the same filters. */
const allRuns = (scope: Params) => ({ href: href('/runs', scope), text: 'See these runs' });

/** Says which bucket is still filling up, so its lower count is not read as a drop. */
function partialNote(buckets: Buckets): string | null {
  if (buckets.partial === null) return null;
  const label = buckets.labels[buckets.partial];
  return buckets.dimension === 'day'
    ? `${label} is today: its runs so far, not a whole day.`
    : `${label} is this week: its runs so far, not a whole week.`;
}

/** The time axis; the partial bucket's label says so. */
function bucketAxis(buckets: Buckets) {
  return {
    type: 'category',
    data: buckets.labels,
    ...axisStyle(),
    axisLabel: {
      ...axisStyle().axisLabel,
      formatter: (value: string, index: number) => (index === buckets.partial ? `${value} (so far)` : value),
    },
  };
}

/** Bars of the partial bucket are drawn faded. */
const fadePartial = (values: (number | null)[], buckets: Buckets) =>
  values.map((v, i) => (i === buckets.partial ? { value: v, itemStyle: { opacity: 0.4 } } : v));

/** Clicking a bucket opens the runs behind it (with `outcome`'s classifications for a stacked series). */
const toBucketRuns =
  (buckets: Buckets, scope: Params, classifications?: (click: ChartClick) => string[]) =>
  (click: ChartClick) =>
    navigate(bucketRuns(buckets, click.dataIndex, { ...scope, classification: classifications?.(click) }));

/** Classifications behind each outcome series. */
const OUTCOME_CLASSES: Record<Outcome, string[]> = {
  success: ['success'],
  failure: ['failure'],
  infra_failure: ['infra_failure'],
  aborted: ['aborted_manual', 'aborted_auto'],
  skipped: ['skipped'],
  running: [],
};

/** Runs per bucket, stacked by outcome: aborted and skipped are their own series, not hidden in failure. */
export function throughputChart(rows: ReportRow[], buckets: Buckets, scope: Params = {}): HTMLElement {
  const value = byBucket(rows.map(withOutcomes), buckets);
  const series = OUTCOMES.map((o) => value(outcomeField(o), 0));
  return chartFigure(
    `Throughput: runs per ${buckets.dimension} by outcome`,
    {
      xAxis: bucketAxis(buckets),
      yAxis: { type: 'value', minInterval: 1, ...axisStyle() },
      tooltip: { trigger: 'axis' },
      series: OUTCOMES.map((outcome, i) => ({
        name: outcomeLabel(outcome),
        type: 'bar',
        stack: 'runs',
        data: fadePartial(series[i] ?? [], buckets),
        itemStyle: { color: color(CLASS_COLORS[outcome]) },
      })),
    },
    // Empty buckets are drawn as 0 runs, but only buckets with runs count as data.
    rows.length,
    {
      note: partialNote(buckets),
      link: allRuns(scope),
      onClick: toBucketRuns(
        buckets,
        scope,
        (click) => OUTCOME_CLASSES[OUTCOMES[click.seriesIndex] ?? 'running'],
      ),
    },
  );
}

/** Percentile lines per bucket on an axis of human units; a click opens the bucket's runs. */
function secondsChart(
  title: string,
  lines: readonly (readonly [string, string])[],
  rows: ReportRow[],
  buckets: Buckets,
  scope: Params,
  classification?: string[],
): HTMLElement {
  const value = byBucket(rows, buckets);
  const series = lines.map(([field]) => value(field));
  return chartFigure(
    title,
    {
      xAxis: bucketAxis(buckets),
      yAxis: durationAxis(series.flat()),
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
    {
      note: partialNote(buckets),
      link: allRuns({ ...scope, classification }),
      onClick: toBucketRuns(buckets, scope, () => classification ?? []),
    },
  );
}

/** Duration p50/p95 of successful runs per bucket. */
export function durationChart(rows: ReportRow[], buckets: Buckets, scope: Params = {}): HTMLElement {
  const lines = [
    ['duration_s_p50', 'c-p50'],
    ['duration_s_p95', 'c-p95'],
  ] as const;
  return secondsChart(`Duration of successful runs per ${buckets.dimension}`, lines, rows, buckets, scope, [
    'success',
  ]);
}

/** Queue time p50/p95 per bucket, on its own axis: minutes of duration would flatten seconds of queue. */
export function queueChart(rows: ReportRow[], buckets: Buckets, scope: Params = {}): HTMLElement {
  const lines = [
    ['queue_s_p50', 'c-p50'],
    ['queue_s_p95', 'c-queue'],
  ] as const;
  return secondsChart(`Queue time per ${buckets.dimension}`, lines, rows, buckets, scope);
}

export function successChart(rows: ReportRow[], buckets: Buckets, scope: Params = {}): HTMLElement {
  const value = byBucket(rows, buckets);
  const rate = value('success_rate').map((v) => (v === null ? null : Math.round(v * 1000) / 10));
  return chartFigure(
    `Success rate per ${buckets.dimension}`,
    {
      xAxis: bucketAxis(buckets),
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
    { note: partialNote(buckets), link: allRuns(scope), onClick: toBucketRuns(buckets, scope) },
  );
}

/** Runs of each group (workflow, branch, trigger…) stacked by outcome, the biggest `limit` groups. */
export function breakdownChart(
  rows: ReportRow[],
  dimension: string,
  scope: Params = {},
  limit = 10,
): HTMLElement {
  const top = [...rows]
    .sort((a, b) => (num(b, 'runs') ?? 0) - (num(a, 'runs') ?? 0))
    .slice(0, limit)
    .reverse();
  const names = top.map((r) => (r[dimension] === null ? '(none)' : String(r[dimension])));
  const series = OUTCOMES.map((o) => top.map((r) => num(withOutcomes(r), outcomeField(o))));
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
        name: outcomeLabel(outcome),
        type: 'bar',
        stack: 'runs',
        data: series[i],
        itemStyle: { color: color(CLASS_COLORS[outcome]) },
      })),
    },
    countPoints(series),
    {
      height: Math.max(180, 60 + names.length * 26),
      // Workflow and branch are global filters; a trigger is the explorer's own.
      onClick: (click) => {
        const group = top[click.dataIndex]?.[dimension];
        if (group === null || group === undefined) return;
        const global = readGlobal();
        const params = {
          ...scope,
          classification: OUTCOME_CLASSES[OUTCOMES[click.seriesIndex] ?? 'running'],
        };
        if (dimension === 'workflow' || dimension === 'branch')
          navigate(href('/runs', params, { ...global, [dimension]: [String(group)] }));
        else navigate(href('/runs', { ...params, [dimension]: String(group) }));
      },
    },
  );
}

/** How the runs of the range were classified. */
export function classificationChart(total: ReportRow): HTMLElement {
  const slices = OUTCOMES.map((o) => ({
    name: outcomeLabel(o),
    value: num(withOutcomes(total), outcomeField(o)) ?? 0,
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
export function metricOverTime(
  rows: ReportRow[],
  buckets: Buckets,
  field: string,
  scope: Params = {},
): HTMLElement {
  const values = byBucket(rows, buckets)(field, 0);
  return chartFigure(
    `${metricInfo(field).label} per ${buckets.dimension}`,
    {
      xAxis: bucketAxis(buckets),
      yAxis: { type: 'value', minInterval: 1, ...axisStyle() },
      tooltip: { trigger: 'axis' },
      series: [
        {
          name: metricInfo(field).label,
          type: 'bar',
          data: fadePartial(values, buckets),
          itemStyle: { color: color('c-aborted') },
        },
      ],
    },
    rows.length,
    { note: partialNote(buckets), link: allRuns(scope), onClick: toBucketRuns(buckets, scope) },
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
    {
      height: Math.max(180, 60 + top.length * 26),
      onClick: (click) => {
        const row = top[click.dataIndex];
        if (!row) return;
        const params: Params =
          dimension === 'project'
            ? { connection: String(row.connection ?? ''), project: String(row.project ?? '') }
            : { [dimension]: String(row[dimension] ?? '') };
        navigate(href('/runs', params));
      },
    },
  );
}
