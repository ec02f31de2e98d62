// Report benchmark (`npm run bench:report`, not part of npm test): ~1,000,000 runs from the sandbox's large
// Bitrise world, normalized and classified as a sync would, written straight into the stores through
// writeBatch (no HTTP: the sandbox's own HTTP path is what `npm run bench` measures, and it is far slower
// for a million runs). The large world holds ~680k runs, so it is loaded into as many connections as the
// target needs (copies of the same history under other connection ids).
// Times two reports on SQLite and PostgreSQL, from the runs and from the rollups, beside DuckDB over the
// same rows; prints figures (and how far the rollups' percentiles are from the exact ones), no thresholds.
//   npm run bench:report -- [--runs N] [--pg URL] [--repeat N]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import type { ClassifiedRun, Job } from '../src/domain/model.js';
import { type ReportQuery, report } from '../src/metrics/report.js';
import { rollupsAnswer } from '../src/metrics/rollup-report.js';
import { BASE_METRICS, groupDimensions, type ReportRow } from '../src/metrics/vocabulary.js';
import { DEFAULT_SWITCHES } from '../src/sandbox/bitrise/switches.js';
import { BitriseWorld } from '../src/sandbox/bitrise/world.js';
import { createClock } from '../src/sandbox/clock.js';
import { writeBatch } from '../src/store/batch.js';
import { addConnection } from '../src/store/connections.js';
import { openStore, type Store } from '../src/store/store.js';
import { isoToMicros } from '../src/store/time.js';
import { storedRun, worldProjects } from './world-runs.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    pg: { type: 'string', default: process.env.BUILDLENS_TEST_PG },
    repeat: { type: 'string', default: '5' },
  },
});
const target = Number(values.runs);
const repeat = Number(values.repeat);
if (!(target > 0) || !(repeat > 0)) {
  console.error('usage: npm run bench:report -- [--runs N] [--pg URL] [--repeat N]');
  process.exit(2);
}

const ANCHOR_MS = Date.UTC(2026, 2, 1);
const BATCH = 5000;
const DAY_MS = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'buildlens-bench-report-'));
process.env.XDG_DATA_HOME = join(dir, 'data');
const sqlite = await openStore(join(dir, 'bench.sqlite'));
const pgSchema = `bench_report_${process.pid}`;
let postgres: Store | null = null;
let admin: pg.Pool | null = null;
if (values.pg) {
  admin = new pg.Pool({ connectionString: values.pg, max: 1 });
  await admin.query(`create schema ${pgSchema}`);
  const url = new URL(values.pg);
  url.searchParams.set('options', `-c search_path=${pgSchema}`);
  postgres = await openStore(url.toString());
}
const duck = await (await DuckDBInstance.create(':memory:')).connect();
await duck.run(`create table runs (connection_id integer, project_key varchar, workflow varchar,
  triggered_us bigint, classification varchar, duration_s double, queue_s double)`);
const stores = [sqlite, ...(postgres ? [postgres] : [])];

