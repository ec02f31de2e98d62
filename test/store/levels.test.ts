// Jobs and steps below a run: steps are upserted idempotently like runs, jobs carry their run's critical
// path (kept true when a retry arrives), and `jobs`/`steps` print what /api/runs/{key}/jobs|steps answer.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { Step } from '../../src/domain/model.js';
import { levelReport } from '../../src/metrics/level-report.js';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { listJobRecords } from '../../src/store/job-records.js';
import { listRunRecords } from '../../src/store/run-records.js';
import type { RunQuery } from '../../src/store/runs.js';
import { listStepRecords } from '../../src/store/step-records.js';
import type { Store } from '../../src/store/store.js';
import { syncConnection } from '../../src/sync/sync.js';
import { runInProcess } from '../cli/in-process.js';
import { openApiCaller } from '../server/openapi-check.js';
import { freshStore, scratch, storeTest } from './engines.js';
import { job, project, run } from './fixtures.js';

const at = (minute: number, second = 0) =>
  new Date(Date.UTC(2026, 1, 10, 9, minute, second)).toISOString().replace('.000Z', 'Z');

function step(key: string, jobKey: string | null, position: number, overrides: Partial<Step> = {}): Step {
  return {
    key,
    runKey: 'p1',
    jobKey,
    name: `step ${position}`,
    stepId: 'script',
    position,
    status: 'succeeded',
    providerStatus: 'success',
    startedAt: at(1, position * 10),
    finishedAt: at(1, position * 10 + 9),
    durationS: 9,
    ...overrides,
  };
}

/** A DAG pipeline: build → (unit, ui) → deploy after unit only; ui's first execution was retried. */
function pipeline() {
  const r = run('p1', 0, { kind: 'pipeline', workflow: 'ci' });
  const jobs = [
    job('b-build', 'p1', { name: 'build', startedAt: at(1), finishedAt: at(3), dependsOn: [] }),
    job('b-unit', 'p1', { name: 'unit', startedAt: at(3), finishedAt: at(8), dependsOn: ['build'] }),
    job('b-ui1', 'p1', {
      name: 'ui',
      status: 'failed',
      startedAt: at(3),
      finishedAt: at(5),
      retried: true,
      dependsOn: ['build'],
    }),
    job('b-ui2', 'p1', {
      name: 'ui',
      startedAt: at(5),
      finishedAt: at(12),
      retryOf: 'b-ui1',
      dependsOn: ['build'],
    }),
    job('b-deploy', 'p1', { name: 'deploy', startedAt: at(9), finishedAt: at(10), dependsOn: ['unit'] }),
  ];
  const steps = [
    step('b-build/1', 'b-build', 0, { name: 'Git clone', stepId: 'git-clone' }),
    step('b-build/2', 'b-build', 1, { name: 'Build', status: 'failed', providerStatus: 'failed' }),
    step('b-unit/1', 'b-unit', 0, { name: 'Unit tests' }),
  ];
  return { runs: [r], jobs, steps, raw: [] };
}

async function connection(store: Store): Promise<number> {
  const c = await addConnection(store, {
    name: 'ci',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:1',
    org: null,
    token: 'token-for-the-level-tests-0123',
  });
  return c.id;
}

storeTest(
  'steps are upserted idempotently: the same batch twice writes and counts nothing',
  async (store) => {
    const id = await connection(store);
    await writeBatch(store, id, { projects: [project('app1')], runs: [], jobs: [], raw: [] });
    const first = await writeBatch(store, id, pipeline());
    assert.equal(first.stepsNew, 3);
    const again = await writeBatch(store, id, pipeline());
    assert.deepEqual([again.stepsNew, again.stepsUpdated, again.jobsNew, again.jobsUpdated], [0, 0, 0, 0]);
    const changed = pipeline();
    changed.steps[2] = { ...(changed.steps[2] as Step), status: 'failed', providerStatus: 'failed' };
    const third = await writeBatch(store, id, changed);
    assert.deepEqual([third.stepsNew, third.stepsUpdated], [0, 1]);
    const rows = await store.db.selectFrom('steps').selectAll().orderBy('key').execute();
    assert.equal(rows.length, 3);
    assert.equal(rows.find((r) => r.key === 'b-unit/1')?.status, 'failed');
  },
);

