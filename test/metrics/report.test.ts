// The report's numbers against a small data set whose every figure is worked out by hand below.
// Percentiles are continuous: for n sorted values, p sits at rank p*(n-1) (0-based), interpolated linearly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Classification, ClassifiedRun, Project } from '../../src/domain/model.js';
import { type ReportQuery, report } from '../../src/metrics/report.js';
import type { ReportRow } from '../../src/metrics/vocabulary.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import type { Store } from '../../src/store/store.js';
import { freshStore } from '../store/engines.js';
import { STATUS_OF } from '../store/fixtures.js';

interface Spec {
  key: string;
  at: string;
  classification: Classification | null;
  duration: number | null;
  queue: number | null;
  workflow: string;
  branch: string;
  /** Bitrise pipelines are runs of kind `pipeline`; standalone Bitrise builds and Buildkite builds are `build`. */
  kind?: 'pipeline';
}

function run(projectKey: string, spec: Spec): ClassifiedRun {
  return {
    key: spec.key,
    projectKey,
    kind: spec.kind ?? 'build',
    number: null,
    workflow: spec.workflow,
    branch: spec.branch,
    commitSha: null,
    message: null,
    trigger: 'push',
    prId: null,
    tag: null,
    actor: null,
    status: spec.classification === null ? 'running' : STATUS_OF[spec.classification],
    providerStatus: 'x',
    reason: null,
    abortedBy: spec.classification === 'aborted_manual' ? 'alice' : null,
    triggeredAt: spec.at,
    startedAt: spec.queue === null ? null : spec.at,
    finishedAt: spec.classification === null ? null : spec.at,
    queueS: spec.queue,
    durationS: spec.duration,
    setupS: null,
    cost: null,
    machine: null,
    stack: null,
    agentQueue: null,
    webUrl: null,
    classification: spec.classification,
    classifiedBy: spec.classification === null ? null : `test:${spec.classification}`,
  };
}

const IOS: Project = { key: 'app-ios', name: 'iOS App', owner: 'acme', repoUrl: null, webUrl: null };
const WEB: Project = { key: 'pl-web', name: 'web', owner: 'acme', repoUrl: null, webUrl: null };

// A Bitrise app. ISO weeks (UTC): 2025-12-29 is in 2026-W01; W06 is Feb 2-8 2026; W07 is Feb 9-15.
// The skipped run and the auto-abort carry huge durations: they must never reach a duration figure.
const IOS_RUNS: Spec[] = [
  {
    key: 'i1',
    at: '2026-02-03T10:00:00.123456Z',
    classification: 'success',
    duration: 100,
    queue: 10,
    workflow: 'primary',
    branch: 'main',
  },
  {
    key: 'i2',
    at: '2026-02-04T10:00:00Z',
    classification: 'success',
    duration: 200,
    queue: 20,
    workflow: 'primary',
    branch: 'feature/x',
  },
  {
    key: 'i3',
    kind: 'pipeline',
    at: '2026-02-09T00:00:00Z',
    classification: 'success',
    duration: 400,
    queue: 0,
    workflow: 'deploy',
    branch: 'main',
  },
  {
    key: 'i4',
    at: '2026-02-10T10:00:00Z',
    classification: 'failure',
    duration: 50,
    queue: 30,
    workflow: 'primary',
    branch: 'main',
  },
  {
    key: 'i5',
    at: '2026-02-10T11:00:00Z',
    classification: 'aborted_auto',
    duration: 9999,
    queue: 40,
    workflow: 'primary',
    branch: 'main',
  },
  {
    key: 'i6',
    at: '2026-02-11T10:00:00Z',
    classification: 'skipped',
    duration: 7777,
    queue: null,
    workflow: 'primary',
    branch: 'main',
  },
  {
    key: 'i7',
    at: '2026-02-12T10:00:00Z',
    classification: null,
    duration: null,
    queue: 5,
    workflow: 'primary',
    branch: 'main',
  },
  {
    key: 'i8',
    at: '2025-12-29T10:00:00Z',
    classification: 'success',
    duration: 1000,
    queue: 60,
    workflow: 'primary',
    branch: 'main',
  },
];

