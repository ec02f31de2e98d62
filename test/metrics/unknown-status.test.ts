// A run of a status buildlens does not know (DESIGN.md "Unknown status"): counted in `runs` and in its own
// `unknown` figure, never in `running`, a rate or a percentile — from the runs and from the rollups alike —
// and listed by `--status unknown`.
import assert from 'node:assert/strict';
import { report } from '../../src/metrics/report.js';
import { rollupsAnswer } from '../../src/metrics/rollup-report.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { listRuns } from '../../src/store/runs.js';
import { storeTest } from '../store/engines.js';
import { run } from '../store/fixtures.js';

storeTest('an unknown status counts in runs and unknown, in no rate or percentile', async (store) => {
  const { id } = await addConnection(store, {
    name: 'ci',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9',
    org: null,
    token: 'x',
  });
  const runs = [
    run('ok1', 0, { queueS: 10, setupS: 1, durationS: 100 }),
    run('ok2', 1, { queueS: 20, setupS: 3, durationS: 200 }),
    // Finished by its times, with far larger figures: any of them in a percentile would show.
    run('new1', 2, {
      status: 'unknown',
      providerStatus: '7',
      classification: null,
      classifiedBy: null,
      queueS: 5000,
      setupS: 900,
      durationS: 9000,
    }),
  ];
  await writeBatch(store, id, { runs, jobs: [], raw: [] }, { done: true });

  const query = { filter: {}, by: [], metrics: ['rates', 'queue', 'setup'] as const };
  assert.equal(await rollupsAnswer(store, {}, [], new Set(['counts', 'rates', 'queue', 'setup'])), true);
  for (const exact of [true, false]) {
    const [row] = await report(store, { ...query, metrics: [...query.metrics], exact });
    assert.ok(row);
    assert.deepEqual(
      [row.runs, row.success, row.running, row.unknown, row.success_rate, row.abort_rate, row.skip_rate],
      [3, 2, 0, 1, 1, 0, 0],
      `exact: ${exact}`,
    );
    assert.equal(row.queue_s_max, 20, `exact: ${exact}`);
    assert.equal(row.setup_s_max, 3, `exact: ${exact}`);
    assert.equal(row.duration_s_max, 200, `exact: ${exact}`);
  }

  const listed = await listRuns(store, { status: ['unknown'] }, { limit: 10 });
  assert.deepEqual(
    listed.runs.map((r) => [r.key, r.status, r.providerStatus, r.classification]),
    [['new1', 'unknown', '7', null]],
  );
});