storeTest('jobs carry their run’s critical path, worked out again when a retry arrives', async (store) => {
  const id = await connection(store);
  const batch = pipeline();
  // Before the retry of ui is known: its failed execution is the final one, and unit → deploy ends last.
  const beforeRetry = {
    ...batch,
    jobs: batch.jobs
      .filter((j) => j.key !== 'b-ui2')
      .map((j) => (j.key === 'b-ui1' ? { ...j, retried: false } : j)),
  };
  await writeBatch(store, id, beforeRetry);
  const marked = async () =>
    (await listJobRecords(store, { run: 'p1' }, 100)).filter((j) => j.on_critical_path).map((j) => j.name);
  assert.deepEqual(await marked(), ['build', 'unit', 'deploy']);
  await writeBatch(store, id, batch);
  assert.deepEqual(await marked(), ['build', 'ui']);
  const ui = (await listJobRecords(store, { run: 'p1' }, 100)).filter((j) => j.name === 'ui');
  assert.deepEqual(
    ui.map((j) => [j.key, j.on_critical_path, j.retried]),
    [
      ['b-ui1', false, true],
      ['b-ui2', true, false],
    ],
  );
});

storeTest(
  'job and step records: a run’s in the order they ran, statuses filtered, unknown run refused',
  async (store) => {
    const id = await connection(store);
    await writeBatch(store, id, pipeline());
    await writeBatch(store, id, {
      runs: [run('later', 30)],
      jobs: [],
      steps: [step('later/1', null, 0, { runKey: 'later', startedAt: at(31), finishedAt: at(32) })],
      raw: [],
    });
    const jobs = await listJobRecords(store, { run: 'p1' }, 100);
    assert.deepEqual(
      jobs.map((j) => j.key),
      ['b-build', 'b-ui1', 'b-unit', 'b-ui2', 'b-deploy'],
    );
    assert.deepEqual(jobs[0]?.depends_on, []);
    assert.deepEqual(jobs.at(-1)?.depends_on, ['unit']);
    const steps = await listStepRecords(store, {}, 100);
    // Newest run first; within a run, job by job in start order, each job's steps in order.
    assert.deepEqual(
      steps.map((s) => s.key),
      ['later/1', 'b-build/1', 'b-build/2', 'b-unit/1'],
    );
    assert.equal(steps[0]?.job, null);
    assert.equal(steps[1]?.job, 'build');
    const failed = await listStepRecords(store, { levelStatus: ['failed'] }, 100);
    assert.deepEqual(
      failed.map((s) => s.name),
      ['Build'],
    );
    assert.deepEqual(
      (await listStepRecords(store, { job: 'b-unit' }, 100)).map((s) => s.key),
      ['b-unit/1'],
    );
    await assert.rejects(listJobRecords(store, { run: 'nope' }, 10), /no run "nope"/);
    await assert.rejects(listStepRecords(store, { job: 'nope' }, 10), /no job "nope"/);
  },
);

/** The API over this store on loopback, as `serve` builds it, closed after the test. */
async function apiOf(store: Store, t: TestContext) {
  const app = await buildApp({
    store,
    sync: new SyncRunner(store, { syncOne: (s, name) => syncConnection(s, name) }),
    token: null,
    loopback: true,
    log: () => {},
  });
  t.after(() => app.close());
  return openApiCaller(app);
}

