// Every metric group (rates, setup, recovery, flaky, credits), the newer dimensions and filters, and the
// comparison with the previous period, against a hand-built data set of both providers. Every figure is
// worked out by hand in the comments. Percentiles are continuous: for n sorted values, p sits at rank
// p*(n-1) (0-based), interpolated linearly. Recovery times are checked to the second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Classification, ClassifiedRun, Job } from '../../src/domain/model.js';
import { flakyList } from '../../src/metrics/flaky.js';
import { report } from '../../src/metrics/report.js';
import { reportDocument } from '../../src/metrics/report-document.js';
import { METRIC_GROUPS, type ReportRow } from '../../src/metrics/vocabulary.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { recordCoverage } from '../../src/store/coverage.js';
import type { Store } from '../../src/store/store.js';
import { freshStore } from '../store/engines.js';
import { STATUS_OF } from '../store/fixtures.js';

interface Spec {
  key: string;
  /** Day of March 2026 and time, UTC: `02 10:00`. */
  at: string;
  /** Finish time, same form; null while running or for a skipped run without one. */
  end: string | null;
  cls: Classification | null;
  duration?: number;
  queue?: number;
  setup?: number;
  cost?: number;
  commit?: string;
  branch?: string;
  trigger?: ClassifiedRun['trigger'];
  pr?: string;
  machine?: string;
}

const time = (at: string) => `2026-03-${at.slice(0, 2)}T${at.slice(3)}:00Z`;

// Buildkite agent queues: linux K1 K2 K5 K7, macos K3 K4, default K6 K8; Bitrise runs have none.
const AGENT_QUEUES: Record<string, string> = {
  K1: 'linux',
  K2: 'linux',
  K3: 'macos',
  K4: 'macos',
  K5: 'linux',
  K6: 'default',
  K7: 'linux',
  K8: 'default',
};

function run(projectKey: string, workflow: string, s: Spec): ClassifiedRun {
  return {
    key: s.key,
    projectKey,
    kind: 'build',
    number: Number(s.key.slice(1)),
    workflow,
    branch: s.branch ?? 'main',
    commitSha: s.commit ?? null,
    message: null,
    trigger: s.trigger ?? 'push',
    prId: s.pr ?? null,
    tag: null,
    actor: null,
    status: s.cls === null ? 'running' : STATUS_OF[s.cls],
    providerStatus: 'x',
    reason: null,
    abortedBy: s.cls === 'aborted_manual' ? 'ana' : null,
    triggeredAt: time(s.at),
    startedAt: s.queue === undefined ? null : time(s.at),
    finishedAt: s.end === null ? null : time(s.end),
    queueS: s.queue ?? null,
    durationS: s.duration ?? null,
    setupS: s.setup ?? null,
    cost: s.cost ?? null,
    machine: s.machine ?? null,
    stack: s.machine ? 'xcode-16' : null,
    agentQueue: AGENT_QUEUES[s.key] ?? null,
    webUrl: `https://ci.example/${s.key}`,
    classification: s.cls,
    classifiedBy: s.cls === null ? null : `test:${s.cls}`,
  };
}

