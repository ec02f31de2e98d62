// Grains listed for a rebuild by the thousand (every stored day, after migration 018) are rebuilt in parts
// of days, each its own transaction, to the same rollups one transaction gives; and a sync rebuilds them
// before it reads anything, so a provider that fails at once leaves none listed.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { ClassifiedRun, Job, Step } from '../../src/domain/model.js';
import { writeBatch } from '../../src/store/batch.js';
import { rebuildRollups } from '../../src/store/rollups.js';
import type { Store } from '../../src/store/store.js';
import { syncConnection } from '../../src/sync/sync.js';
import { rollupWorld } from '../metrics/rollup-world.js';
import { storeTest } from './engines.js';
import { job, run } from './fixtures.js';

const DAYS = 40;

/** Two runs a day over DAYS days from 2026-01-01, each with a job and a step. */
function days() {
  const runs: ClassifiedRun[] = [];
  const jobs: Job[] = [];
  const steps: Step[] = [];
  for (let d = 0; d < DAYS; d++)
    for (const workflow of ['primary', 'deploy']) {
      const key = `r${d}-${workflow}`;
      const at = new Date(Date.UTC(2026, 0, 1 + d, 10)).toISOString();
      runs.push(run(key, 0, { workflow, triggeredAt: at, durationS: 60 + d, kind: 'pipeline' }));
      jobs.push(
        job(`${key}-build`, key, { name: 'build', startedAt: at, finishedAt: at, durationS: 30 + d }),
      );
      steps.push({
        key: `${key}-build/0`,
        runKey: key,
        jobKey: `${key}-build`,
        name: 'Test',
        stepId: 'script',
        position: 0,
        status: 'succeeded',
        providerStatus: 'succeeded',
        startedAt: at,
        finishedAt: at,
        durationS: 20 + d,
      });
    }
  return { runs, jobs, steps };
}

const rollups = async (store: Store) => ({
  runs: (
    await sql`select * from run_rollups order by connection_id, project_key, workflow, day_us`.execute(
      store.db,
    )
  ).rows,
  levels: (
    await sql`select * from level_rollups order by connection_id, project_key, level, day_us, workflow, name`.execute(
      store.db,
    )
  ).rows,
});

/** Lists every stored grain, as migration 018 does. */
const listEveryGrain = (store: Store) =>
  sql`insert into rollup_dirty (connection_id, project_key, workflow, day_us)
    select distinct connection_id, project_key, workflow, (triggered_us / 86400000000) * 86400000000
    from runs where true on conflict do nothing`.execute(store.db);

const listed = async (store: Store) =>
  (await store.db.selectFrom('rollup_dirty').select('day_us').execute()).length;

storeTest('listed grains are rebuilt in parts of days to what one transaction gives', async (store) => {
  const { bitrise, projects } = await rollupWorld(store);
  // One batch with its checkpoint: every grain rebuilt in its transaction.
  await writeBatch(store, bitrise.id, { projects, ...days(), raw: [] }, { done: true });
  const once = await rollups(store);
  assert.equal(once.runs.length, DAYS * 2);
  assert.equal(once.levels.length, DAYS * 2 * 2, 'a job and a step row per grain');

  await listEveryGrain(store);
  assert.equal(await listed(store), DAYS * 2);
  // A day a part: 40 days are 40 parts.
  assert.equal((await rebuildRollups(store, bitrise.id)).length, DAYS);
  assert.equal(await listed(store), 0);
  assert.deepEqual(await rollups(store), once);
  assert.deepEqual(await rebuildRollups(store, bitrise.id), [], 'nothing listed, nothing to do');
});

storeTest(
  'a sync rebuilds grains left listed before it reads, even when the provider fails',
  async (store) => {
    const { bitrise, projects } = await rollupWorld(store);
    await writeBatch(store, bitrise.id, { projects, ...days(), raw: [] }, { done: true });
    const once = await rollups(store);
    await listEveryGrain(store);
    // The connection's URL answers nothing: the sync fails on its first request.
    await assert.rejects(syncConnection(store, 'br', { connector: { maxRetries: 0 } }));
    assert.equal(await listed(store), 0);
    assert.deepEqual(await rollups(store), once);
  },
);
