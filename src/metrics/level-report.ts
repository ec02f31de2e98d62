// `report --by job` and `report --by step`: where the selected runs' time goes, one row per job or step
// name of a project (DESIGN.md "Share of time", "Flakiness", "Critical path"). Always exact: read from the
// jobs and steps of the selected runs, percentiles in the database.
import { type RawBuilder, sql } from 'kysely';
import { z } from 'zod';
import type { RunFilter } from '../domain/model.js';
import { percentileCont } from '../store/dialect.js';
import type { Store } from '../store/store.js';
import { type FilterFields, filterFields } from './report-document.js';
import { selectedRuns } from './selection.js';

export const LEVELS = ['job', 'step'] as const;
export type Level = (typeof LEVELS)[number];

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
  percentiles: 'exact';
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
      percentiles: z.literal('exact'),
    }),
  ),
});

/**
 * The executions a level reads, joined to the selected runs `r`. From the runs to their jobs or steps
 * (by run key): SQLite takes a cross join's left side as the outer loop, where it otherwise read every
 * step of the connection to find those of a few selected runs. PostgreSQL plans it as it likes.
 */
function executions(level: Level): RawBuilder<unknown> {
  return level === 'job'
    ? sql`select r.connection_name, r.project_key, r.project_name, x.name, x.status, x.duration_s,
          x.retried, x.on_critical_path, x.started_at
        from sel r cross join jobs x
        where x.connection_id = r.connection_id and x.run_key = r.key`
    : sql`select r.connection_name, r.project_key, r.project_name, x.name, x.status, x.duration_s,
          coalesce(j.retried, 0) as retried, 0 as on_critical_path, x.started_at
        from sel r cross join steps x
        left join jobs j on j.connection_id = x.connection_id and j.key = x.job_key
        where x.connection_id = r.connection_id and x.run_key = r.key`;
}

export async function levelReport(store: Store, filter: RunFilter, level: Level): Promise<LevelReport> {
  const success = sql`case when status = 'succeeded' then duration_s end`;
  const p = (q: number) => percentileCont(store.dialect, success, q);
  // A retried job's failed execution was lost; a step's time was lost whenever its job execution was retried.
  const lost = level === 'job' ? sql`retried = 1 and status = 'failed'` : sql`retried = 1`;
  const { rows } = await sql<Record<string, unknown>>`
    with sel as (${selectedRuns(filter)}), x as (${executions(level)})
    select connection_name, project_key, max(project_name) as project_name, name,
      count(*) as executions,
      sum(case when status = 'succeeded' then 1 else 0 end) as succeeded,
      sum(case when status = 'failed' then 1 else 0 end) as failed,
      ${p(0.5)} as p50, ${p(0.9)} as p90, ${p(0.95)} as p95, max(${success}) as pmax,
      coalesce(sum(duration_s), 0) as time_s,
      coalesce(sum(case when ${lost} then duration_s end), 0) as time_lost_s,
      sum(case when retried = 0 and on_critical_path = 1 then 1 else 0 end) as critical,
      sum(case when retried = 0 and started_at is not null then 1 else 0 end) as finals
    from x
    group by connection_name, project_key, name
    order by time_s desc, name`.execute(store.db);
  const { rows: totals } = await sql<{ wall: number | null }>`
    with sel as (${selectedRuns(filter)}) select sum(duration_s) as wall from sel`.execute(store.db);
  const wall = Number(totals[0]?.wall ?? 0);
  const all = rows.reduce((sum, r) => sum + Number(r.time_s), 0);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    level,
    filter: filterFields(filter),
    rows: rows.map((r) => {
      const succeeded = Number(r.succeeded);
      const failed = Number(r.failed);
      const time = Number(r.time_s);
      return {
        connection: String(r.connection_name),
        project: String(r.project_name ?? r.project_key),
        name: String(r.name),
        executions: Number(r.executions),
        succeeded,
        failed,
        success_rate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
        duration_s_p50: num(r.p50),
        duration_s_p90: num(r.p90),
        duration_s_p95: num(r.p95),
        duration_s_max: num(r.pmax),
        time_s: time,
        share_of_time: all === 0 ? null : time / all,
        wall_share: wall === 0 ? null : time / wall,
        time_lost_s: Number(r.time_lost_s),
        critical_path_rate:
          level === 'job' && Number(r.finals) > 0 ? Number(r.critical) / Number(r.finals) : null,
        percentiles: 'exact',
      };
    }),
  };
}
