// `report --by job` and `report --by step`: where the selected runs' time goes, one row per job or step
// name of a project (DESIGN.md "Share of time", "Flakiness", "Critical path"). Read as the run report is:
// from the level rollups (src/metrics/level-rollup-report.ts) when the filter is one a grain keeps and the
// selection holds more than EXACT_LIMIT executions, else from the jobs and steps of the selected runs
// with percentiles in the database. Counts and sums are exact either way.
import { sql } from 'kysely';
import { z } from 'zod';
import type { RunFilter } from '../domain/model.js';
import { percentileCont } from '../store/dialect.js';
import { LEVELS, type Level, levelExecutions } from '../store/level-rollups.js';
import type { Store } from '../store/store.js';
import { levelRollupAggregates } from './level-rollup-report.js';
import { type FilterFields, filterFields } from './report-document.js';
import { selectedRuns } from './selection.js';
import { EXACT_LIMIT, PERCENTILE_SOURCES, type PercentileSource } from './vocabulary.js';

export { LEVELS, type Level };

export interface LevelRow {
  connection: string;
  project: string;
  /** The job's or step's name (Buildkite steps: the step key, else the label). */
  name: string;
  /** Executions of the selected runs: each retry is one; a flat `runs` figure would count these. */
  executions: number;
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed); null when neither. */
  success_rate: number | null;
  /** Over succeeded executions. */
  duration_s_p50: number | null;
  duration_s_p90: number | null;
  duration_s_p95: number | null;
  duration_s_max: number | null;
  /** Summed duration of every execution. */
  time_s: number;
  /** time_s over the summed duration of every selected job (or step): the rows add up to 1. */
  share_of_time: number | null;
  /** time_s over the selected runs' summed duration: parallel work can exceed 1 in total. */
  wall_share: number | null;
  /** Summed duration of failed executions that were retried (steps: of the retried executions' jobs). */
  time_lost_s: number;
  /** Jobs: final executions on their run's critical path / final executions that ran; null for steps. */
  critical_path_rate: number | null;
  /** The succeeded executions themselves, or the level rollups' sketches (within 0.5 %). */
  percentiles: PercentileSource;
}

export interface LevelReport {
  level: Level;
  /** The filter the rows are over, its period included, as the run report shows it. */
  filter: FilterFields;
  rows: LevelRow[];
}

const rate = z.number().nullable();
/** The document /api/report/levels answers with and `report --by job|step --json` prints. */
export const levelReportDocument = z.object({
  level: z.enum(LEVELS),
  filter: z.record(z.string(), z.unknown()),
  rows: z.array(
    z.object({
      connection: z.string(),
      project: z.string(),
      name: z.string(),
      executions: z.number(),
      succeeded: z.number(),
      failed: z.number(),
      success_rate: rate,
      duration_s_p50: rate,
      duration_s_p90: rate,
      duration_s_p95: rate,
      duration_s_max: rate,
      time_s: z.number(),
      share_of_time: rate,
      wall_share: rate,
      time_lost_s: z.number(),
      critical_path_rate: rate,
      percentiles: z.enum(PERCENTILE_SOURCES),
    }),
  ),
});

/** A level's figures per connection, project and name, before they become rows. */
export interface LevelAggregate {
  connection_id: number;
  project_key: string;
  name: string;
  executions: number;
  succeeded: number;
  failed: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  max: number | null;
  time_s: number;
  time_lost_s: number;
  critical: number;
  finals: number;
}

export interface LevelQuery {
  /** Percentiles from every execution rather than the rollups' sketches, however many are selected. */
  exact?: boolean;
  /** Selections of up to this many executions are answered exactly; EXACT_LIMIT unless a test says otherwise. */
  exactLimit?: number;
}

