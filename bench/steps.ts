// Steps benchmark (`npm run bench:steps`, not part of npm test). Prints figures, no thresholds.
// 1. `report --by step` for one project over 90 days on SQLite: the large Bitrise world's runs, jobs and
//    steps (each build's log summary as the sandbox serves it, read by the connector's reader), written
//    straight into a store through writeBatch, as `bench:report` loads runs (no HTTP).
// 2. A first Bitrise sync from the sandbox over HTTP with the step fetch on: its requests against the
//    minimum, which is the runs' list pages and pipeline shows plus one log summary per finished build.
// The report is timed twice on the same store: exact (every selected step) and from the level rollups.
//   npm run bench:steps -- [--days N] [--size small|medium|large] [--lookback DAYS] [--repeat N] [--db FILE]
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeBuildSteps } from '../src/connectors/bitrise/steps.js';
import type { ClassifiedRun, Job, Step } from '../src/domain/model.js';
import { levelReport } from '../src/metrics/level-report.js';
import { logSummaryWire } from '../src/sandbox/bitrise/steps.js';
import { DEFAULT_SWITCHES } from '../src/sandbox/bitrise/switches.js';
import { BitriseWorld } from '../src/sandbox/bitrise/world.js';
import { createClock } from '../src/sandbox/clock.js';
import { startSandbox } from '../src/sandbox/index.js';
import { SANDBOX_SIZES, type SandboxSize } from '../src/sandbox/provider.js';
import { writeBatch } from '../src/store/batch.js';
import { addConnection } from '../src/store/connections.js';
import { rebuildRollups } from '../src/store/rollups.js';
import { openStore, type Store } from '../src/store/store.js';
import { syncConnection } from '../src/sync/sync.js';
import { bitriseMinimum } from './minimum.js';
import { storedRun, worldProjects } from './world-runs.js';

const USAGE =
  'usage: npm run bench:steps -- [--days N] [--size small|medium|large] [--lookback DAYS] [--repeat N] [--db FILE]';
const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '365' },
    size: { type: 'string', default: 'medium' },
    lookback: { type: 'string', default: '90' },
    repeat: { type: 'string', default: '5' },
    /** Keep the loaded store in this file, and reuse it when it exists (loading takes minutes). */
    db: { type: 'string' },
  },
});
const days = Number(values.days);
const size = values.size as SandboxSize;
const lookbackDays = Number(values.lookback);
const repeat = Number(values.repeat);
if (!(days > 0) || !SANDBOX_SIZES.includes(size) || !(lookbackDays > 0) || !(repeat > 0)) {
  console.error(USAGE);
  process.exit(2);
}

const ANCHOR_MS = Date.UTC(2026, 2, 1);
const DAY_MS = 86_400_000;
const BATCH = 2000;

