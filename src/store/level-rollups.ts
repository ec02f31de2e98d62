// Level rollups (migration 018): per run grain and job or step name, the counts, sums and duration sketch
// `report --by job|step` needs. Kept like the run rollups (src/store/rollups.ts), from the same dirty run
// grains: writers of runs, jobs and steps list the grains of the runs they touch, and the refresh rebuilds
// a listed grain's level rows whole from its runs' jobs and steps in the same transaction.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type DirtyDays, inDays } from './dirty-days.js';
import type { LevelRollupsTable, Schema } from './schema.js';
import { addValue, emptySketch, encodeSketch, type Sketch } from './sketch.js';
import { DAY_US, dayStart } from './time.js';

export const LEVELS = ['job', 'step'] as const;
export type Level = (typeof LEVELS)[number];

/** One execution of a job or step with its run's grain: what a level rollup and the exact report read. */
export interface LevelExecution {
  connection_id: number;
  project_key: string;
  workflow: string;
  triggered_us: number;
  name: string;
  status: string;
  duration_s: number | null;
  /** 1 when the job execution (a step's job) was retried. */
  retried: number;
  on_critical_path: number;
  started_at: string | null;
}

/** What each level reads of an execution, and from where (`x` the job or step). */
const COLUMNS: Record<Level, RawBuilder<unknown>> = {
  job: sql`x.name, x.status, x.duration_s, x.retried, x.on_critical_path, x.started_at`,
  step: sql`x.name, x.status, x.duration_s, coalesce(j.retried, 0) as retried, 0 as on_critical_path,
    x.started_at`,
};
const SOURCE: Record<Level, RawBuilder<unknown>> = {
  job: sql`jobs x`,
  step: sql`steps x left join jobs j on j.connection_id = x.connection_id and j.key = x.job_key`,
};

/**
 * The executions of a level joined to the runs `r` of a CTE named `sel`. From the runs to their jobs or
 * steps (by run key): SQLite takes a cross join's left side as the outer loop, where it otherwise read
 * every step of the connection to find those of a few selected runs. PostgreSQL plans it as it likes.
 */
export function levelExecutions(level: Level): RawBuilder<LevelExecution> {
  return sql`select r.connection_id, r.project_key, r.workflow, r.triggered_us, ${COLUMNS[level]}
    from sel r cross join ${SOURCE[level]}
    where x.connection_id = r.connection_id and x.run_key = r.key`;
}

/** A run of a dirty grain: what its executions carry of it. */
type GrainRun = Pick<LevelExecution, 'connection_id' | 'project_key' | 'workflow' | 'triggered_us'> & {
  key: string;
};

/** Run keys per query: below both engines' bound-parameter limits, and each an index lookup. */
const RUNS_PER_QUERY = 500;

/**
 * The executions of a level of the given runs, looked up by run key. The rebuild names its runs rather than
 * joining the dirty list to the jobs or steps: a PostgreSQL plan over tables a first sync has just filled
 * (statistics from when they were nearly empty) once scanned every step for each run, for 20 minutes.
 */
async function executionsOfRuns(
  db: Kysely<Schema>,
  level: Level,
  connectionId: number,
  runs: readonly GrainRun[],
): Promise<LevelExecution[]> {
  const byKey = new Map(runs.map((run) => [run.key, run]));
  const executions: LevelExecution[] = [];
  for (let i = 0; i < runs.length; i += RUNS_PER_QUERY) {
    const keys = runs.slice(i, i + RUNS_PER_QUERY).map((run) => run.key);
    const { rows } = await sql<Omit<LevelExecution, keyof GrainRun> & { run_key: string }>`
      select x.run_key, ${COLUMNS[level]} from ${SOURCE[level]}
      where x.connection_id = ${connectionId} and x.run_key in (${sql.join(keys)})`.execute(db);
    for (const { run_key, ...execution } of rows) {
      const { key: _key, ...run } = byKey.get(run_key) as GrainRun;
      executions.push({ ...run, ...execution });
    }
  }
  return executions;
}

/** Dirty days read at once: a store whose every grain is dirty (after migration 018) is rebuilt in parts. */
const DAYS_PER_READ = 7;

/**
 * Rebuilds the level rows of one connection's listed grains from their runs' jobs and steps; called by
 * refreshRollups inside the write transaction, before the list is cleared.
 */
