// The flaky ranking (DESIGN.md "Flakiness") and the flaky job list, on both engines, against a hand-built
// set of retry chains whose figures are worked out in the comments: a retry that passed after one or two
// failed attempts, a retried failure whose retry failed too (time lost, no flake), a soft-failed job
// passed on retry (no flake), and retry links that loop (the query must still end).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import type { Job } from '../../src/domain/model.js';
import { flakyList } from '../../src/metrics/flaky.js';
import { flakyRanking } from '../../src/metrics/flaky-ranking.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { openStore, type Store } from '../../src/store/store.js';
import { scratch, storeTest } from '../store/engines.js';
import { job, project, run } from '../store/fixtures.js';

const at = (day: string, time: string) => `2026-03-${day}T${time}:00Z`;
const url = (key: string) => `https://ci.example/jobs/${key}`;

function execution(
  key: string,
  runKey: string,
  name: string,
  status: 'succeeded' | 'failed',
  durationS: number,
  overrides: Partial<Job> = {},
): Job {
  return job(key, runKey, {
    name,
    status,
    providerStatus: status === 'failed' ? 'failed' : 'passed',
    durationS,
    webUrl: url(key),
    ...overrides,
  });
}

// Pipeline "web" (workflow web), runs R1 R2 (03-02), R3 (03-03), R5 (03-04); pipeline "ios", run R4 (03-03).
// lint: R1 A1 failed (30 s) → A2 passed; R2 L1 failed (20) → L2 failed (25) → L3 passed; R3 one pass.
//   6 executions, flaky A1 L1 L2 = 3, rate 1/2, time lost 30+20+25 = 75, last seen R2 (03-02 12:00).
// test: R2 T2 failed (90) → T3 failed: retried, so 90 s lost, but nothing passed: no flake.
// deploy: R3 S1 soft-failed (a pass) → S2: no failed attempt, no flake.
// x: R5 X1 and X2 name each other as retried (a loop): both failed and retried (5 + 6 s lost), no flake.
// ios build: R4 B1 failed (200) → B2 passed: 2 executions, 1 flaky, rate 1/2, 200 s lost.
// Per workflow: web 14 executions (R1 3, R2 5, R3 4, R5 2), 3 flaky, 75+90+11 = 176 s lost; ios as its job.
const WEB_JOBS: Job[] = [
  execution('A1', 'R1', 'lint', 'failed', 30, { retried: true }),
  execution('A2', 'R1', 'lint', 'succeeded', 35, { retryOf: 'A1' }),
  execution('T1', 'R1', 'test', 'succeeded', 100),
  execution('L1', 'R2', 'lint', 'failed', 20, { retried: true }),
  execution('L2', 'R2', 'lint', 'failed', 25, { retried: true, retryOf: 'L1' }),
  execution('L3', 'R2', 'lint', 'succeeded', 30, { retryOf: 'L2' }),
  execution('T2', 'R2', 'test', 'failed', 90, { retried: true }),
  execution('T3', 'R2', 'test', 'failed', 95, { retryOf: 'T2' }),
  execution('C3', 'R3', 'lint', 'succeeded', 30),
  execution('T4', 'R3', 'test', 'succeeded', 100),
  execution('S1', 'R3', 'deploy', 'succeeded', 10, {
    softFailed: true,
    retried: true,
    providerStatus: 'failed',
  }),
  execution('S2', 'R3', 'deploy', 'succeeded', 10, { retryOf: 'S1' }),
  execution('X1', 'R5', 'x', 'failed', 5, { retried: true, retryOf: 'X2' }),
  execution('X2', 'R5', 'x', 'failed', 6, { retried: true, retryOf: 'X1' }),
];
const IOS_JOBS: Job[] = [
  execution('B1', 'R4', 'build', 'failed', 200, { retried: true }),
  execution('B2', 'R4', 'build', 'succeeded', 210, { retryOf: 'B1' }),
];

async function load(store: Store): Promise<void> {
  const bk = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'acme',
    token: 'token-b',
  });
  const web = (key: string, triggeredAt: string, failed = false) =>
    run(key, 0, {
      projectKey: 'pl-web',
      workflow: 'web',
      number: Number(key.slice(1)),
      triggeredAt,
      status: failed ? 'failed' : 'succeeded',
      classification: failed ? 'failure' : 'success',
    });
  await writeBatch(store, bk.id, {
    projects: [project('pl-web', { name: 'web' }), project('pl-ios', { name: 'ios' })],
    runs: [
      web('R1', at('02', '10:00')),
      web('R2', at('02', '12:00'), true),
      web('R3', at('03', '09:00')),
      web('R5', at('04', '09:00'), true),
      { ...web('R4', at('03', '10:00')), projectKey: 'pl-ios', workflow: 'ios' },
    ],
    jobs: [...WEB_JOBS, ...IOS_JOBS],
    raw: [],
  });
}

