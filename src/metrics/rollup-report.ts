// The report from rollups (src/store/rollups.ts) when the query allows it: grouping and filtering by what
// a day-grain keeps (connection, provider, project, workflow, day, week, time range), and metrics a grain
// can sum. Whole days come from the rollups, a range's partial first and last days from the runs; counts
// are exact, percentiles come from the grains' sketches (within src/store/sketch.ts's ACCURACY).
import { type RawBuilder, sql } from 'kysely';
import type { RunFilter } from '../domain/model.js';
import { buildGrains, type GrainRun, ROLLUP_COUNTS, rollupsPending } from '../store/rollups.js';
import { runFilterConditions } from '../store/runs.js';
import type { RunRollupsTable } from '../store/schema.js';
import { emptySketch, mergeEncoded, type Sketch, sketchPercentiles } from '../store/sketch.js';
import { DAY_US, dayLabel, dayStart, isoToMicros, isoWeekLabel } from '../store/time.js';
import { selectedRuns } from './selection.js';
import type { Dimension, MetricGroup, ReportSource } from './vocabulary.js';

/** A grain with the names its dimensions show. */
type NamedGrain = RunRollupsTable & {
  connection_name: string;
  provider_name: string;
  project_name: string | null;
};

/** Each dimension a grain can answer: the values that tell groups apart, and the label shown. */
const GRAIN_DIMENSIONS: Partial<
  Record<Dimension, (g: NamedGrain) => { key: unknown[]; label: string | null }>
> = {
  connection: (g) => ({ key: [g.connection_name], label: g.connection_name }),
  provider: (g) => ({ key: [g.provider_name], label: g.provider_name }),
  project: (g) => ({
    key: [g.connection_id, g.project_key, g.project_name],
    label: g.project_name ?? g.project_key,
  }),
  workflow: (g) => ({ key: [g.workflow], label: g.workflow }),
  day: (g) => ({ key: [g.day_us], label: dayLabel(g.day_us) }),
  week: (g) => {
    const label = isoWeekLabel(g.day_us);
    return { key: [label], label };
  },
};
const GRAIN_FILTERS: ReadonlySet<keyof RunFilter> = new Set([
  'connection',
  'project',
  'workflow',
  'since',
  'until',
]);
const GRAIN_METRICS: ReadonlySet<MetricGroup> = new Set([
  'counts',
  'rates',
  'duration',
  'queue',
  'setup',
  'credits',
]);

/** Whether a filter selects only by what a grain keeps (connection, project, workflow, time range). */
export function grainsAnswerFilter(filter: RunFilter): boolean {
  return (Object.keys(filter) as (keyof RunFilter)[]).every((k) => {
    const value = filter[k];
    return value === undefined || (Array.isArray(value) && value.length === 0) || GRAIN_FILTERS.has(k);
  });
}

/** Whether rollups can answer this report: every dimension, filter and metric is one a grain keeps. */
export async function rollupsAnswer(
  source: ReportSource,
  filter: RunFilter,
  dimensions: readonly Dimension[],
  metrics: ReadonlySet<MetricGroup>,
): Promise<boolean> {
  return (
    dimensions.every((d) => GRAIN_DIMENSIONS[d] !== undefined) &&
    grainsAnswerFilter(filter) &&
    [...metrics].every((m) => GRAIN_METRICS.has(m)) &&
    !(await rollupsPending(source.db))
  );
}

/** Aggregates per group in the shape the report's own SQL returns (`g0…` labels, then the metrics). */
export async function rollupAggregates(
  source: ReportSource,
  filter: RunFilter,
  dimensions: readonly Dimension[],
  metrics: ReadonlySet<MetricGroup>,
): Promise<Record<string, unknown>[]> {
  const groups = new Map<string, Group>();
  for (const grain of await runGrainsOf(source, filter)) {
    const parts = dimensions.map((d) =>
      (GRAIN_DIMENSIONS[d] as NonNullable<(typeof GRAIN_DIMENSIONS)[Dimension]>)(grain),
    );
    const id = JSON.stringify(parts.map((p) => p.key));
    let group = groups.get(id);
    if (group === undefined) {
      group = newGroup(parts.map((p) => p.label));
      groups.set(id, group);
    }
    addGrain(group, grain, metrics);
  }
  // Like SQL's aggregate without GROUP BY: no dimensions and nothing selected is still one row of zeros.
  if (groups.size === 0 && dimensions.length === 0) groups.set('[]', newGroup([]));
  return [...groups.values()].map((g) => aggregatesOf(g, metrics));
}

/**
 * A filter's period split into whole UTC days, read from rollups, and the partial days at its edges, read
 * from the rows. `whole`: conditions on a rollup table `r` joined to connections `c` and projects `p`,
 * null when the period holds no whole day (then `edges` is the filter itself).
 */
