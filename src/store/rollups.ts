// Keeping the rollups (migration 004) equal to the runs they sum, and with them the level rollups of the
// same grains (src/store/level-rollups.ts). Writers list the day-grains their runs leave and enter
// (`markGrains` before and after a write; writers of jobs and steps, those of their runs), and a
// checkpoint rebuilds the listed grains of its connection from the rows themselves in the same
// transaction: a grain is always rebuilt whole, so updates, reclassifications and retries can never leave
// a count off by one.
import { type Kysely, sql } from 'kysely';
import { bumpDataVersion } from './data-version.js';
import { inWriteTransaction } from './dialect.js';
import { type DirtyDays, inDays } from './dirty-days.js';
import { refreshLevelRollups } from './level-rollups.js';
import type { RollupGrain, RunRollupsTable, Schema } from './schema.js';
import { addValue, emptySketch, encodeSketch, type Sketch } from './sketch.js';
import type { Store } from './store.js';
import { DAY_US, dayStart } from './time.js';

/** Lists the grains the given runs are in as stored now (a run not stored yet lists nothing). */
export async function markGrains(db: Kysely<Schema>, connectionId: number, runKeys: string[]): Promise<void> {
  if (runKeys.length === 0) return;
  const day = sql.lit(DAY_US);
  await sql`insert into rollup_dirty (connection_id, project_key, workflow, day_us)
    select distinct connection_id, project_key, workflow, (triggered_us / ${day}) * ${day}
    from runs where connection_id = ${connectionId} and key in (${sql.join(runKeys)})
    on conflict do nothing`.execute(db);
}

/** What a grain needs of each run. */
export interface GrainRun {
  connection_id: number;
  project_key: string;
  workflow: string;
  triggered_us: number;
  status: string;
  classification: string | null;
  duration_s: number | null;
  queue_s: number | null;
  setup_s: number | null;
  cost: number | null;
}

/**
 * Rebuilds the listed grains of one connection (of `days` only, when given) from its runs; call inside the
 * write transaction. Whether any grain was rebuilt: reports then read it differently (sketched
 * percentiles), a change of data the caller announces (src/store/data-version.ts).
 */
export async function refreshRollups(
  db: Kysely<Schema>,
  connectionId: number,
  days?: DirtyDays,
): Promise<boolean> {
  const { rows } = await sql<GrainRun>`
    select r.connection_id, r.project_key, r.workflow, r.triggered_us, r.status, r.classification,
      r.duration_s, r.queue_s, r.setup_s, r.cost
    from rollup_dirty d
    join runs r on r.connection_id = d.connection_id and r.project_key = d.project_key
      and r.workflow = d.workflow and r.triggered_us >= d.day_us and r.triggered_us < d.day_us + ${sql.lit(DAY_US)}
    where d.connection_id = ${connectionId}${inDays(days)}`.execute(db);
  await sql`delete from run_rollups where connection_id = ${connectionId} and exists (
      select 1 from rollup_dirty d where d.connection_id = run_rollups.connection_id
        and d.project_key = run_rollups.project_key and d.workflow = run_rollups.workflow
        and d.day_us = run_rollups.day_us${inDays(days)})`.execute(db);
  const grains = buildGrains(rows).map((g) => g.rollup);
  // Bound parameters per statement stay below both engines' limits.
  const perStatement = Math.floor(30_000 / Object.keys(grains[0] ?? {}).length);
  for (let i = 0; i < grains.length; i += perStatement) {
    await db
      .insertInto('run_rollups')
      .values(grains.slice(i, i + perStatement))
      .execute();
  }
  await refreshLevelRollups(db, connectionId, days);
  let cleared = db.deleteFrom('rollup_dirty').where('connection_id', '=', connectionId);
  if (days) cleared = cleared.where('day_us', '>=', days.first).where('day_us', '<=', days.last);
  const [result] = await cleared.execute();
  return Number(result?.numDeletedRows ?? 0n) > 0;
}

/**
 * Listed days rebuilt per transaction by rebuildRollups: after migration 018 every stored day of a
 * connection is listed, and one transaction over millions of steps would hold the write lock for minutes
 * (others wait at most 5 s for it). A day of 50,000 steps took at most 1.8 s (`npm run bench:steps`).
 */
const DAYS_PER_PART = 1;

/**
 * Rebuilds the listed grains of one connection, DAYS_PER_PART listed days per transaction (the write lock
 * is free in between), announcing each change. Call it holding the connection's sync lock, so that no
 * writer of the connection lists a grain again while its part is rebuilt. Returns how long each
 * transaction took, in milliseconds.
 */
