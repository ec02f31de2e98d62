// Scale-out benchmark (`npm run bench:scale`): first syncs of several Buildkite organizations (each with
// its own token, so its own per-user window) and Bitrise connections, taken from the job queue by 1, 2 and
// 4 workers (each with its own store pool and queue client, as separate processes have) on PostgreSQL,
// against a sandbox answering every request after a realistic latency. The sandbox's rate-limit windows are
// Buildkite's ratios (organization 4 × per-user) on a shorter window so a run stays short. Prints, per
// worker count: time, runs and requests a second, requests against the fewest the APIs allow, the 429s
// served (none expected) and the waits per window, which say what bound the throughput. No thresholds.
//   BUILDLENS_TEST_PG=postgres://… npm run bench:scale -- [--workers 1,2,4] [--orgs 4] [--latency 150]
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { openJobQueue } from '../src/queue/queue.js';
import { startWorker } from '../src/queue/worker.js';
import { startSandbox } from '../src/sandbox/index.js';
import { addConnection } from '../src/store/connections.js';
import { setFetchSteps } from '../src/store/step-settings.js';
import { openStore, type Store } from '../src/store/store.js';
import { adminQuery } from '../test/store/pg-admin.js';
import { bitriseMinimum } from './minimum.js';

const DAY_MS = 86_400_000;
const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2,4' },
    orgs: { type: 'string', default: '4' },
    'per-org': { type: 'string', default: '2' },
    bitrise: { type: 'string', default: '2' },
    latency: { type: 'string', default: '150' },
    lookback: { type: 'string', default: '7' },
    'window-s': { type: 'string', default: '10' },
    'user-limit': { type: 'string', default: '10' },
  },
});
const PG_URL = process.env.BUILDLENS_BENCH_PG ?? process.env.BUILDLENS_TEST_PG;
if (!PG_URL) {
  console.error(
    'set BUILDLENS_BENCH_PG (or BUILDLENS_TEST_PG) to a PostgreSQL URL it may create databases on',
  );
  process.exit(2);
}
const workerCounts = values.workers.split(',').map(Number);
const orgCount = Number(values.orgs);
const perOrg = Number(values['per-org']);
const bitriseCount = Number(values.bitrise);
const latencyMs = Number(values.latency);
const lookbackDays = Number(values.lookback);
const windowMs = Number(values['window-s']) * 1000;
const userLimit = Number(values['user-limit']);
const orgLimit = 4 * userLimit;
process.env.BUILDLENS_KEY ??= randomBytes(32).toString('hex');

const admin = (statement: string) => adminQuery(PG_URL as string, statement);

async function run(workers: number) {
  const sandbox = await startSandbox({
    size: 'medium',
    seed: 1,
    clock: 'real',
    faults: `slow:ms=${latencyMs}`,
    buildkite: {
      organizations: orgCount,
      rateLimitPerOrg: orgLimit,
      rateLimitPerUser: userLimit,
      rateLimitWindowMs: windowMs,
    },
  });
  const database = `buildlens_bench_scale_${process.pid}_${workers}`;
  await admin(`create database ${database}`);
  const url = new URL(PG_URL as string);
  url.pathname = `/${database}`;
  const stores: Store[] = [];
  try {
    const store = await openStore(url.toString());
    stores.push(store);
    const windowStart = sandbox.clock.now() - lookbackDays * DAY_MS;
    const orgs = sandbox.buildkite.world.model.orgs;
    let minimum = 0;
    for (const org of orgs)
      for (let i = 1; i <= perOrg; i++) {
        await addConnection(store, {
          name: `${org.slug}-${i}`,
          provider: 'buildkite',
          baseUrl: sandbox.buildkite.url,
          org: org.slug,
          token: sandbox.buildkite.orgTokens[org.slug] as string,
        });
        // The organization, its pipelines page, its builds pages at 100 a page.
        const builds = sandbox.buildkite.world.model.count(
          org.pipelines,
          windowStart,
          sandbox.clock.now() + 1,
        );
        minimum += 1 + Math.ceil(org.pipelines.length / 100) + Math.max(1, Math.ceil(builds / 100));
      }
    for (let i = 1; i <= bitriseCount; i++) {
      await addConnection(store, {
        name: `bitrise-${i}`,
        provider: 'bitrise',
        baseUrl: sandbox.bitrise.url,
        org: null,
        token: sandbox.bitrise.token,
      });
      await setFetchSteps(store, `bitrise-${i}`, false);
      minimum += bitriseMinimum(sandbox.bitrise.world, windowStart, { steps: false }).total;
    }
    const connections = orgs.length * perOrg + bitriseCount;
    const waits = new Map<string, number>();
    const log = (line: string) => {
      const limit = /^(organization|per-user|Bitrise token) rate limit/.exec(line)?.[1];
      if (limit) waits.set(limit, (waits.get(limit) ?? 0) + 1);
    };
    const started = performance.now();
    const running = [];
    for (let i = 0; i < workers; i++) {
      const own = i === 0 ? store : await openStore(url.toString());
      if (i > 0) stores.push(own);
      const queue = await openJobQueue(url.toString(), own, { log, maintain: i === 0 });
      running.push(
        await startWorker(own, queue, {
          syncEveryMs: 3_600_000,
          concurrency: 2,
          lookbackDays,
          log,
          tickMs: 1000,
        }),
      );
    }
    for (;;) {
      const done = await store.db
        .selectFrom('sync_state')
        .select(['last_summary'])
        .where('last_summary', 'is not', null)
        .execute();
      if (done.length >= connections) {
        const seconds = (performance.now() - started) / 1000;
        let requests = 0;
        let runs = 0;
        for (const { last_summary } of done) {
          const summary = JSON.parse(last_summary as string) as {
            requests: number;
            runsNew?: number;
            runs_new?: number;
          };
          requests += summary.requests;
          runs += summary.runsNew ?? summary.runs_new ?? 0;
        }
        await Promise.all(running.map((w) => w.stop()));
        return { seconds, requests, runs, minimum, served: sandbox.buildkite.served(), waits };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await sandbox.close();
    await admin(`drop database if exists ${database} with (force)`);
  }
}

const cpu = cpus();
console.log(
  `machine: ${cpu.length} cores, Node ${process.version}; ${orgCount} Buildkite organizations × ${perOrg} connections (a token each organization) + ${bitriseCount} Bitrise connections (one token; no steps), sandbox medium, lookback ${lookbackDays} days, ${latencyMs} ms a request; windows of ${windowMs / 1000} s: ${orgLimit} per organization, ${userLimit} per user`,
);
console.log('workers  seconds  runs/s  requests/s  requests (minimum)  429s  waits for a window (bound)');
for (const workers of workerCounts) {
  const r = await run(workers);
  const waitText = [...r.waits].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const bound =
    r.waits.size === 0
      ? 'latency and concurrency'
      : [...r.waits].sort((a, b) => b[1] - a[1])[0]?.[0] === 'per-user'
        ? 'per-user windows (one token each organization)'
        : 'organization windows';
  console.log(
    `${String(workers).padStart(7)}  ${r.seconds.toFixed(1).padStart(7)}  ${(r.runs / r.seconds).toFixed(0).padStart(6)}  ${(r.requests / r.seconds).toFixed(1).padStart(10)}  ${String(r.requests).padStart(8)} (${r.minimum})  ${String(r.served[429] ?? 0).padStart(12)}  ${waitText} (${bound})`,
  );
}