const dir = mkdtempSync(join(tmpdir(), 'buildlens-bench-steps-'));
process.env.XDG_DATA_HOME = join(dir, 'data');
try {
  await stepReport();
  await syncRequests();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function stepReport(): Promise<void> {
  const file = values.db ?? join(dir, 'steps.sqlite');
  const reuse = values.db !== undefined && existsSync(file);
  const store = await openStore(file);
  try {
    const world = new BitriseWorld(
      { seed: 1, size: 'large', anchorMs: ANCHOR_MS, clock: createClock(ANCHOR_MS, 'manual') },
      DEFAULT_SWITCHES,
    );
    let id: number;
    if (!reuse) {
      ({ id } = await addConnection(store, {
        name: 'bench',
        provider: 'bitrise',
        baseUrl: 'http://127.0.0.1:9/v0.1',
        org: null,
        token: 'bench',
      }));
      const start = performance.now();
      const loaded = await load(store, id, world);
      console.log(
        `data: ${loaded.runs} runs, ${loaded.jobs} jobs, ${loaded.steps} steps (the large Bitrise world, seed 1, last ${days} days of its history), loaded in ${((performance.now() - start) / 1000).toFixed(0)} s; SQLite file ${(statSync(file).size / 1e6).toFixed(0)} MB`,
      );
    } else {
      ({ id } = await store.db
        .selectFrom('connections')
        .select('id')
        .where('name', '=', 'bench')
        .executeTakeFirstOrThrow());
      console.log(`data: reused ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB)`);
    }
    // The grains the load listed (or, in a store loaded before level rollups, every grain), as a sync's
    // checkpoint builds them.
    const building = performance.now();
    const parts = await rebuildRollups(store, id);
    console.log(
      `rollups (runs and levels) of the listed grains built in ${((performance.now() - building) / 1000).toFixed(0)} s, ${parts.length} transactions, the longest ${(Math.max(0, ...parts) / 1000).toFixed(1)} s`,
    );
    // The app with the most runs: the heaviest single-project report.
    const busiest = await store.db
      .selectFrom('runs')
      .select(['project_key', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('project_key')
      .orderBy('n', 'desc')
      .executeTakeFirstOrThrow();
    const since = new Date(ANCHOR_MS - 90 * DAY_MS).toISOString();
    const filter = { connection: ['bench'], project: [busiest.project_key], since };
    const selected = await store.db
      .selectFrom('steps as s')
      .innerJoin('runs as r', (j) =>
        j.onRef('r.connection_id', '=', 's.connection_id').onRef('r.key', '=', 's.run_key'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('r.project_key', '=', busiest.project_key)
      .where('r.triggered_at', '>=', since)
      .executeTakeFirstOrThrow();
    // Before (every selected step read, exact percentiles) and after (level rollups, sketches), same store.
    for (const [label, exact] of [
      ['exact (--exact: every selected step)', true],
      ['from level rollups (default)', false],
    ] as const) {
      const report = await levelReport(store, filter, 'step', { exact });
      const ms: number[] = [];
      for (let i = 0; i < repeat; i++) {
        const t = performance.now();
        await levelReport(store, filter, 'step', { exact });
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
      console.log(
        `report --by step, one project (${busiest.project_key}, ${Number(selected.n)} steps in 90 days), SQLite, ${label}: median ${(ms[Math.floor(ms.length / 2)] ?? 0).toFixed(1)} ms, min ${(ms[0] ?? 0).toFixed(1)} ms over ${repeat} runs after a warm-up; ${report.rows.length} rows, percentiles ${report.rows[0]?.percentiles ?? '-'} (target < 200 ms)`,
      );
    }
  } finally {
    await store.close();
  }
}

/** The world's history as a sync stores it, with every finished build's steps from its log summary. */
async function load(store: Store, id: number, world: BitriseWorld) {
  const counts = { runs: 0, jobs: 0, steps: 0 };
  let runs: ClassifiedRun[] = [];
  let jobs: Job[] = [];
  let steps: Step[] = [];
  const projects = worldProjects(world);
  const flush = async () => {
    await writeBatch(store, id, { projects, runs, jobs, steps, raw: [] });
    counts.runs += runs.length;
    counts.jobs += jobs.length;
    counts.steps += steps.length;
    runs = [];
    jobs = [];
    steps = [];
  };
  const downToUs = (ANCHOR_MS - days * DAY_MS) * 1000;
  for (const app of world.catalog.apps) {
    for (const plan of world.appRuns(app, Number.POSITIVE_INFINITY, downToUs)) {
      const stored = storedRun(world, app.slug, plan);
      runs.push(stored.run);
      jobs.push(...stored.jobs);
      const { run } = stored;
      if (plan.kind === 'build') {
        const source = { key: run.key, projectKey: app.slug, runKey: run.key, jobKey: null };
        if (run.startedAt !== null)
          steps.push(...normalizeBuildSteps(source, logSummaryWire(world, plan.build)));
      } else {
        const builds = new Map(plan.pipeline.builds.map((b) => [b.slug, b]));
        for (const job of stored.jobs) {
          const build = builds.get(job.key);
          if (!build || job.startedAt === null) continue;
          const source = { key: job.key, projectKey: app.slug, runKey: run.key, jobKey: job.key };
          steps.push(...normalizeBuildSteps(source, logSummaryWire(world, build)));
        }
      }
      if (runs.length >= BATCH) await flush();
    }
  }
  if (runs.length > 0) await flush();
  return counts;
}

async function syncRequests(): Promise<void> {
  const sandbox = await startSandbox({ size, seed: 1, clock: 'manual' });
  const store = await openStore(join(dir, 'sync.sqlite'));
  try {
    await addConnection(store, {
      name: 'bitrise',
      provider: 'bitrise',
      baseUrl: sandbox.bitrise.url,
      org: null,
      token: sandbox.bitrise.token,
    });
    const nowMs = sandbox.clock.now();
    const summary = await syncConnection(store, 'bitrise', { now: () => nowMs, lookbackDays });
    const minimum = bitriseMinimum(sandbox.bitrise.world, nowMs - lookbackDays * DAY_MS);
    console.log(
      `Bitrise sync with steps (sandbox ${size}, seed 1, lookback ${lookbackDays} days): ${summary.runsNew} runs, ${summary.stepsNew} steps, ${summary.requests} requests; minimum ${minimum.total} (${minimum.detail}); requests / minimum ${(summary.requests / minimum.total).toFixed(3)} (target ≤ 1.05)`,
    );
  } finally {
    await store.close();
    await sandbox.close();
  }
}
