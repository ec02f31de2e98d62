// `report --by job|step` from the level rollups (src/store/level-rollups.ts), as the run report reads
// run rollups (src/metrics/rollup-report.ts): whole days from the rollups, a range's partial first and
// last days from the jobs and steps of their runs; counts and sums exact, percentiles from the merged
// sketches (within src/store/sketch.ts's ACCURACY). A filter a grain does not keep (branch, trigger, status,
// machine, …) cannot be answered here: the report then reads the rows.
import { sql } from 'kysely';
import type { RunFilter } from '../domain/model.js';
import {
  buildLevelGrains,
  type Level,
  type LevelExecution,
  levelExecutions,
} from '../store/level-rollups.js';
import { rollupsPending } from '../store/rollups.js';
import type { LevelRollupsTable } from '../store/schema.js';
import { emptySketch, mergeEncoded, type Sketch, sketchPercentiles } from '../store/sketch.js';
import type { Store } from '../store/store.js';
import type { LevelAggregate } from './level-report.js';
import { grainsAnswerFilter, runGrainsOf, splitDays, whereAll } from './rollup-report.js';
import { selectedRuns } from './selection.js';

/**
 * The level's figures per connection, project and name, and the selected runs' summed duration, from the
 * rollups; null when they cannot answer (a filter a grain does not keep, grains waiting for their
 * rebuild) or the selection holds at most `exactLimit` executions (then the rows answer exactly).
 */
export async function levelRollupAggregates(
  store: Store,
  filter: RunFilter,
  level: Level,
  exactLimit: number,
): Promise<{ aggregates: LevelAggregate[]; wall: number } | null> {
  if (!grainsAnswerFilter(filter) || (await rollupsPending(store.db))) return null;
  const grains = await levelGrainsOf(store, filter, level);
  if (grains.reduce((sum, g) => sum + Number(g.executions), 0) <= exactLimit) return null;
  const runGrains = await runGrainsOf(store, filter);
  const wall = runGrains.reduce((sum, g) => sum + Number(g.duration_sum ?? 0), 0);

  const groups = new Map<string, { aggregate: LevelAggregate; sketch: Sketch }>();
  for (const grain of grains) {
    const id = JSON.stringify([Number(grain.connection_id), grain.project_key, grain.name]);
    let group = groups.get(id);
    if (group === undefined) {
      group = { aggregate: emptyAggregate(grain), sketch: emptySketch() };
      groups.set(id, group);
    }
    addGrain(group.aggregate, group.sketch, grain);
  }
  const aggregates = [...groups.values()].map(({ aggregate, sketch }) => {
    const [p50, p90, p95] = sketchPercentiles(sketch, [0.5, 0.9, 0.95], aggregate.max);
    return { ...aggregate, p50: p50 ?? null, p90: p90 ?? null, p95: p95 ?? null };
  });
  return { aggregates, wall };
}

/** The level grains of whole days in range from the rollups, plus grains built from partial days' rows. */
async function levelGrainsOf(store: Store, filter: RunFilter, level: Level): Promise<LevelRollupsTable[]> {
  const { whole, edges } = splitDays(filter);
  const rows =
    whole === null
      ? []
      : (
          await sql<LevelRollupsTable>`
            select r.* from level_rollups r
            join connections c on c.id = r.connection_id
            left join projects p on p.connection_id = r.connection_id and p.key = r.project_key
            ${whereAll([sql<boolean>`r.level = ${level}`, ...whole])}`.execute(store.db)
        ).rows;
  const partial = await Promise.all(
    edges.map(async (edge) => {
      const { rows: executions } = await sql<LevelExecution>`
        with sel as (${selectedRuns(edge)}) ${levelExecutions(level)}`.execute(store.db);
      return buildLevelGrains(level, executions);
    }),
  );
  return [...rows, ...partial.flat()];
}

function emptyAggregate(grain: LevelRollupsTable): LevelAggregate {
  return {
    connection_id: Number(grain.connection_id),
    project_key: grain.project_key,
    name: grain.name,
    executions: 0,
    succeeded: 0,
    failed: 0,
    p50: null,
    p90: null,
    p95: null,
    max: null,
    time_s: 0,
    time_lost_s: 0,
    critical: 0,
    finals: 0,
  };
}

function addGrain(aggregate: LevelAggregate, sketch: Sketch, grain: LevelRollupsTable): void {
  for (const count of [
    'executions',
    'succeeded',
    'failed',
    'critical',
    'finals',
    'time_s',
    'time_lost_s',
  ] as const)
    aggregate[count] += Number(grain[count]);
  mergeEncoded(sketch, grain.duration_sketch);
  if (grain.duration_max !== null) {
    const max = Number(grain.duration_max);
    aggregate.max = Math.max(aggregate.max ?? max, max);
  }
}