storeTest('flaky ranking by job: rate, count, time lost, last seen, newest examples', async (store) => {
  await load(store);
  const ranks = await flakyRanking(store, { filter: {}, by: 'job', limit: 10, bucket: 'day' });
  assert.deepEqual(
    ranks.map((r) => [
      r.project,
      r.workflow,
      r.job,
      r.executions,
      r.flaky,
      r.flake_rate,
      r.time_lost_s,
      r.last_seen_at,
    ]),
    [
      ['web', 'web', 'lint', 6, 3, 0.5, 75, at('02', '12:00')],
      ['ios', 'ios', 'build', 2, 1, 0.5, 200, at('03', '10:00')],
    ],
  );
  const [lint] = ranks;
  assert.deepEqual(
    lint?.examples.map((e) => [e.run_number, e.failed_url, e.passed_url]),
    [
      [2, url('L1'), url('L3')],
      [2, url('L2'), url('L3')],
      [1, url('A1'), url('A2')],
    ],
  );
  assert.deepEqual(lint?.trend, [
    { bucket: '2026-03-02', executions: 5, flaky: 3 },
    { bucket: '2026-03-03', executions: 1, flaky: 0 },
  ]);
  assert.deepEqual(
    (await flakyRanking(store, { filter: {}, by: 'job', limit: 1 })).map((r) => [r.job, r.trend]),
    [['lint', undefined]],
    'cut at the limit after ranking; no trend unless a bucket is asked for',
  );
});

storeTest('flaky ranking by workflow, and the filter applies to the runs', async (store) => {
  await load(store);
  const ranks = await flakyRanking(store, { filter: {}, by: 'workflow', limit: 10 });
  assert.deepEqual(
    ranks.map((r) => [r.workflow, r.job, r.executions, r.flaky, r.flake_rate, r.time_lost_s]),
    [
      ['ios', null, 2, 1, 0.5, 200],
      ['web', null, 14, 3, 3 / 14, 176],
    ],
  );
  const since = await flakyRanking(store, { filter: { since: at('03', '00:00') }, by: 'job', limit: 10 });
  assert.deepEqual(
    since.map((r) => r.job),
    ['build'],
  );
});

storeTest('the flaky job list: one entry per job with how often and its newest run', async (store) => {
  await load(store);
  const { jobs } = await flakyList(store, {}, 10);
  assert.deepEqual(
    jobs.map((j) => [j.project, j.job, j.times, j.run_number, j.triggered_at, j.failed_url, j.passed_url]),
    [
      ['ios', 'build', 1, 4, at('03', '10:00'), url('B1'), url('B2')],
      ['web', 'lint', 2, 2, at('02', '12:00'), url('L2'), url('L3')],
    ],
  );
});

async function cli(db: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c) => out.push(String(c)));
  stderr.on('data', (c) => err.push(String(c)));
  const code = await runCli(['--db', db, ...args], { stdout, stderr, stdin: new PassThrough(), env: {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

test('flaky --by job|workflow through the CLI: a ranked table with dated examples, json and csv', async () => {
  const db = join(scratch, 'flaky-cli', 'buildlens.db');
  const store = await openStore(db);
  await load(store);
  await store.close();
  const period = ['--since', '2026-03-01', '--until', '2026-03-05'];

  const table = await cli(db, ['flaky', '--by', 'job', ...period]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.split('\n').slice(2);
  assert.equal(table.stdout.split('\n')[0], 'Period: 2026-03-01 00:00 UTC to 2026-03-05 00:00 UTC');
  assert.equal(lines[0], 'flaky jobs (2)');
  assert.match(lines[1] ?? '', /^#\s+project\s+workflow\s+job\s+rate\s+flaky\s+execs\s+lost\s+last seen$/);
  assert.match(lines[2] ?? '', /^1\s+web\s+web\s+lint\s+50\.0%\s+3\s+6\s+1m 15s\s+2026-03-02$/);
  assert.match(lines[3] ?? '', /^2\s+ios\s+ios\s+build\s+50\.0%\s+1\s+2\s+3m 20s\s+2026-03-03$/);
  assert.ok(lines.includes('  #1 2026-03-02 12:00 UTC · run #2'), table.stdout);
  assert.ok(lines.includes(`    failed: ${url('L1')}`), 'links whole');
  assert.ok(lines.includes(`    passed on retry: ${url('L3')}`));

  const json = JSON.parse(
    (await cli(db, ['flaky', '--by', 'workflow', '--format', 'json', ...period])).stdout,
  );
  assert.equal(json.by, 'workflow');
  assert.deepEqual(json.filter, { since: '2026-03-01T00:00:00.000Z', until: '2026-03-05T00:00:00.000Z' });
  assert.deepEqual(
    json.ranks.map((r: { workflow: string; flaky: number }) => [r.workflow, r.flaky]),
    [
      ['ios', 1],
      ['web', 3],
    ],
  );
  const csv = (await cli(db, ['flaky', '--by', 'job', '--format', 'csv', ...period])).stdout.split('\n');
  assert.equal(
    csv[0],
    'rank,connection,project,workflow,job,flake_rate,flaky,executions,time_lost_s,last_seen_at,failed_url,passed_url',
  );
  assert.equal(csv[1], `1,bk,web,web,lint,0.5,3,6,75,${at('02', '12:00')},${url('L1')},${url('L3')}`);

  const list = await cli(db, ['flaky', ...period]);
  const jobLines = list.stdout.split('\n').filter((l) => l.includes(' · lint') || l.includes(' · build'));
  assert.deepEqual(jobLines, [
    '  2026-03-03 10:00 UTC · ios · ios · build · once, newest #4',
    '  2026-03-02 12:00 UTC · web · web · lint · 2 times, newest #2',
  ]);

  const bad = await cli(db, ['flaky', '--by', 'step']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--by must be one of job, workflow, got "step"/);
});