try {
  const world = new BitriseWorld(
    { seed: 1, size: 'large', anchorMs: ANCHOR_MS, clock: createClock(ANCHOR_MS, 'manual') },
    DEFAULT_SWITCHES,
  );
  const loadStart = performance.now();
  let loaded = 0;
  let copy = 0;
  while (loaded < target) {
    copy += 1;
    const ids = await Promise.all(stores.map((s) => connectionFor(s, copy)));
    loaded += await loadCopy(world, ids, target - loaded);
  }
  const loadS = (performance.now() - loadStart) / 1000;
  console.log(
    `data: ${loaded} runs (${copy} copies of the large Bitrise world, seed 1), loaded in ${loadS.toFixed(0)} s`,
  );
  console.log(`SQLite file: ${(statSync(join(dir, 'bench.sqlite')).size / 1e6).toFixed(0)} MB`);
  // A sync's checkpoint rebuilds the rollups of the grains its batches touched; here, all of them.
  for (const store of stores) {
    const start = performance.now();
    for (let c = 1; c <= copy; c++) {
      const id = await connectionFor(store, c, false);
      await writeBatch(store, id, { runs: [], jobs: [], raw: [] }, { bench: true });
    }
    const grains = await store.db
      .selectFrom('run_rollups')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    console.log(
      `rollups on ${store.dialect}: ${Number(grains?.n)} day-grains built in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );
  }

  const app = world.catalog.apps[0];
  if (!app) throw new Error('no app in the world');
  const since = new Date(ANCHOR_MS - 90 * DAY_MS).toISOString();
  const full: ReportQuery = { filter: {}, by: ['project', 'workflow', 'week'] };
  const filtered: ReportQuery = {
    filter: { project: [app.slug], since, connection: ['bench-1'] },
    by: ['workflow', 'week'],
  };

  const rows: string[][] = [
    ['query', 'engine', 'source', 'median ms', 'min ms', 'groups', 'worst pct error'],
  ];
  for (const [name, query, duckWhere, duckGroup] of [
    ['full range, project×workflow×week', full, '', 'connection_id, project_key, workflow, week'],
    [
      'one project, last 90 days, workflow×week',
      filtered,
      `where connection_id = 1 and project_key = '${app.slug}' and triggered_us >= ${isoToMicros(since)}`,
      'workflow, week',
    ],
  ] as const) {
    for (const store of stores) {
      const exact = await report(store, { ...query, exact: true });
      const timing = await time(() => report(store, { ...query, exact: true }));
      rows.push([name, store.dialect, 'runs', ...timing, '0']);
      const fromRollups = await rollupsAnswer(
        store,
        query.filter,
        groupDimensions(query.by),
        new Set(BASE_METRICS),
      );
      const fast = await report(store, query);
      rows.push([
        name,
        store.dialect,
        fromRollups ? 'rollups' : 'runs',
        ...(await time(() => report(store, query))),
        disagreement(fast, exact),
      ]);
    }
    const timing = await time(() => duckReport(duck, duckWhere, duckGroup));
    rows.push([name, 'duckdb', 'runs', ...timing, '0']);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
} finally {
  await sqlite.close();
  await postgres?.close();
  if (admin) {
    await admin.query(`drop schema ${pgSchema} cascade`);
    await admin.end();
  }
  duck.closeSync();
  rmSync(dir, { recursive: true, force: true });
}

async function connectionFor(store: Store, copy: number, create = true): Promise<number> {
  if (!create) {
    const found = await store.db
      .selectFrom('connections')
      .select('id')
      .where('name', '=', `bench-${copy}`)
      .executeTakeFirstOrThrow();
    return found.id;
  }
  const c = await addConnection(store, {
    name: `bench-${copy}`,
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9/v0.1',
    org: null,
    token: 'bench',
  });
  return c.id;
}

/** One copy of the world's history, as the sync would store it; returns the runs written. */
async function loadCopy(world: BitriseWorld, ids: number[], limit: number): Promise<number> {
  let written = 0;
  let runs: ClassifiedRun[] = [];
  let jobs: Job[] = [];
  const projects = worldProjects(world);
  const flush = async () => {
    await Promise.all(
      stores.map((s, i) => writeBatch(s, ids[i] as number, { projects, runs, jobs, raw: [] })),
    );
    const appender = await duck.createAppender('runs');
    for (const r of runs) appendRun(appender, ids[0] as number, r);
    appender.closeSync();
    written += runs.length;
    runs = [];
    jobs = [];
  };
  for (const app of world.catalog.apps) {
    for (const plan of world.appRuns(app)) {
      if (written + runs.length >= limit) break;
      const stored = storedRun(world, app.slug, plan);
      runs.push(stored.run);
      jobs.push(...stored.jobs);
      if (runs.length >= BATCH) await flush();
    }
  }
  if (runs.length > 0) await flush();
  return written;
}

function appendRun(appender: DuckDBAppender, connectionId: number, run: ClassifiedRun): void {
  appender.appendInteger(connectionId);
  appender.appendVarchar(run.projectKey);
  appender.appendVarchar(run.workflow);
  appender.appendBigInt(BigInt(isoToMicros(run.triggeredAt)));
  if (run.classification === null) appender.appendNull();
  else appender.appendVarchar(run.classification);
  if (run.durationS === null) appender.appendNull();
  else appender.appendDouble(run.durationS);
  if (run.queueS === null) appender.appendNull();
  else appender.appendDouble(run.queueS);
  appender.endRow();
}

/** The same aggregates as the report's base metrics, in DuckDB's SQL. */
async function duckReport(connection: DuckDBConnection, where: string, groupBy: string): Promise<number> {
  const success = `case when classification = 'success' then duration_s end`;
  const reader = await connection.runAndReadAll(`
    select ${groupBy}, count(*),
      sum(case when classification = 'success' then 1 else 0 end),
      sum(case when classification in ('failure', 'infra_failure') then 1 else 0 end),
      sum(case when classification in ('aborted_manual', 'aborted_auto') then 1 else 0 end),
      sum(case when classification = 'skipped' then 1 else 0 end),
      sum(case when classification is null then 1 else 0 end),
      quantile_cont(${success}, 0.5), quantile_cont(${success}, 0.9), quantile_cont(${success}, 0.95),
      max(${success}), quantile_cont(queue_s, 0.5), quantile_cont(queue_s, 0.95)
    from (select *, strftime(make_timestamp(triggered_us), '%G-W%V') as week from runs ${where})
    group by ${groupBy}`);
  return reader.getRows().length;
}

/**
 * How far the rollups' report is from the exact one: "counts differ" if any count does, else the largest
 * relative error of a percentile, as a percentage.
 */
function disagreement(fast: ReportRow[], exact: ReportRow[]): string {
  if (fast.length !== exact.length) return 'groups differ';
  let worst = 0;
  for (const [i, want] of exact.entries()) {
    const got = fast[i] as ReportRow;
    for (const f of [
      'runs',
      'success',
      'failure',
      'aborted',
      'skipped',
      'running',
      'success_rate',
    ] as const) {
      if (got[f] !== want[f]) return 'counts differ';
    }
    for (const f of [
      'duration_s_p50',
      'duration_s_p90',
      'duration_s_p95',
      'queue_s_p50',
      'queue_s_p95',
    ] as const) {
      const [g, w] = [got[f], want[f]];
      if (g === null || w === null) {
        if (g !== w) return 'nulls differ';
      } else if (w !== 0) worst = Math.max(worst, Math.abs(g - w) / w);
    }
  }
  return `${(worst * 100).toFixed(3)}%`;
}

/** Median and minimum wall time of `repeat` runs after one warm-up, and the number of groups. */
async function time(work: () => Promise<unknown[] | number>): Promise<[string, string, string]> {
  const first = await work();
  const groups = typeof first === 'number' ? first : first.length;
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await work();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)] ?? 0;
  return [median.toFixed(1), (ms[0] ?? 0).toFixed(1), String(groups)];
}