// A Buildkite pipeline: its builds' workflow is the pipeline name.
const WEB_RUNS: Spec[] = [
  {
    key: 'w1',
    at: '2026-02-08T23:59:59Z',
    classification: 'success',
    duration: 60,
    queue: 2,
    workflow: 'web',
    branch: 'main',
  },
  {
    key: 'w2',
    at: '2026-02-09T12:00:00Z',
    classification: 'success',
    duration: 90,
    queue: 4,
    workflow: 'web',
    branch: 'main',
  },
  {
    key: 'w3',
    at: '2026-02-10T12:00:00Z',
    classification: 'failure',
    duration: 30,
    queue: 6,
    workflow: 'web',
    branch: 'feature/x',
  },
  {
    key: 'w4',
    at: '2026-02-11T12:00:00Z',
    classification: 'failure',
    duration: 20,
    queue: 8,
    workflow: 'web',
    branch: 'main',
  },
  {
    key: 'w5',
    at: '2026-02-11T13:00:00Z',
    classification: 'skipped',
    duration: null,
    queue: null,
    workflow: 'web',
    branch: 'main',
  },
  {
    key: 'w6',
    at: '2026-02-12T12:00:00Z',
    classification: 'aborted_manual',
    duration: 10,
    queue: 1,
    workflow: 'web',
    branch: 'main',
  },
];

type Metrics = Omit<ReportRow, 'connection' | 'project' | 'workflow' | 'branch' | 'week'>;

