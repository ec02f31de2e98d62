// report --by job|step from the level rollups against the same report from the rows (`exact`) on both
// engines, and the level rollups kept equal to a rebuild when steps arrive later, jobs are retried, runs
// move, and when a filter is one the rollups cannot answer.
import assert from 'node:assert/strict';
import type { ClassifiedRun, Job, RunFilter, Step } from '../../src/domain/model.js';
import { levelReport } from '../../src/metrics/level-report.js';
import { writeBatch } from '../../src/store/batch.js';
import type { Store } from '../../src/store/store.js';
import { storeTest } from '../store/engines.js';
import { job, run } from '../store/fixtures.js';
import { levelRollupsAsRebuilt, levelsAgree } from './level-agree.js';
import { random, rollupWorld } from './rollup-world.js';

const STEP_NAMES = ['Git clone', 'Restore cache', 'Install', 'Build', 'Test', 'Deploy'];
const JOB_NAMES = ['build', 'unit', 'ui', 'deploy'];
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'failed', 'skipped', 'aborted'] as const;

/** Runs over 3 projects × 2 workflows and 12 days from 2026-02-01; half are pipelines of jobs with steps. */
function world(n: number, seed: number, prefix: string) {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  // Quarters of a second add up exactly in any order: sums kept and rebuilt compare equal.
  const seconds = (scale: number) => (next() < 0.05 ? 0 : Math.round(next() * scale * 4) / 4);
  const runs: ClassifiedRun[] = [];
  const jobs: Job[] = [];
  const steps: Step[] = [];
  for (let i = 0; i < n; i++) {
    const key = `${prefix}${i}`;
    const at = Date.UTC(2026, 1, 1) + Math.floor(next() * 12 * 86_400_000);
    const pipeline = next() < 0.5;
    runs.push(
      run(key, 0, {
        projectKey: pick(['app1', 'app2', 'app3']),
        workflow: pick(['primary', 'deploy']),
        kind: pipeline ? 'pipeline' : 'build',
        triggeredAt: new Date(at).toISOString(),
        durationS: next() < 0.05 ? null : seconds(1800),
      }),
    );
    const stepsOf = (jobKey: string | null, startMs: number) => {
      for (const [position, name] of STEP_NAMES.entries()) {
        if (next() < 0.2) continue;
        const status = pick(STATUSES);
        const iso = new Date(startMs + position * 60_000).toISOString();
        steps.push({
          key: `${jobKey ?? key}/${position}`,
          runKey: key,
          jobKey,
          name: name,
          stepId: 'script',
          position,
          status,
          providerStatus: status,
          startedAt: iso,
          finishedAt: iso,
          durationS: next() < 0.05 ? null : seconds(600),
        });
      }
    };
    if (!pipeline) {
      stepsOf(null, at);
      continue;
    }
    for (const [j, name] of JOB_NAMES.entries()) {
      const start = at + j * 300_000;
      const retried = next() < 0.2;
      const attempt = (suffix: string, overrides: Partial<Job>) => {
        const jobKey = `${key}-${name}${suffix}`;
        jobs.push(
          job(jobKey, key, {
            name,
            startedAt: new Date(start).toISOString(),
            finishedAt: new Date(start + 240_000).toISOString(),
            durationS: seconds(900),
            dependsOn: j === 0 ? [] : [JOB_NAMES[j - 1] as string],
            ...overrides,
          }),
        );
        stepsOf(jobKey, start);
      };
      if (retried) attempt('-1', { status: 'failed', retried: true });
      attempt('', next() < 0.1 ? { status: 'failed' } : {});
    }
  }
  return { runs, jobs, steps };
}

async function seed(store: Store) {
  const { bitrise, buildkite, projects } = await rollupWorld(store);
  const data = world(160, 1, 'b');
  // The runs first, their steps in later batches (as log summaries arrive), the checkpoint at the end.
  await writeBatch(store, bitrise.id, { projects, runs: data.runs, jobs: data.jobs, raw: [] });
  for (let i = 0; i < data.steps.length; i += 500)
    await writeBatch(store, bitrise.id, { runs: [], jobs: [], steps: data.steps.slice(i, i + 500), raw: [] });
  await writeBatch(store, bitrise.id, { runs: [], jobs: [], raw: [] }, { done: true });
  const other = world(100, 2, 'k');
  await writeBatch(store, buildkite.id, { projects, ...other, raw: [] }, { done: true });
  return { bitrise, data };
}