// Bitrise app "iOS App", workflow primary. Commit c2 failed twice (B2 B3) and then passed (B4): flaky.
const IOS: Spec[] = [
  {
    key: 'B1',
    at: '02 10:00',
    end: '02 10:10',
    cls: 'success',
    duration: 500,
    queue: 20,
    setup: 80,
    cost: 10,
    commit: 'c1',
    machine: 'm1',
  },
  {
    key: 'B2',
    at: '02 11:00',
    end: '02 11:05',
    cls: 'failure',
    duration: 250,
    queue: 10,
    setup: 40,
    cost: 5,
    commit: 'c2',
    machine: 'm1',
  },
  {
    key: 'B3',
    at: '02 12:00',
    end: '02 12:06',
    cls: 'failure',
    duration: 300,
    queue: 30,
    setup: 60,
    cost: 6,
    commit: 'c2',
    machine: 'm1',
    trigger: 'manual',
  },
  {
    key: 'B4',
    at: '02 13:00',
    end: '02 13:12',
    cls: 'success',
    duration: 650,
    queue: 40,
    setup: 70,
    cost: 12,
    commit: 'c2',
    machine: 'm2',
  },
  {
    key: 'B5',
    at: '03 09:00',
    end: '03 09:01',
    cls: 'aborted_auto',
    duration: 9999,
    queue: 5,
    setup: 20,
    cost: 1,
    commit: 'c3',
  },
  {
    key: 'B6',
    at: '03 10:00',
    end: '03 10:04',
    cls: 'failure',
    duration: 200,
    queue: 0,
    setup: 50,
    cost: 4,
    commit: 'c4',
    branch: 'feature/a',
    trigger: 'pull_request',
    pr: '42',
    machine: 'm2',
  },
  {
    key: 'B7',
    at: '03 11:00',
    end: '03 11:09',
    cls: 'success',
    duration: 480,
    queue: 15,
    setup: 60,
    cost: 9,
    commit: 'c5',
    branch: 'feature/a',
    trigger: 'pull_request',
    pr: '42',
  },
  {
    key: 'B8',
    at: '04 08:00',
    end: '04 08:03',
    cls: 'failure',
    duration: 150,
    queue: 25,
    setup: 30,
    cost: 3,
    commit: 'c6',
  },
  { key: 'B9', at: '04 09:00', end: '04 09:00', cls: 'skipped', duration: 8888, queue: 5, commit: 'c7' },
];

// Buildkite pipeline "web" (its builds' workflow is the pipeline name). K1 passed after a job retry.
const WEB: Spec[] = [
  { key: 'K1', at: '02 10:00', end: '02 10:05', cls: 'success', duration: 300, queue: 3, commit: 'k1' },
  { key: 'K2', at: '02 14:00', end: '02 14:02', cls: 'failure', duration: 118, queue: 2, commit: 'k2' },
  { key: 'K3', at: '02 15:00', end: '02 15:01', cls: 'infra_failure', duration: 57, queue: 3, commit: 'k3' },
  { key: 'K4', at: '02 16:00', end: '02 16:04', cls: 'success', duration: 236, queue: 4, commit: 'k4' },
  { key: 'K5', at: '03 12:00', end: null, cls: 'skipped', commit: 'k5' },
  { key: 'K6', at: '03 13:00', end: '03 13:01', cls: 'aborted_manual', duration: 39, queue: 1, commit: 'k6' },
  { key: 'K7', at: '04 10:00', end: '04 10:03', cls: 'success', duration: 170, queue: 10, commit: 'k7' },
  { key: 'K8', at: '04 11:00', end: null, cls: null, queue: 6, commit: 'k8' },
];

function job(key: string, runKey: string, overrides: Partial<Job>): Job {
  return {
    key,
    runKey,
    name: `test ${key}`,
    status: 'succeeded',
    providerStatus: 'passed',
    startedAt: null,
    finishedAt: null,
    queueS: null,
    durationS: null,
    agent: null,
    machine: null,
    stack: null,
    agentQueue: null,
    exitStatus: 0,
    softFailed: false,
    retried: false,
    retryOf: null,
    cost: null,
    webUrl: `https://ci.example/jobs/${key}`,
    reason: null,
    dependsOn: null,
    ...overrides,
  };
}

const JOBS: Job[] = [
  // K1: J0 failed, its retry J1 passed → K1 is flaky.
  job('J0', 'K1', { status: 'failed', providerStatus: 'failed', retried: true, exitStatus: 1 }),
  job('J1', 'K1', { retryOf: 'J0' }),
  // K7: J9 soft-failed (normalized as succeeded) and was retried: passing its retry is no flake.
  job('J9', 'K7', { providerStatus: 'failed', softFailed: true, retried: true, exitStatus: 1 }),
  job('J10', 'K7', { retryOf: 'J9' }),
];

