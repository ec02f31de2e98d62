// report --by job|step: executions, success rate, percentiles, share of time (adds up to 100 %), wall-clock
// share, time lost to retries and critical-path frequency, worked out by hand on both engines.
import assert from 'node:assert/strict';
import type { Step } from '../../src/domain/model.js';
import { levelReport } from '../../src/metrics/level-report.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { storeTest } from '../store/engines.js';
import { job, project, run } from '../store/fixtures.js';

/** The batch's run is on 10 February 2026. */
const FEBRUARY = { since: '2026-02-01T00:00:00.000Z', until: '2026-03-01T00:00:00.000Z' };
const at = (minute: number) => new Date(Date.UTC(2026, 1, 10, 9, minute)).toISOString().replace('.000Z', 'Z');

function step(
  key: string,
  jobKey: string,
  name: string,
  durationS: number,
  status: Step['status'] = 'succeeded',
): Step {
  return {
    key,
    runKey: 'p1',
    jobKey,
    name,
    stepId: 'script',
    position: 0,
    status,
    providerStatus: status,
    startedAt: at(1),
    finishedAt: at(2),
    durationS,
  };
}

// A DAG pipeline of 11 minutes: build (2 min) → unit (5) and ui (failed 2, retried, then 7) → deploy (1) after unit.
const batch = {
  projects: [project('app1')],
  runs: [run('p1', 0, { kind: 'pipeline', workflow: 'ci', durationS: 660 })],
  jobs: [
    job('b-build', 'p1', {
      name: 'build',
      startedAt: at(1),
      finishedAt: at(3),
      durationS: 120,
      dependsOn: [],
    }),
    job('b-unit', 'p1', {
      name: 'unit',
      startedAt: at(3),
      finishedAt: at(8),
      durationS: 300,
      dependsOn: ['build'],
    }),
    job('b-ui1', 'p1', {
      name: 'ui',
      status: 'failed',
      startedAt: at(3),
      finishedAt: at(5),
      durationS: 120,
      retried: true,
      dependsOn: ['build'],
    }),
    job('b-ui2', 'p1', {
      name: 'ui',
      startedAt: at(5),
      finishedAt: at(12),
      durationS: 420,
      dependsOn: ['build'],
    }),
    job('b-deploy', 'p1', {
      name: 'deploy',
      startedAt: at(9),
      finishedAt: at(10),
      durationS: 60,
      dependsOn: ['unit'],
    }),
  ],
  steps: [
    step('s1', 'b-build', 'Git clone', 30),
    step('s2', 'b-unit', 'Git clone', 10),
    step('s3', 'b-ui1', 'UI tests', 90, 'failed'),
    step('s4', 'b-ui2', 'UI tests', 400),
  ],
  raw: [],
};

storeTest('report --by job: every figure worked out by hand', async (store) => {
  const c = await addConnection(store, {
    name: 'ci',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:1',
    org: null,
    token: 'token-for-the-level-report-0123',
  });
  await writeBatch(store, c.id, batch);
  const { rows } = await levelReport(store, FEBRUARY, 'job');
  const byName = new Map(rows.map((r) => [r.name, r]));
  // Summed job time 120 + 300 + 120 + 420 + 60 = 1020 s; ui is 540 of it, the most, so it comes first.
  assert.deepEqual(
    rows.map((r) => r.name),
    ['ui', 'unit', 'build', 'deploy'],
  );
  const ui = byName.get('ui');
  assert.ok(ui);
  assert.deepEqual(
    [
      ui.executions,
      ui.succeeded,
      ui.failed,
      ui.success_rate,
      ui.duration_s_p50,
      ui.duration_s_max,
      ui.time_s,
    ],
    [2, 1, 1, 0.5, 420, 420, 540],
  );
  assert.equal(ui.share_of_time, 540 / 1020);
  assert.equal(ui.wall_share, 540 / 660);
  assert.equal(ui.time_lost_s, 120);
  // The path is build → ui (the retry finished last, at 12): ui and build always on it, unit and deploy never.
  assert.deepEqual(
    rows.map((r) => [r.name, r.critical_path_rate]),
    [
      ['ui', 1],
      ['unit', 0],
      ['build', 1],
      ['deploy', 0],
    ],
  );
  const shares = rows.reduce((sum, r) => sum + (r.share_of_time ?? 0), 0);
  assert.ok(Math.abs(shares - 1) < 1e-12);
  assert.equal(byName.get('unit')?.time_lost_s, 0);
  assert.ok(rows.every((r) => r.percentiles === 'exact' && r.project === 'App app1'));
  // Filters are the runs' own: another workflow selects nothing.
  assert.deepEqual((await levelReport(store, { ...FEBRUARY, workflow: ['other'] }, 'job')).rows, []);
});

storeTest(
  'report --by step: steps of a retried execution are time lost; no critical path for steps',
  async (store) => {
    const c = await addConnection(store, {
      name: 'ci',
      provider: 'bitrise',
      baseUrl: 'http://127.0.0.1:1',
      org: null,
      token: 'token-for-the-level-report-0123',
    });
    await writeBatch(store, c.id, batch);
    const { rows } = await levelReport(store, FEBRUARY, 'step');
    assert.deepEqual(
      rows.map((r) => [r.name, r.executions, r.success_rate, r.time_s, r.time_lost_s, r.critical_path_rate]),
      [
        ['UI tests', 2, 0.5, 490, 90, null],
        ['Git clone', 2, 1, 40, 0, null],
      ],
    );
    // Step time: 530 s in all; Git clone's p50 over its two successes (30, 10) is 20.
    assert.equal(rows[1]?.share_of_time, 40 / 530);
    assert.equal(rows[1]?.duration_s_p50, 20);
  },
);