// iOS App: 8 runs = 4 success (i1 i2 i3 i8) + 1 failure + 1 aborted + 1 skipped + 1 running; rate 4/5.
// Durations of successes [100 200 400 1000], rank p*3: p50 1.5 → 300; p90 2.7 → 400+.7*600 = 820;
// p95 2.85 → 400+.85*600 = 910; max 1000. Queue of started runs [0 5 10 20 30 40 60], rank p*6:
// p50 3 → 20; p90 5.4 → 40+.4*20 = 48; p95 5.7 → 40+.7*20 = 54; max 60.
const IOS_METRICS: Metrics = {
  runs: 8,
  success: 4,
  failure: 1,
  infra_failure: 0,
  aborted: 1,
  skipped: 1,
  running: 1,
  blocked: 0,
  unknown: 0,
  success_rate: 0.8,
  success_rate_without_infra: 0.8,
  duration_s_p50: 300,
  duration_s_p90: 820,
  duration_s_p95: 910,
  duration_s_max: 1000,
  queue_s_p50: 20,
  queue_s_p90: 48,
  queue_s_p95: 54,
  queue_s_max: 60,
  percentiles: 'exact',
};
// web: 6 runs = 2 success + 2 failure + 1 aborted (manual) + 1 skipped; rate 2/4.
// Durations [60 90], rank p*1: p50 75; p90 60+.9*30 = 87; p95 60+.95*30 = 88.5; max 90.
// Queue [1 2 4 6 8], rank p*4: p50 2 → 4; p90 3.6 → 6+.6*2 = 7.2; p95 3.8 → 6+.8*2 = 7.6; max 8.
const WEB_METRICS: Metrics = {
  runs: 6,
  success: 2,
  failure: 2,
  infra_failure: 0,
  aborted: 1,
  skipped: 1,
  running: 0,
  blocked: 0,
  unknown: 0,
  success_rate: 0.5,
  success_rate_without_infra: 0.5,
  duration_s_p50: 75,
  duration_s_p90: 87,
  duration_s_p95: 88.5,
  duration_s_max: 90,
  queue_s_p50: 4,
  queue_s_p90: 7.2,
  queue_s_p95: 7.6,
  queue_s_max: 8,
  percentiles: 'exact',
};
// Total: 14 runs = 6 success + 3 failure + 2 aborted + 2 skipped + 1 running; rate 6/9.
// Durations [60 90 100 200 400 1000], rank p*5: p50 2.5 → 150; p90 4.5 → 400+.5*600 = 700;
// p95 4.75 → 400+.75*600 = 850; max 1000. Queue [0 1 2 4 5 6 8 10 20 30 40 60], rank p*11:
// p50 5.5 → 6+.5*2 = 7; p90 9.9 → 30+.9*10 = 39; p95 10.45 → 40+.45*20 = 49; max 60.
const TOTAL_METRICS: Metrics = {
  runs: 14,
  success: 6,
  failure: 3,
  infra_failure: 0,
  aborted: 2,
  skipped: 2,
  running: 1,
  blocked: 0,
  unknown: 0,
  success_rate: 6 / 9,
  success_rate_without_infra: 6 / 9,
  duration_s_p50: 150,
  duration_s_p90: 700,
  duration_s_p95: 850,
  duration_s_max: 1000,
  queue_s_p50: 7,
  queue_s_p90: 39,
  queue_s_p95: 49,
  queue_s_max: 60,
  percentiles: 'exact',
};
// 2026-W01: i8 alone.
const W01_METRICS: Metrics = {
  runs: 1,
  success: 1,
  failure: 0,
  infra_failure: 0,
  aborted: 0,
  skipped: 0,
  running: 0,
  blocked: 0,
  unknown: 0,
  success_rate: 1,
  success_rate_without_infra: 1,
  duration_s_p50: 1000,
  duration_s_p90: 1000,
  duration_s_p95: 1000,
  duration_s_max: 1000,
  queue_s_p50: 60,
  queue_s_p90: 60,
  queue_s_p95: 60,
  queue_s_max: 60,
  percentiles: 'exact',
};
// 2026-W06: i1 i2 w1 (w1 at Sunday 23:59:59). Durations [60 100 200], rank p*2: p50 100;
// p90 1.8 → 100+.8*100 = 180; p95 1.9 → 190; max 200. Queue [2 10 20]: p50 10; p90 1.8 → 10+.8*10 = 18;
// p95 1.9 → 10+.9*10 = 19; max 20.
const W06_METRICS: Metrics = {
  runs: 3,
  success: 3,
  failure: 0,
  infra_failure: 0,
  aborted: 0,
  skipped: 0,
  running: 0,
  blocked: 0,
  unknown: 0,
  success_rate: 1,
  success_rate_without_infra: 1,
  duration_s_p50: 100,
  duration_s_p90: 180,
  duration_s_p95: 190,
  duration_s_max: 200,
  queue_s_p50: 10,
  queue_s_p90: 18,
  queue_s_p95: 19,
  queue_s_max: 20,
  percentiles: 'exact',
};
// 2026-W07: i3 (Monday 00:00:00) i4 i5 i6 i7 w2 w3 w4 w5 w6 = 2 success (i3 w2) + 3 failure (i4 w3 w4)
// + 2 aborted (i5 w6) + 2 skipped (i6 w5) + 1 running (i7); rate 2/5. Durations [90 400], rank p*1:
// p50 245; p90 90+.9*310 = 369; p95 90+.95*310 = 384.5; max 400. Queue [0 1 4 5 6 8 30 40], rank p*7:
// p50 3.5 → 5+.5*1 = 5.5; p90 6.3 → 30+.3*10 = 33; p95 6.65 → 30+.65*10 = 36.5; max 40.
const W07_METRICS: Metrics = {
  runs: 10,
  success: 2,
  failure: 3,
  infra_failure: 0,
  aborted: 2,
  skipped: 2,
  running: 1,
  blocked: 0,
  unknown: 0,
  success_rate: 0.4,
  success_rate_without_infra: 0.4,
  duration_s_p50: 245,
  duration_s_p90: 369,
  duration_s_p95: 384.5,
  duration_s_max: 400,
  queue_s_p50: 5.5,
  queue_s_p90: 33,
  queue_s_p95: 36.5,
  queue_s_max: 40,
  percentiles: 'exact',
};
// Branch feature/x: i2 (success, 200 s, queue 20) and w3 (failure, queue 6): rate 1/2; every duration
// figure 200; queue [6 20], rank p*1: p50 13; p90 6+.9*14 = 18.6; p95 6+.95*14 = 19.3; max 20.
const FEATURE_X_METRICS: Metrics = {
  runs: 2,
  success: 1,
  failure: 1,
  infra_failure: 0,
  aborted: 0,
  skipped: 0,
  running: 0,
  blocked: 0,
  unknown: 0,
  success_rate: 0.5,
  success_rate_without_infra: 0.5,
  duration_s_p50: 200,
  duration_s_p90: 200,
  duration_s_p95: 200,
  duration_s_max: 200,
  queue_s_p50: 13,
  queue_s_p90: 18.6,
  queue_s_p95: 19.3,
  queue_s_max: 20,
  percentiles: 'exact',
};
const EMPTY_METRICS: Metrics = {
  runs: 0,
  success: 0,
  failure: 0,
  infra_failure: 0,
  aborted: 0,
  skipped: 0,
  running: 0,
  blocked: 0,
  unknown: 0,
  success_rate: null,
  success_rate_without_infra: null,
  duration_s_p50: null,
  duration_s_p90: null,
  duration_s_p95: null,
  duration_s_max: null,
  queue_s_p50: null,
  queue_s_p90: null,
  queue_s_p95: null,
  queue_s_max: null,
  percentiles: 'exact',
};