async function load(store: Store): Promise<void> {
  const bitrise = await addConnection(store, {
    name: 'br',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9/v0.1',
    org: null,
    token: 'token-a',
  });
  const buildkite = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'acme',
    token: 'token-b',
  });
  // Both backfilled from February: every period these tests compare is covered (test/metrics/coverage.test.ts
  // has the rest).
  for (const connection of [bitrise, buildkite])
    await recordCoverage(store, connection.id, '2026-02-01T00:00:00.000Z', new Date());
  await writeBatch(store, bitrise.id, {
    projects: [{ key: 'app-ios', name: 'iOS App', owner: null, repoUrl: null, webUrl: null }],
    runs: IOS.map((s) => run('app-ios', 'primary', s)),
    jobs: [],
    raw: [],
  });
  await writeBatch(store, buildkite.id, {
    projects: [{ key: 'pl-web', name: 'web', owner: 'acme', repoUrl: null, webUrl: null }],
    runs: WEB.map((s) => run('pl-web', 'web', s)),
    jobs: JOBS,
    raw: [],
  });
}

type Figures = Partial<ReportRow>;

// iOS App: 9 runs = 3 success (B1 B4 B7) + 4 failure (B2 B3 B6 B8) + 1 auto-abort (B5) + 1 skipped (B9).
// success_rate 3/7, failure_rate 4/7; 9 finished: abort_rate 1/9, skip_rate 1/9.
// Durations of successes [480 500 650], rank p*2: p50 500; p90 1.8 → 500+.8*150 = 620; p95 1.9 → 635.
// Queue [0 5 5 10 15 20 25 30 40], rank p*8: p50 4 → 15; p90 7.2 → 30+.2*10 = 32; p95 7.6 → 36; max 40.
// Setup [20 30 40 50 60 60 70 80], rank p*7: p50 3.5 → 55; p90 6.3 → 73; p95 6.65 → 76.5; max 80.
// Recovery, lane main: B1 ok, B2 fail (streak starts, finished 11:05), B3 fail, B4 ok (finished 13:12):
// 2h07m = 7620 s; B8 fail: open. Lane feature/a: B6 fail (10:04) → B7 ok (11:09) = 3900 s.
// Incidents 2, open 1, median (3900+7620)/2 = 5760. Flaky: c2's failures B2 B3 → 2, rate 2/7.
// Credits 10+5+6+12+1+4+9+3 = 50 over 8 runs with a cost: 6.25 each.
const IOS_FIGURES: Figures = {
  runs: 9,
  success: 3,
  failure: 4,
  aborted: 1,
  skipped: 1,
  running: 0,
  blocked: 0,
  unknown: 0,
  success_rate: 3 / 7,
  success_rate_without_infra: 3 / 7,
  aborted_manual: 0,
  aborted_auto: 1,
  infra_failure: 0,
  failure_rate: 4 / 7,
  abort_rate: 1 / 9,
  skip_rate: 1 / 9,
  duration_s_p50: 500,
  duration_s_p90: 620,
  duration_s_p95: 635,
  duration_s_max: 650,
  queue_s_p50: 15,
  queue_s_p90: 32,
  queue_s_p95: 36,
  queue_s_max: 40,
  setup_s_p50: 55,
  setup_s_p90: 73,
  setup_s_p95: 76.5,
  setup_s_max: 80,
  recovery_incidents: 2,
  recovery_open: 1,
  recovery_s_p50: 5760,
  flaky_runs: 2,
  flaky_rate: 2 / 7,
  credits: 50,
  credits_per_run: 6.25,
  percentiles: 'exact',
};