test('the CLI’s jobs/steps --run KEY --json print what /api/runs/{key}/jobs|steps answer', async (t) => {
  const store = await freshStore(t, 'sqlite');
  assert.ok(store);
  const id = await connection(store);
  await writeBatch(store, id, { projects: [project('app1')], ...pipeline() });
  const api = await apiOf(store, t);
  const env = { BUILDLENS_DB: store.location, XDG_DATA_HOME: join(scratch, 'data') };
  for (const level of ['jobs', 'steps'] as const) {
    const cli = await runInProcess([level, '--run', 'p1', '--json'], { env });
    assert.equal(cli.code, 0, cli.stderr);
    const answer = await api.call('GET', `/api/runs/{key}/${level}`, { url: `/api/runs/p1/${level}` });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(cli.stdout), answer.body);
  }
  const missing = await api.call('GET', '/api/runs/{key}/jobs', { url: '/api/runs/nope/jobs' });
  assert.equal(missing.status, 404);
  const table = await runInProcess(['jobs', '--run', 'p1'], { env });
  assert.match(table.stdout, /ui\s+succeeded\s+\*/);
  const csv = await runInProcess(['steps', '--run', 'p1', '--format', 'csv'], { env });
  assert.equal(
    csv.stdout.split('\n')[0],
    'connection,provider,project_key,workflow,run_key,run_triggered_at,job_key,job,key,name,step_id,position,status,provider_status,started_at,finished_at,duration_s',
  );
  // The pipeline ran on 10 February 2026: older than the default last 30 days, so the period is given.
  const period = ['--since', '2026-02-01', '--until', '2026-03-01'];
  const byJob = await runInProcess(['report', '--by', 'job', '--json', ...period], { env });
  assert.equal(byJob.code, 0, byJob.stderr);
  const filter = { since: '2026-02-01T00:00:00.000Z', until: '2026-03-01T00:00:00.000Z' };
  assert.deepEqual(JSON.parse(byJob.stdout), await levelReport(store, filter, 'job'));
  const fromApi = await api.call('GET', '/api/report/levels', {
    url: '/api/report/levels?level=job&since=2026-02-01&until=2026-03-01',
  });
  assert.equal(fromApi.status, 200);
  assert.deepEqual(fromApi.body, JSON.parse(byJob.stdout));
  const badLevel = await api.call('GET', '/api/report/levels', { url: '/api/report/levels?level=run' });
  assert.equal(badLevel.status, 400);
  const stepTable = await runInProcess(['report', '--by', 'step', '--all'], { env });
  assert.match(stepTable.stdout, /^Period: every run stored\n\nproject\s+step\s+execs/);
  const mixed = await runInProcess(['report', '--by', 'job', '--compare', 'previous'], { env });
  assert.equal(mixed.code, 2);
  const unknown = await runInProcess(['steps', '--run', 'nope'], { env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^buildlens: no run "nope" matches/);
});

storeTest('runs filtered by the steps they executed: by name, by status, both', async (store) => {
  const id = await connection(store);
  await writeBatch(store, id, { projects: [project('app1')], ...pipeline() });
  await writeBatch(store, id, {
    runs: [run('later', 30)],
    jobs: [],
    steps: [
      step('later/1', null, 0, { runKey: 'later', name: 'Build', startedAt: at(31), finishedAt: at(32) }),
    ],
    raw: [],
  });
  await writeBatch(store, id, { runs: [run('stepless', 40)], jobs: [], raw: [] });
  const keys = async (query: RunQuery) =>
    (await listRunRecords(store, query, { limit: 10 })).runs.map((r) => r.key);
  assert.deepEqual(await keys({}), ['stepless', 'later', 'p1']);
  assert.deepEqual(await keys({ step: ['Build'] }), ['later', 'p1']);
  assert.deepEqual(await keys({ step: ['Build'], stepStatus: ['failed'] }), ['p1']);
  assert.deepEqual(await keys({ step: ['Unit tests', 'Git clone'] }), ['p1']);
  assert.deepEqual(await keys({ stepStatus: ['failed'] }), ['p1']);
  assert.deepEqual(await keys({ step: ['Unit tests'], stepStatus: ['failed'] }), []);
  assert.deepEqual(await keys({ step: ['build'] }), [], 'names match exactly');
});