/** Engines may differ in the last bit of a float; the hand-computed figures are exact to 1e-9. */
/** The queue's p90 and max come with the queue group; these figures check all four. */
const reportWithQueue = (store: Store, query: ReportQuery) => report(store, { ...query, metrics: ['queue'] });

function assertRows(actual: ReportRow[], expected: ReportRow[]): void {
  const rounded = (rows: ReportRow[]) =>
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v]),
      ),
    );
  assert.deepEqual(rounded(actual), rounded(expected));
}

/** Loads everything except i5 and i6, which the first test adds to see they change no rate or duration. */
async function load(store: Store): Promise<number> {
  const bitrise = await addConnection(store, {
    name: 'bitrise-main',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9/v0.1',
    org: null,
    token: 'token-bitrise',
  });
  const buildkite = await addConnection(store, {
    name: 'buildkite-acme',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'acme',
    token: 'token-buildkite',
  });
  const withoutSkipAndAutoAbort = IOS_RUNS.filter((r) => r.key !== 'i5' && r.key !== 'i6');
  await writeBatch(store, bitrise.id, {
    projects: [IOS],
    runs: withoutSkipAndAutoAbort.map((r) => run(IOS.key, r)),
    jobs: [],
    raw: [],
  });
  await writeBatch(store, buildkite.id, {
    projects: [WEB],
    runs: WEB_RUNS.map((r) => run(WEB.key, r)),
    jobs: [],
    raw: [],
  });
  return bitrise.id;
}