// web: 8 runs = 3 success (K1 K4 K7) + 2 failure (K2, K3 infra) + 1 manual abort (K6) + 1 skipped (K5)
// + 1 running (K8). success_rate 3/5; 7 finished: abort_rate 1/7, skip_rate 1/7.
// Durations [170 236 300]: p50 236; p90 236+.8*64 = 287.2; p95 236+.9*64 = 293.6; max 300.
// Queue [1 2 3 3 4 6 10], rank p*6: p50 3; p90 5.4 → 6+.4*4 = 7.6; p95 5.7 → 8.8; max 10. No setup.
// Recovery: K1 ok, K2 fail (14:02), K3 infra fail, K4 ok (16:04) → 7320 s; K6 aborted and K5 skipped
// neither start nor end a streak. Flaky: K1 (J1 passed on retry of failed J0); J10 retried a soft
// failure: no flake. 1 of 5. No credits.
const WEB_FIGURES: Figures = {
  runs: 8,
  success: 3,
  failure: 2,
  aborted: 1,
  skipped: 1,
  running: 1,
  blocked: 0,
  unknown: 0,
  success_rate: 0.6,
  success_rate_without_infra: 3 / 4,
  aborted_manual: 1,
  aborted_auto: 0,
  infra_failure: 1,
  failure_rate: 0.4,
  abort_rate: 1 / 7,
  skip_rate: 1 / 7,
  duration_s_p50: 236,
  duration_s_p90: 287.2,
  duration_s_p95: 293.6,
  duration_s_max: 300,
  queue_s_p50: 3,
  queue_s_p90: 7.6,
  queue_s_p95: 8.8,
  queue_s_max: 10,
  setup_s_p50: null,
  setup_s_p90: null,
  setup_s_p95: null,
  setup_s_max: null,
  recovery_incidents: 1,
  recovery_open: 0,
  recovery_s_p50: 7320,
  flaky_runs: 1,
  flaky_rate: 0.2,
  credits: null,
  credits_per_run: null,
  percentiles: 'exact',
};

// Without infra failures: iOS 3/7 (none), web 3/(3+2-1), total 6/(6+6-1).
// Total: 17 runs = 6 success + 6 failure (1 infra) + 2 aborted (1 manual, 1 auto) + 2 skipped + 1 running.
// Rates 6/12; 16 finished: abort 2/16, skip 2/16. Durations [170 236 300 480 500 650], rank p*5:
// p50 2.5 → 300+.5*180 = 390; p90 4.5 → 500+.5*150 = 575; p95 4.75 → 612.5; max 650.
// Queue [0 1 2 3 3 4 5 5 6 10 10 15 20 25 30 40], rank p*15: p50 7.5 → 5.5; p90 13.5 → 27.5;
// p95 14.25 → 30+.25*10 = 32.5; max 40. Recovery [3900 7320 7620]: 3 incidents, 1 open, median 7320.
// Flaky 3 of 12.
const TOTAL_FIGURES: Figures = {
  runs: 17,
  success: 6,
  failure: 6,
  aborted: 2,
  skipped: 2,
  running: 1,
  blocked: 0,
  unknown: 0,
  success_rate: 0.5,
  success_rate_without_infra: 6 / 11,
  aborted_manual: 1,
  aborted_auto: 1,
  infra_failure: 1,
  failure_rate: 0.5,
  abort_rate: 0.125,
  skip_rate: 0.125,
  duration_s_p50: 390,
  duration_s_p90: 575,
  duration_s_p95: 612.5,
  duration_s_max: 650,
  queue_s_p50: 5.5,
  queue_s_p90: 27.5,
  queue_s_p95: 32.5,
  queue_s_max: 40,
  setup_s_p50: 55,
  setup_s_p90: 73,
  setup_s_p95: 76.5,
  setup_s_max: 80,
  recovery_incidents: 3,
  recovery_open: 1,
  recovery_s_p50: 7320,
  flaky_runs: 3,
  flaky_rate: 0.25,
  credits: 50,
  credits_per_run: 6.25,
  percentiles: 'exact',
};

const round = (rows: Figures[]) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v]),
    ),
  );

/** Only the named fields of each row. */
const pick = (rows: ReportRow[], fields: string[]) =>
  rows.map((r) => Object.fromEntries(fields.map((f) => [f, (r as Record<string, unknown>)[f] ?? null])));