export async function levelReport(
  store: Store,
  filter: RunFilter,
  level: Level,
  query: LevelQuery = {},
): Promise<LevelReport> {
  const fromRollups = query.exact
    ? null
    : await levelRollupAggregates(store, filter, level, query.exactLimit ?? EXACT_LIMIT);
  const [{ aggregates, wall }, names] = await Promise.all([
    fromRollups ?? exactAggregates(store, filter, level),
    namesOf(store),
  ]);
  const all = aggregates.reduce((sum, a) => sum + a.time_s, 0);
  const rows = aggregates.map((a): LevelRow => {
    const connection = names.connections.get(a.connection_id) ?? String(a.connection_id);
    return {
      connection,
      project: names.projects.get(JSON.stringify([a.connection_id, a.project_key])) ?? a.project_key,
      name: a.name,
      executions: a.executions,
      succeeded: a.succeeded,
      failed: a.failed,
      success_rate: a.succeeded + a.failed === 0 ? null : a.succeeded / (a.succeeded + a.failed),
      duration_s_p50: a.p50,
      duration_s_p90: a.p90,
      duration_s_p95: a.p95,
      duration_s_max: a.max,
      time_s: a.time_s,
      share_of_time: all === 0 ? null : a.time_s / all,
      wall_share: wall === 0 ? null : a.time_s / wall,
      time_lost_s: a.time_lost_s,
      critical_path_rate: level === 'job' && a.finals > 0 ? a.critical / a.finals : null,
      percentiles: fromRollups ? 'sketch' : 'exact',
    };
  });
  // Most time first; ties by name (code points, the same on both engines).
  rows.sort((a, b) => b.time_s - a.time_s || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { level, filter: filterFields(filter), rows };
}

/** Every execution of the selected runs, percentiles in the database; `wall`: the runs' summed duration. */
async function exactAggregates(
  store: Store,
  filter: RunFilter,
  level: Level,
): Promise<{ aggregates: LevelAggregate[]; wall: number }> {
  const success = sql`case when status = 'succeeded' then duration_s end`;
  const p = (q: number) => percentileCont(store.dialect, success, q);
  // A retried job's failed execution was lost; a step's time was lost whenever its job execution was retried.
  const lost = level === 'job' ? sql`retried = 1 and status = 'failed'` : sql`retried = 1`;
  const { rows } = await sql<Record<string, unknown>>`
    with sel as (${selectedRuns(filter)}), x as (${levelExecutions(level)})
    select connection_id, project_key, name,
      count(*) as executions,
      sum(case when status = 'succeeded' then 1 else 0 end) as succeeded,
      sum(case when status = 'failed' then 1 else 0 end) as failed,
      ${p(0.5)} as p50, ${p(0.9)} as p90, ${p(0.95)} as p95, max(${success}) as pmax,
      coalesce(sum(duration_s), 0) as time_s,
      coalesce(sum(case when ${lost} then duration_s end), 0) as time_lost_s,
      sum(case when retried = 0 and on_critical_path = 1 then 1 else 0 end) as critical,
      sum(case when retried = 0 and started_at is not null then 1 else 0 end) as finals
    from x
    group by connection_id, project_key, name`.execute(store.db);
  const { rows: totals } = await sql<{ wall: number | null }>`
    with sel as (${selectedRuns(filter)}) select sum(duration_s) as wall from sel`.execute(store.db);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    wall: Number(totals[0]?.wall ?? 0),
    aggregates: rows.map((r) => ({
      connection_id: Number(r.connection_id),
      project_key: String(r.project_key),
      name: String(r.name),
      executions: Number(r.executions),
      succeeded: Number(r.succeeded),
      failed: Number(r.failed),
      p50: num(r.p50),
      p90: num(r.p90),
      p95: num(r.p95),
      max: num(r.pmax),
      time_s: Number(r.time_s),
      time_lost_s: Number(r.time_lost_s),
      critical: Number(r.critical),
      finals: Number(r.finals),
    })),
  };
}

/** Connection names by id and project names by connection and key: rows show names, grains keep ids. */
async function namesOf(store: Store) {
  const { rows } = await sql<{ id: number; connection: string; key: string | null; project: string | null }>`
    select c.id, c.name as connection, p.key, p.name as project
    from connections c left join projects p on p.connection_id = c.id`.execute(store.db);
  const connections = new Map<number, string>();
  const projects = new Map<string, string>();
  for (const r of rows) {
    connections.set(Number(r.id), r.connection);
    if (r.key !== null && r.project !== null) projects.set(JSON.stringify([Number(r.id), r.key]), r.project);
  }
  return { connections, projects };
}