export async function rebuildRollups(
  store: Pick<Store, 'db' | 'dialect'>,
  connectionId: number,
): Promise<number[]> {
  const parts: number[] = [];
  for (;;) {
    const { rows } = await sql<{ day_us: number | string }>`
      select distinct day_us from rollup_dirty where connection_id = ${connectionId}
      order by day_us limit ${DAYS_PER_PART}`.execute(store.db);
    const first = rows[0];
    const last = rows.at(-1);
    if (!first || !last) return parts;
    const days = { first: Number(first.day_us), last: Number(last.day_us) };
    const start = performance.now();
    await inWriteTransaction(store, async (db) => {
      if (await refreshRollups(db, connectionId, days)) await bumpDataVersion(db);
    });
    parts.push(performance.now() - start);
  }
}

/** Whether any grain waits for its rebuild (reports then read the runs). */
export async function rollupsPending(db: Kysely<Schema>): Promise<boolean> {
  const row = await db.selectFrom('rollup_dirty').select('day_us').limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * The rollup rows of these runs, one per grain, each with the first run of its grain (so callers that
 * selected more columns, such as names, can read them). Pure: the refresh and reports over partial days
 * share it.
 */
export function buildGrains<T extends GrainRun>(runs: T[]): { run: T; rollup: RunRollupsTable }[] {
  const grains = new Map<string, { run: T; rollup: RunRollupsTable; sketches: Sketch[] }>();
  for (const run of runs) {
    const grain: RollupGrain = {
      connection_id: Number(run.connection_id),
      project_key: run.project_key,
      workflow: run.workflow,
      day_us: dayStart(Number(run.triggered_us)),
    };
    const id = JSON.stringify([grain.connection_id, grain.project_key, grain.workflow, grain.day_us]);
    let entry = grains.get(id);
    if (entry === undefined) {
      entry = { run, rollup: emptyRollup(grain), sketches: [emptySketch(), emptySketch(), emptySketch()] };
      grains.set(id, entry);
    }
    addRun(entry.rollup, entry.sketches as [Sketch, Sketch, Sketch], run);
  }
  return [...grains.values()].map(({ run, rollup, sketches }) => {
    const [duration, queue, setup] = sketches.map(encodeSketch) as [string, string, string];
    return {
      run,
      rollup: { ...rollup, duration_sketch: duration, queue_sketch: queue, setup_sketch: setup },
    };
  });
}

function emptyRollup(grain: RollupGrain): RunRollupsTable {
  return {
    ...grain,
    runs: 0,
    success: 0,
    failure: 0,
    infra_failure: 0,
    aborted_manual: 0,
    aborted_auto: 0,
    skipped: 0,
    running: 0,
    blocked: 0,
    unknown: 0,
    cost_n: 0,
    duration_max: null,
    queue_max: null,
    setup_max: null,
    cost_sum: null,
    duration_sketch: '',
    queue_sketch: '',
    setup_sketch: '',
    duration_sum: null,
  };
}

const CLASS_COUNTS = [
  'success',
  'failure',
  'infra_failure',
  'aborted_manual',
  'aborted_auto',
  'skipped',
] as const;
/** Every count a grain keeps (cost_n: runs with a cost). */
export const ROLLUP_COUNTS = ['runs', ...CLASS_COUNTS, 'running', 'blocked', 'unknown', 'cost_n'] as const;

/**
 * The same selections as the report's own SQL: durations of successes, queue and setup of every run whose
 * status is known (a run of unknown status is counted, and in no percentile).
 */
function addRun(rollup: RunRollupsTable, [duration, queue, setup]: [Sketch, Sketch, Sketch], run: GrainRun) {
  rollup.runs += 1;
  // Every run's time, as the level report's wall share sums it over the selected runs.
  if (run.duration_s !== null && run.duration_s !== undefined)
    rollup.duration_sum = (rollup.duration_sum ?? 0) + Number(run.duration_s);
  if (run.status === 'unknown') {
    rollup.unknown += 1;
    addCost(rollup, run);
    return;
  }
  const cls = run.classification as (typeof CLASS_COUNTS)[number] | null;
  if (cls === null) rollup.running += 1;
  else if (CLASS_COUNTS.includes(cls)) rollup[cls] += 1;
  if (run.status === 'blocked') rollup.blocked += 1;
  const value = (v: number | null) => (v === null || v === undefined ? null : Number(v));
  const durationS = cls === 'success' ? value(run.duration_s) : null;
  const queueS = value(run.queue_s);
  const setupS = value(run.setup_s);
  if (durationS !== null) {
    addValue(duration, durationS);
    rollup.duration_max = Math.max(rollup.duration_max ?? durationS, durationS);
  }
  if (queueS !== null) {
    addValue(queue, queueS);
    rollup.queue_max = Math.max(rollup.queue_max ?? queueS, queueS);
  }
  if (setupS !== null) {
    addValue(setup, setupS);
    rollup.setup_max = Math.max(rollup.setup_max ?? setupS, setupS);
  }
  addCost(rollup, run);
}

/** Credits were spent whatever the status means: every run's cost counts. */
function addCost(rollup: RunRollupsTable, run: GrainRun) {
  if (run.cost === null || run.cost === undefined) return;
  rollup.cost_n += 1;
  rollup.cost_sum = (rollup.cost_sum ?? 0) + Number(run.cost);
}