const ALL = [...METRIC_GROUPS];

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`every metric group on ${dialect}`, async (t) => {
    const store = await freshStore(t, dialect);
    if (!store) return;
    await load(store);

    await t.test('per project and in total', async () => {
      const rows = await report(store, { filter: {}, by: ['project'], metrics: ALL });
      assert.deepEqual(
        round(rows),
        round([
          { project: 'iOS App', connection: 'br', ...IOS_FIGURES },
          { project: 'web', connection: 'bk', ...WEB_FIGURES },
        ]),
      );
      assert.deepEqual(
        round(await report(store, { filter: {}, by: [], metrics: ALL })),
        round([TOTAL_FIGURES]),
      );
    });

    await t.test('by provider, trigger, pull request and machine', async () => {
      const byProvider = await report(store, { filter: {}, by: ['provider'] });
      assert.deepEqual(pick(byProvider, ['provider', 'runs']), [
        { provider: 'bitrise', runs: 9 },
        { provider: 'buildkite', runs: 8 },
      ]);
      // Triggers: B3 manual; B6 B7 pull requests; the other 14 pushes.
      const byTrigger = await report(store, { filter: {}, by: ['trigger'] });
      assert.deepEqual(pick(byTrigger, ['trigger', 'runs', 'success', 'failure']), [
        { trigger: 'manual', runs: 1, success: 0, failure: 1 },
        { trigger: 'pull_request', runs: 2, success: 1, failure: 1 },
        { trigger: 'push', runs: 14, success: 5, failure: 4 },
      ]);
      const byPr = await report(store, { filter: {}, by: ['pr'] });
      assert.deepEqual(pick(byPr, ['pr', 'runs']), [
        { pr: 'no', runs: 15 },
        { pr: 'yes', runs: 2 },
      ]);
      // m1: B1 B2 B3 (1 of 3 passed); m2: B4 B6; no machine: the other 12, of which B7 K1 K4 K7 passed and
      // B8 K2 K3 failed: 4/7.
      const byMachine = await report(store, { filter: {}, by: ['machine'] });
      assert.deepEqual(pick(byMachine, ['machine', 'runs', 'success_rate']), [
        { machine: 'm1', runs: 3, success_rate: 1 / 3 },
        { machine: 'm2', runs: 2, success_rate: 0.5 },
        { machine: null, runs: 12, success_rate: 4 / 7 },
      ]);
    });

    await t.test('by agent queue, and filtered by it', async () => {
      // default: K6 aborted, K8 running, no success or failure. linux: K1 K7 passed, K2 failed, K5 skipped:
      // 2/3, durations [170 300] p50 235. macos: K4 passed, K3 infra failure: 1/2, duration 236. No queue:
      // the 9 Bitrise runs, 3/7 (iOS App above). Runs without a queue come last.
      const rows = await report(store, { filter: {}, by: ['agent_queue'] });
      const fields = ['runs', 'success', 'failure', 'aborted', 'skipped', 'running', 'success_rate'] as const;
      assert.deepEqual(
        rows.map((r) => [r.agent_queue, ...fields.map((f) => r[f]), r.duration_s_p50]),
        [
          ['default', 2, 0, 0, 1, 0, 1, null, null],
          ['linux', 4, 2, 1, 0, 1, 0, 2 / 3, 235],
          ['macos', 2, 1, 1, 0, 0, 0, 0.5, 236],
          [null, 9, 3, 4, 1, 1, 0, 3 / 7, 500],
        ],
      );
      const [both] = await report(store, { filter: { agentQueue: ['macos', 'linux'] }, by: [] });
      assert.deepEqual([both?.runs, both?.success, both?.failure], [6, 3, 2]);
    });

    await t.test('filters by trigger, pull request, machine and stack', async () => {
      const [pr] = await report(store, { filter: { pr: true }, by: [], metrics: ['recovery'] });
      // B6 → B7 on feature/a: one incident of 3900 s.
      assert.deepEqual(
        pick([pr as ReportRow], ['runs', 'success_rate', 'recovery_incidents', 'recovery_s_p50']),
        [{ runs: 2, success_rate: 0.5, recovery_incidents: 1, recovery_s_p50: 3900 }],
      );
      const [notPr] = await report(store, { filter: { pr: false }, by: [] });
      assert.equal(notPr?.runs, 15);
      const [manual] = await report(store, { filter: { trigger: ['manual'] }, by: [] });
      assert.equal(manual?.runs, 1);
      const [m1] = await report(store, { filter: { machine: ['m1'], stack: ['xcode-16'] }, by: [] });
      assert.equal(m1?.runs, 3);
    });

    await t.test(
      'throughput and recovery per day: an incident belongs to the day of its first failure',
      async () => {
        // 03-02: B1-B4 K1-K4 (incidents B2 → B4 7620 s and K2 → K4 7320 s, median 7470); 03-03: B5 B6 B7
        // K5 K6 (B6 → B7 3900 s); 03-04: B8 B9 K7 K8 (B8's streak still open).
        const rows = await report(store, { filter: {}, by: ['day'], metrics: ['recovery'] });
        assert.deepEqual(
          pick(rows, ['day', 'runs', 'recovery_incidents', 'recovery_open', 'recovery_s_p50']),
          [
            { day: '2026-03-02', runs: 8, recovery_incidents: 2, recovery_open: 0, recovery_s_p50: 7470 },
            { day: '2026-03-03', runs: 5, recovery_incidents: 1, recovery_open: 0, recovery_s_p50: 3900 },
            { day: '2026-03-04', runs: 4, recovery_incidents: 0, recovery_open: 1, recovery_s_p50: null },
          ],
        );
      },
    );

    await t.test('against the previous period of the same length', async () => {
      // 03-03 and 03-04 (9 runs: B7 K7 passed, B6 B8 failed) against 03-01 and 03-02 (8 runs: B1 B4 K1 K4
      // passed, B2 B3 K2 K3 failed).
      const document = await reportDocument(store, {
        filter: { since: '2026-03-03T00:00:00.000Z', until: '2026-03-05T00:00:00.000Z' },
        by: ['provider'],
        compare: 'previous',
      });
      assert.deepEqual(document.previous_filter, {
        since: '2026-03-01T00:00:00.000Z',
        until: '2026-03-03T00:00:00.000Z',
      });
      assert.deepEqual(
        [
          document.total.runs,
          document.total.success_rate,
          document.total.previous?.runs,
          document.total.previous?.success_rate,
        ],
        [9, 0.5, 8, 0.5],
      );
      // bitrise now: B5-B9 (B7 ok; B6 B8 failed); before: B1-B4 (2 ok, 2 failed).
      const bitrise = document.rows.find((r) => r.provider === 'bitrise');
      assert.deepEqual(
        [bitrise?.runs, bitrise?.success_rate, bitrise?.previous?.runs, bitrise?.previous?.success_rate],
        [5, 1 / 3, 4, 0.5],
      );
      // Days of this period have no namesakes in the previous one: only the total is compared.
      const daily = await reportDocument(store, {
        filter: { since: '2026-03-03T00:00:00.000Z', until: '2026-03-05T00:00:00.000Z' },
        by: ['day'],
        compare: 'previous',
      });
      assert.deepEqual(
        daily.rows.map((r) => [r.day, 'previous' in r]),
        [
          ['2026-03-03', false],
          ['2026-03-04', false],
        ],
      );
      assert.equal(daily.total.previous?.runs, 8);
      await assert.rejects(
        reportDocument(store, { filter: {}, by: [], compare: 'previous' }),
        /comparing with the previous period needs a start \(--since\)/,
      );
    });

    await t.test('the flaky list links the failed and passed runs and jobs', async () => {
      const list = await flakyList(store, {}, 10);
      assert.deepEqual(
        list.commits.map((c) => [
          c.project,
          c.workflow,
          c.commit_sha,
          c.failures,
          c.successes,
          c.failed_url,
          c.passed_url,
        ]),
        [['iOS App', 'primary', 'c2', 2, 1, 'https://ci.example/B3', 'https://ci.example/B4']],
      );
      assert.deepEqual(
        list.jobs.map((j) => [j.project, j.run_number, j.job, j.failed_url, j.passed_url]),
        [['web', 1, 'test J1', 'https://ci.example/jobs/J0', 'https://ci.example/jobs/J1']],
      );
    });
  });
}