async function addSkipAndAutoAbort(store: Store, connectionId: number): Promise<void> {
  const extra = IOS_RUNS.filter((r) => r.key === 'i5' || r.key === 'i6').map((r) => run(IOS.key, r));
  await writeBatch(store, connectionId, { runs: extra, jobs: [], raw: [] });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`report on ${dialect}`, async (t) => {
    const store = await freshStore(t, dialect);
    if (!store) return;
    const bitriseId = await load(store);
    const it = (name: string, body: () => Promise<void>) => t.test(name, body);

    await it('a skipped run and an auto-abort change no success rate and no duration percentile', async () => {
      const before = await reportWithQueue(store, { filter: { project: ['app-ios'] }, by: [] });
      await addSkipAndAutoAbort(store, bitriseId);
      const after = await reportWithQueue(store, { filter: { project: ['app-ios'] }, by: [] });
      const pick = (row: ReportRow | undefined) => ({
        success_rate: row?.success_rate,
        duration_s_p50: row?.duration_s_p50,
        duration_s_p90: row?.duration_s_p90,
        duration_s_p95: row?.duration_s_p95,
        duration_s_max: row?.duration_s_max,
      });
      assert.deepEqual(pick(after[0]), pick(before[0]));
      assert.equal(after[0]?.runs, (before[0]?.runs ?? 0) + 2);
      assert.equal(after[0]?.aborted, (before[0]?.aborted ?? 0) + 1);
      assert.equal(after[0]?.skipped, (before[0]?.skipped ?? 0) + 1);
    });

    await it('per project, with the connection of each', async () => {
      assertRows(await reportWithQueue(store, { filter: {}, by: ['project'] }), [
        { project: 'iOS App', connection: 'bitrise-main', ...IOS_METRICS },
        { project: 'web', connection: 'buildkite-acme', ...WEB_METRICS },
      ]);
    });

    await it('total over everything', async () => {
      assertRows(await reportWithQueue(store, { filter: {}, by: [] }), [TOTAL_METRICS]);
    });

    await it('per ISO week in UTC, across the year boundary and at Sunday/Monday midnight', async () => {
      assertRows(await reportWithQueue(store, { filter: {}, by: ['week'] }), [
        { week: '2026-W01', ...W01_METRICS },
        { week: '2026-W06', ...W06_METRICS },
        { week: '2026-W07', ...W07_METRICS },
      ]);
    });

    await it('--since is inclusive and --until exclusive, on triggered_at', async () => {
      assertRows(await reportWithQueue(store, { filter: { since: '2026-02-09T00:00:00.000Z' }, by: [] }), [
        W07_METRICS,
      ]);
      assertRows(
        await reportWithQueue(store, {
          filter: { since: '2026-02-02T00:00:00.000Z', until: '2026-02-09T00:00:00.000Z' },
          by: [],
        }),
        [W06_METRICS],
      );
    });

    await it('filters by connection, project (name or id), branch and workflow', async () => {
      assertRows(await reportWithQueue(store, { filter: { connection: ['bitrise-main'] }, by: [] }), [
        IOS_METRICS,
      ]);
      assertRows(await reportWithQueue(store, { filter: { project: ['web'] }, by: [] }), [WEB_METRICS]);
      assertRows(await reportWithQueue(store, { filter: { project: ['app-ios'] }, by: [] }), [IOS_METRICS]);
      assertRows(await reportWithQueue(store, { filter: { branch: ['feature/x'] }, by: [] }), [
        FEATURE_X_METRICS,
      ]);
      const deploy = await reportWithQueue(store, { filter: { workflow: ['deploy'] }, by: ['workflow'] });
      assertRows(deploy, [
        {
          workflow: 'deploy',
          runs: 1,
          success: 1,
          failure: 0,
          infra_failure: 0,
          aborted: 0,
          skipped: 0,
          running: 0,
          blocked: 0,
          unknown: 0,
          success_rate: 1,
          success_rate_without_infra: 1,
          percentiles: 'exact',
          duration_s_p50: 400,
          duration_s_p90: 400,
          duration_s_p95: 400,
          duration_s_max: 400,
          queue_s_p50: 0,
          queue_s_p90: 0,
          queue_s_p95: 0,
          queue_s_max: 0,
        },
      ]);
    });

    await it('groups by several dimensions in the order given', async () => {
      const rows = await reportWithQueue(store, {
        filter: { branch: ['feature/x'] },
        by: ['branch', 'project'],
      });
      assert.deepEqual(
        rows.map((r) => [r.branch, r.project, r.connection, r.runs, r.success_rate]),
        [
          ['feature/x', 'iOS App', 'bitrise-main', 1, 1],
          ['feature/x', 'web', 'buildkite-acme', 1, 0],
        ],
      );
    });

    await it('an empty selection: no groups, and a total of zeros with null rates and percentiles', async () => {
      const filter = { since: '2030-01-01T00:00:00.000Z' };
      assert.deepEqual(await reportWithQueue(store, { filter, by: ['project'] }), []);
      assertRows(await reportWithQueue(store, { filter, by: [] }), [EMPTY_METRICS]);
    });
  });
}