export function splitDays(filter: RunFilter): { whole: RawBuilder<boolean>[] | null; edges: RunFilter[] } {
  const since = filter.since === undefined ? null : isoToMicros(filter.since);
  const until = filter.until === undefined ? null : isoToMicros(filter.until);
  const firstDay = since === null ? null : dayStart(since + DAY_US - 1);
  const endDay = until === null ? null : dayStart(until);
  if (firstDay !== null && endDay !== null && firstDay >= endDay) return { whole: null, edges: [filter] };

  const whole = runFilterConditions({
    connection: filter.connection,
    project: filter.project,
    workflow: filter.workflow,
  });
  if (firstDay !== null) whole.push(sql<boolean>`r.day_us >= ${firstDay}`);
  if (endDay !== null) whole.push(sql<boolean>`r.day_us < ${endDay}`);
  const iso = (micros: number) => new Date(micros / 1000).toISOString();
  const edges: RunFilter[] = [];
  if (since !== null && firstDay !== null && since < firstDay)
    edges.push({ ...filter, until: iso(firstDay) });
  if (until !== null && endDay !== null && endDay < until) edges.push({ ...filter, since: iso(endDay) });
  return { whole, edges };
}

/** `where …` of these conditions, or nothing. */
export const whereAll = (conditions: RawBuilder<boolean>[]) =>
  conditions.length === 0 ? sql`` : sql`where ${sql.join(conditions, sql` and `)}`;

/** The run grains of whole days in range from the rollups, plus grains built from the runs of partial days. */
export async function runGrainsOf(source: ReportSource, filter: RunFilter): Promise<NamedGrain[]> {
  const { whole, edges } = splitDays(filter);
  const rows =
    whole === null
      ? []
      : (
          await sql<NamedGrain>`
            select r.*, c.name as connection_name, c.provider as provider_name, p.name as project_name
            from run_rollups r
            join connections c on c.id = r.connection_id
            left join projects p on p.connection_id = r.connection_id and p.key = r.project_key
            ${whereAll(whole)}`.execute(source.db)
        ).rows;
  const partial = await Promise.all(edges.map((edge) => grainsFromRuns(source, edge)));
  return [...rows, ...partial.flat()];
}

type NamedRun = GrainRun & Pick<NamedGrain, 'connection_name' | 'provider_name' | 'project_name'>;

async function grainsFromRuns(source: ReportSource, filter: RunFilter): Promise<NamedGrain[]> {
  const { rows } = await sql<NamedRun>`
    select s.connection_id, s.project_key, s.workflow, s.triggered_us, s.status, s.classification, s.duration_s,
      s.queue_s, s.setup_s, s.cost, s.connection_name, s.provider_name, s.project_name
    from (${selectedRuns(filter)}) s`.execute(source.db);
  return buildGrains(rows).map(({ run, rollup }) => ({
    ...rollup,
    connection_name: run.connection_name,
    provider_name: run.provider_name,
    project_name: run.project_name,
  }));
}

const MEASURES = ['duration', 'queue', 'setup'] as const;
type Measure = (typeof MEASURES)[number];

interface Group {
  labels: (string | null)[];
  counts: Record<(typeof ROLLUP_COUNTS)[number], number>;
  sketches: Record<Measure, Sketch>;
  max: Record<Measure, number | null>;
  costSum: number | null;
}

function newGroup(labels: (string | null)[]): Group {
  return {
    labels,
    counts: Object.fromEntries(ROLLUP_COUNTS.map((c) => [c, 0])) as Group['counts'],
    sketches: { duration: emptySketch(), queue: emptySketch(), setup: emptySketch() },
    max: { duration: null, queue: null, setup: null },
    costSum: null,
  };
}

/** Duration and queue are always reported; setup only when asked for. */
const measuresFor = (metrics: ReadonlySet<MetricGroup>) =>
  MEASURES.filter((m) => m !== 'setup' || metrics.has('setup'));

function addGrain(group: Group, grain: NamedGrain, metrics: ReadonlySet<MetricGroup>): void {
  for (const c of ROLLUP_COUNTS) group.counts[c] += Number(grain[c]);
  // Only the sketches a metric reads are decoded: a full-range report merges thousands of grains.
  for (const m of measuresFor(metrics)) {
    mergeEncoded(group.sketches[m], grain[`${m}_sketch`]);
    const max = grain[`${m}_max`];
    if (max !== null) group.max[m] = Math.max(group.max[m] ?? Number(max), Number(max));
  }
  if (grain.cost_sum !== null) group.costSum = (group.costSum ?? 0) + Number(grain.cost_sum);
}

function aggregatesOf(group: Group, metrics: ReadonlySet<MetricGroup>): Record<string, unknown> {
  const { counts } = group;
  const record: Record<string, unknown> = Object.fromEntries(
    group.labels.map((label, i) => [`g${i}`, label]),
  );
  Object.assign(record, {
    runs: counts.runs,
    success: counts.success,
    failure: counts.failure + counts.infra_failure,
    infra_failure: counts.infra_failure,
    aborted_manual: counts.aborted_manual,
    aborted_auto: counts.aborted_auto,
    skipped: counts.skipped,
    running: counts.running,
    blocked: counts.blocked,
    unknown: counts.unknown,
  });
  for (const m of measuresFor(metrics)) {
    const prefix = `${m}_s`;
    const [p50, p90, p95] = sketchPercentiles(group.sketches[m], [0.5, 0.9, 0.95], group.max[m]);
    Object.assign(record, {
      [`${prefix}_p50`]: p50,
      [`${prefix}_p90`]: p90,
      [`${prefix}_p95`]: p95,
      [`${prefix}_max`]: group.max[m],
    });
  }
  record.credits = group.costSum;
  record.credits_per_run = counts.cost_n === 0 ? null : (group.costSum ?? 0) / counts.cost_n;
  return record;
}