test('runs --step NAME --step-status failed prints what /api/runs?step=NAME&step_status=failed answers', async (t) => {
  const store = await freshStore(t, 'sqlite');
  assert.ok(store);
  const id = await connection(store);
  await writeBatch(store, id, { projects: [project('app1')], ...pipeline() });
  await writeBatch(store, id, {
    runs: [run('later', 30)],
    jobs: [],
    steps: [
      step('later/1', null, 0, { runKey: 'later', name: 'Build', startedAt: at(31), finishedAt: at(32) }),
    ],
    raw: [],
  });
  const api = await apiOf(store, t);
  const env = { BUILDLENS_DB: store.location, XDG_DATA_HOME: join(scratch, 'data') };
  const cli = await runInProcess(['runs', '--step', 'Build', '--step-status', 'failed', '--json'], { env });
  assert.equal(cli.code, 0, cli.stderr);
  const answer = await api.call('GET', '/api/runs', { url: '/api/runs?step=Build&step_status=failed' });
  assert.equal(answer.status, 200);
  const { runs } = answer.body as { runs: { key: string }[] };
  assert.deepEqual(
    runs.map((r) => r.key),
    ['p1'],
  );
  assert.deepEqual(JSON.parse(cli.stdout), runs);
  const both = await runInProcess(['runs', '--step', 'Build', '--json'], { env });
  assert.deepEqual(
    (JSON.parse(both.stdout) as { key: string }[]).map((r) => r.key),
    ['later', 'p1'],
  );
  const one = await api.call('GET', '/api/runs/{key}', { url: '/api/runs/p1' });
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, runs[0]);
  const none = await api.call('GET', '/api/runs/{key}', { url: '/api/runs/nope' });
  assert.equal(none.status, 404);
  const bad = await runInProcess(['runs', '--step-status', 'broken'], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--step-status/);
});

test('report --by job|step takes the run report’s period: the last 30 days unless --all, named in its heading', async (t) => {
  const store = await freshStore(t, 'sqlite');
  assert.ok(store);
  const id = await connection(store);
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  const recent = (key: string, days: number, name: string) => ({
    run: run(key, 0, { triggeredAt: daysAgo(days), startedAt: daysAgo(days), finishedAt: daysAgo(days) }),
    step: step(`${key}/1`, null, 0, { runKey: key, name }),
  });
  const old = recent('old', 40, 'Old step');
  const fresh = recent('fresh', 1, 'Fresh step');
  await writeBatch(store, id, {
    projects: [project('app1')],
    runs: [old.run, fresh.run],
    jobs: [],
    steps: [old.step, fresh.step],
    raw: [],
  });
  const env = { BUILDLENS_DB: store.location, XDG_DATA_HOME: join(scratch, 'data') };
  const names = (json: string) => (JSON.parse(json) as { rows: { name: string }[] }).rows.map((r) => r.name);

  const byDefault = await runInProcess(['report', '--by', 'step', '--json'], { env });
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.deepEqual(names(byDefault.stdout), ['Fresh step'], 'a run older than 30 days is left out');
  const since = (JSON.parse(byDefault.stdout) as { filter: { since: string } }).filter.since;
  assert.ok(Math.abs(Date.parse(since) - (Date.now() - 30 * 86_400_000)) < 60_000, since);
  const all = await runInProcess(['report', '--by', 'step', '--all', '--json'], { env });
  assert.deepEqual(names(all.stdout).sort(), ['Fresh step', 'Old step']);

  const table = await runInProcess(['report', '--by', 'step'], { env });
  assert.match(
    table.stdout,
    /^Period: \d{4}-\d\d-\d\d \d\d:\d\d UTC to now \(the last 30 days; --all for every run\)\n\nproject\s+step/,
  );
  assert.doesNotMatch(table.stdout, /Old step/);
  assert.match(table.stdout, /\n\np50\.\.p95: exact, from every step of the selected runs\n*$/);
  const md = await runInProcess(['report', '--by', 'job', '--all', '--format', 'md', '--project', 'app1'], {
    env,
  });
  assert.match(md.stdout, /^Period: every run stored {2}\nFilters: project app1\n\n/);
  const contradicting = await runInProcess(['report', '--by', 'step', '--all', '--since', '2026-01-01'], {
    env,
  });
  assert.equal(contradicting.code, 2);

  const api = await apiOf(store, t);
  const get = (query: string) =>
    api.call('GET', '/api/report/levels', { url: `/api/report/levels?level=step${query}` });
  const fromApi = await get('');
  assert.deepEqual(names(JSON.stringify(fromApi.body)), ['Fresh step']);
  assert.deepEqual(names(JSON.stringify((await get('&all=true')).body)).sort(), ['Fresh step', 'Old step']);
  assert.equal((await get('&all=true&since=2026-01-01')).status, 400);
});