export async function refreshLevelRollups(
  db: Kysely<Schema>,
  connectionId: number,
  days?: DirtyDays,
): Promise<void> {
  await sql`delete from level_rollups where connection_id = ${connectionId} and exists (
      select 1 from rollup_dirty d where d.connection_id = level_rollups.connection_id
        and d.project_key = level_rollups.project_key and d.workflow = level_rollups.workflow
        and d.day_us = level_rollups.day_us${inDays(days)})`.execute(db);
  const { rows } = await sql<{ day_us: number | string }>`
    select distinct day_us from rollup_dirty d where connection_id = ${connectionId}${inDays(days)}
    order by day_us`.execute(db);
  const listed = rows.map((r) => Number(r.day_us));
  for (let i = 0; i < listed.length; i += DAYS_PER_READ) {
    const part = listed.slice(i, i + DAYS_PER_READ);
    const { rows: runs } = await sql<GrainRun>`
      select r.key, r.connection_id, r.project_key, r.workflow, r.triggered_us from rollup_dirty d
      join runs r on r.connection_id = d.connection_id and r.project_key = d.project_key
        and r.workflow = d.workflow and r.triggered_us >= d.day_us
        and r.triggered_us < d.day_us + ${sql.lit(DAY_US)}
      where d.connection_id = ${connectionId}
        and d.day_us >= ${part[0]} and d.day_us <= ${part[part.length - 1]}`.execute(db);
    for (const level of LEVELS) {
      const grains = buildLevelGrains(level, await executionsOfRuns(db, level, connectionId, runs));
      // Bound parameters per statement stay below both engines' limits.
      const perStatement = Math.floor(30_000 / Object.keys(grains[0] ?? {}).length);
      for (let j = 0; j < grains.length; j += perStatement) {
        await db
          .insertInto('level_rollups')
          .values(grains.slice(j, j + perStatement))
          .execute();
      }
    }
  }
}

/**
 * The level rows of these executions, one per grain and name. Pure: the refresh and reports over partial
 * days share it. The same selections as the exact report: durations of succeeded executions in the
 * sketch; a job's failed execution that was retried is time lost, and so is every step of a retried job.
 */
export function buildLevelGrains(level: Level, executions: LevelExecution[]): LevelRollupsTable[] {
  const grains = new Map<string, { rollup: LevelRollupsTable; sketch: Sketch }>();
  for (const x of executions) {
    const dayUs = dayStart(Number(x.triggered_us));
    const id = JSON.stringify([x.connection_id, x.project_key, x.workflow, dayUs, x.name]);
    let entry = grains.get(id);
    if (entry === undefined) {
      entry = {
        rollup: {
          connection_id: Number(x.connection_id),
          project_key: x.project_key,
          workflow: x.workflow,
          day_us: dayUs,
          level,
          name: x.name,
          executions: 0,
          succeeded: 0,
          failed: 0,
          critical: 0,
          finals: 0,
          time_s: 0,
          time_lost_s: 0,
          duration_max: null,
          duration_sketch: '',
        },
        sketch: emptySketch(),
      };
      grains.set(id, entry);
    }
    addExecution(level, entry.rollup, entry.sketch, x);
  }
  return [...grains.values()].map(({ rollup, sketch }) => ({
    ...rollup,
    duration_sketch: encodeSketch(sketch),
  }));
}

function addExecution(level: Level, rollup: LevelRollupsTable, sketch: Sketch, x: LevelExecution): void {
  const duration = x.duration_s === null || x.duration_s === undefined ? null : Number(x.duration_s);
  const retried = Number(x.retried) === 1;
  rollup.executions += 1;
  rollup.time_s += duration ?? 0;
  if (retried && (level === 'step' || x.status === 'failed')) rollup.time_lost_s += duration ?? 0;
  if (x.status === 'failed') rollup.failed += 1;
  if (x.status === 'succeeded') {
    rollup.succeeded += 1;
    if (duration !== null) {
      addValue(sketch, duration);
      rollup.duration_max = Math.max(rollup.duration_max ?? duration, duration);
    }
  }
  if (level === 'job' && !retried) {
    if (x.started_at !== null) rollup.finals += 1;
    if (Number(x.on_critical_path) === 1) rollup.critical += 1;
  }
}