const FILTERS: RunFilter[] = [
  {},
  { project: ['App app2'] },
  { connection: ['bk'], workflow: ['deploy'] },
  { project: ['app1'], since: '2026-02-03T13:17:00.5Z', until: '2026-02-09T08:00:00Z' },
  { since: '2026-02-05T06:00:00Z', until: '2026-02-05T18:00:00Z' },
  { until: '2026-02-04T10:00:00Z' },
];

storeTest(
  'report --by job|step from level rollups agrees with the rows: counts exact, percentiles within 0.5%',
  async (store) => {
    await seed(store);
    for (const level of ['job', 'step'] as const) {
      let rows = 0;
      for (const filter of FILTERS) rows += await levelsAgree(store, filter, level);
      assert.ok(rows > 20, `${level}: rows compared`);
    }
    const all = await levelReport(store, {}, 'job', { exactLimit: 0 });
    assert.ok(all.rows.some((r) => (r.critical_path_rate ?? 0) > 0 && r.time_lost_s > 0));
    await levelRollupsAsRebuilt(store);
  },
);

storeTest(
  'level rollups follow later steps, retries and moved runs; other filters read the rows',
  async (store) => {
    const { bitrise, data } = await seed(store);
    // A later log summary: steps of stored runs alone, the runs unchanged.
    const lateRun = data.runs.find((r) => r.kind === 'build') as ClassifiedRun;
    const late: Step = {
      key: `${lateRun.key}/late`,
      runKey: lateRun.key,
      jobKey: null,
      name: 'Late step',
      stepId: 'script',
      position: 9,
      status: 'succeeded',
      providerStatus: 'succeeded',
      startedAt: lateRun.triggeredAt,
      finishedAt: lateRun.triggeredAt,
      durationS: 42,
    };
    // A retry: a final job execution becomes a retried failure, and its retry arrives; the run unchanged.
    const final = data.jobs.find((j) => !j.retried) as Job;
    const retriedJobs = [
      { ...final, status: 'failed' as const, retried: true },
      { ...final, key: `${final.key}-again`, retryOf: final.key },
    ];
    // A run that moves to another workflow and day.
    const moved = {
      ...(data.runs[1] as ClassifiedRun),
      workflow: 'deploy',
      triggeredAt: '2026-02-11T23:59:59Z',
    };
    await writeBatch(store, bitrise.id, { runs: [moved], jobs: retriedJobs, steps: [late], raw: [] });
    const pending = await levelReport(store, {}, 'step', { exactLimit: 0 });
    assert.ok(
      pending.rows.every((r) => r.percentiles === 'exact'),
      'grains wait for the checkpoint: the rows answer',
    );
    await writeBatch(store, bitrise.id, { runs: [], jobs: [], raw: [] }, { done: true });
    for (const level of ['job', 'step'] as const)
      for (const filter of FILTERS) await levelsAgree(store, filter, level);
    const steps = await levelReport(store, { project: [lateRun.projectKey] }, 'step', { exactLimit: 0 });
    assert.equal(steps.rows.find((r) => r.name === 'Late step')?.executions, 1);
    await levelRollupsAsRebuilt(store);

    // Filters a grain does not keep: the rows answer, exactly.
    for (const filter of [
      { branch: ['main'] },
      { trigger: ['push' as const] },
      { status: ['failed' as const] },
    ]) {
      const report = await levelReport(store, filter, 'step', { exactLimit: 0 });
      assert.ok(report.rows.length > 0 || filter.status !== undefined);
      assert.ok(
        report.rows.every((r) => r.percentiles === 'exact'),
        JSON.stringify(filter),
      );
    }
  },
);
