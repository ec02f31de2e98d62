// Checks shared by the level rollup tests: the report from level rollups against the exact one, and the
// level rollups against a rebuild of every grain from the rows.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { RunFilter } from '../../src/domain/model.js';
import { type Level, type LevelRow, levelReport } from '../../src/metrics/level-report.js';
import { rebuildRollups } from '../../src/store/rollups.js';
import { ACCURACY } from '../../src/store/sketch.js';
import type { Store } from '../../src/store/store.js';

const EXACT_FIELDS = [
  'executions',
  'succeeded',
  'failed',
  'success_rate',
  'duration_s_max',
  'critical_path_rate',
] as const;
const SUMMED_FIELDS = ['time_s', 'time_lost_s', 'share_of_time', 'wall_share'] as const;
const SKETCHED_FIELDS = ['duration_s_p50', 'duration_s_p90', 'duration_s_p95'] as const;

/** Equal, or both numbers within `relative` of the exact one (plus float noise). */
function near(actual: number | null, exact: number | null, relative: number): boolean {
  if (actual === null || exact === null) return actual === exact;
  return Math.abs(actual - exact) <= relative * Math.abs(exact) + 1e-9;
}

/**
 * Asserts the level rollups answer (sketches from the first execution on, as above EXACT_LIMIT) and agree
 * with the exact report: counts and maxima equal, sums equal but for float noise, percentiles within
 * ACCURACY. Returns how many rows were compared.
 */
export async function levelsAgree(store: Store, filter: RunFilter, level: Level): Promise<number> {
  const label = `${level} ${JSON.stringify(filter)}`;
  const fast = await levelReport(store, filter, level, { exactLimit: 0 });
  const exact = await levelReport(store, filter, level, { exact: true });
  assert.ok(
    fast.rows.every((r) => r.percentiles === 'sketch'),
    `${label}: the rollups answer`,
  );
  assert.ok(exact.rows.every((r) => r.percentiles === 'exact'));
  const key = (r: LevelRow) => JSON.stringify([r.connection, r.project, r.name]);
  const byKey = new Map(fast.rows.map((r) => [key(r), r]));
  assert.deepEqual([...byKey.keys()].sort(), exact.rows.map(key).sort(), label);
  for (const want of exact.rows) {
    const got = byKey.get(key(want)) as LevelRow;
    const row = `${label} ${key(want)}`;
    for (const f of EXACT_FIELDS) assert.equal(got[f], want[f], `${row} ${f}`);
    for (const f of SUMMED_FIELDS)
      assert.ok(near(got[f], want[f], 1e-12), `${row} ${f}: ${got[f]} vs ${want[f]}`);
    for (const f of SKETCHED_FIELDS)
      assert.ok(near(got[f], want[f], ACCURACY), `${row} ${f}: ${got[f]} vs exact ${want[f]}`);
  }
  return exact.rows.length;
}

const levelRollups = async (store: Store) =>
  (
    await sql<Record<string, unknown>>`
      select connection_id, project_key, workflow, day_us, level, name, executions, succeeded, failed,
        critical, finals, time_s, time_lost_s, duration_max, duration_sketch
      from level_rollups order by connection_id, project_key, level, day_us, workflow, name`.execute(store.db)
  ).rows.map((r) => JSON.stringify(Object.values(r).map((v) => (typeof v === 'string' ? v : Number(v)))));

/** Asserts the level rollups as kept equal those every grain rebuilt from the rows gives. */
export async function levelRollupsAsRebuilt(store: Store): Promise<void> {
  const kept = await levelRollups(store);
  assert.ok(kept.length > 0, 'there are level rollups');
  await sql`insert into rollup_dirty (connection_id, project_key, workflow, day_us)
    select distinct connection_id, project_key, workflow, (triggered_us / 86400000000) * 86400000000
    from runs where true on conflict do nothing`.execute(store.db);
  const connections = await store.db.selectFrom('connections').select('id').execute();
  for (const { id } of connections) await rebuildRollups(store, id);
  assert.deepEqual(kept, await levelRollups(store));
}
