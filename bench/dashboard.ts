// Dashboard benchmark (`npm run bench:dashboard`): the API under 20 concurrent dashboards, on SQLite and
// on PostgreSQL, over a store synced from the sandbox (medium by default); then time-to-data of the
// overview and project pages in real Chromium (SQLite). Each simulated dashboard asks the overview's own
// questions the way the page does (meta and projects, then its three reports at once, over the last 30
// days ending at the next full hour) and, like a browser, sends back each answer's ETag in
// If-None-Match on every later load. The single-client baseline is measured in the same run, before the
// concurrent one. The server is `buildlens serve` in a process of its own, as deployed (SQLite with its
// reader threads), so the clients' work is not counted against it. Prints figures and the machine's load
// average; there are no thresholds (targets: p95 under 150 ms, over 200 req/s).
//   npm run bench:dashboard -- [--size small|medium|large] [--loads N] [--rounds N] [--engines sqlite,postgres]
// PostgreSQL: BUILDLENS_TEST_PG names a server; the benchmark makes a scratch database there and drops it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Sandbox, startSandbox } from '../src/sandbox/index.js';
import { SANDBOX_SIZES, type SandboxSize } from '../src/sandbox/provider.js';
import { addConnection } from '../src/store/connections.js';
import { openStore, type Store } from '../src/store/store.js';
import { syncConnection } from '../src/sync/sync.js';
import { adminQuery } from '../test/store/pg-admin.js';
import { CHROMIUM, chromiumAvailable, launchBrowser } from '../test/web/browser.js';
import { query } from '../web/src/api.js';

const CLIENTS = 20;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'medium' },
    loads: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '10' },
    engines: { type: 'string', default: 'sqlite,postgres' },
  },
});
const size = values.size as SandboxSize;
const loads = Number(values.loads);
const rounds = Number(values.rounds);
const engines = values.engines.split(',');
if (
  !SANDBOX_SIZES.includes(size) ||
  !(loads > 0) ||
  !(rounds > 0) ||
  !engines.every((e) => e === 'sqlite' || e === 'postgres')
) {
  console.error(
    'usage: npm run bench:dashboard -- [--size small|medium|large] [--loads N] [--rounds N] [--engines sqlite,postgres]',
  );
  process.exit(2);
}

const quantile = (sorted: number[], q: number) => {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (position - low);
};
const ms = (value: number) => `${value.toFixed(1)} ms`;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${ms(quantile(sorted, 0.5))}, p95 ${ms(quantile(sorted, 0.95))}, max ${ms(sorted.at(-1) ?? 0)} (n=${sorted.length})`;
};

/** The overview page's requests, as web/src/pages/overview.ts and web/src/main.ts make them. */
function overviewLoad(): string[][] {
  const until = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  const period = { since: new Date(until - 30 * DAY_MS).toISOString(), until: new Date(until).toISOString() };
  return [
    ['/api/meta', '/api/projects'],
    [
      `/api/report${query({ ...period, by: ['project'], compare: 'previous' })}`,
      `/api/report${query({ ...period, by: ['project', 'day'] })}`,
      `/api/report${query({ ...period, by: ['day'] })}`,
    ],
  ];
}

interface Figures {
  latencies: number[];
  notModified: number;
  wallS: number;
}

/** `clients` dashboards, each loading the overview `rounds` times, each keeping its ETags like a browser. */
async function dashboards(base: string, clients: number, rounds: number): Promise<Figures> {
  const latencies: number[] = [];
  let notModified = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const etags = new Map<string, string>();
      const ask = async (path: string) => {
        const began = performance.now();
        const etag = etags.get(path);
        const response = await fetch(`${base}${path}`, { headers: etag ? { 'if-none-match': etag } : {} });
        await response.arrayBuffer();
        latencies.push(performance.now() - began);
        if (response.status === 304) notModified++;
        else if (response.ok) etags.set(path, response.headers.get('etag') ?? '');
        else throw new Error(`${path} answered ${response.status}`);
      };
      for (let round = 0; round < rounds; round++)
        for (const step of overviewLoad()) await Promise.all(step.map(ask));
    }),
  );
  return { latencies, notModified, wallS: (performance.now() - start) / 1000 };
}

const line = (label: string, f: Figures) =>
  `${label}: ${summary(f.latencies)}, ${(f.latencies.length / f.wallS).toFixed(0)} req/s, ${f.notModified} of ${f.latencies.length} answered 304`;

async function syncInto(store: Store, sandbox: Sandbox): Promise<string> {
  const start = performance.now();
  for (const provider of ['bitrise', 'buildkite'] as const) {
    await addConnection(store, {
      name: provider,
      provider,
      baseUrl: sandbox[provider].url,
      org: provider === 'buildkite' ? sandbox.buildkite.org : null,
      token: sandbox[provider].token,
    });
    await syncConnection(store, provider, { now: () => sandbox.clock.now() });
  }
  const runs = await store.db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return `${Number(runs.n)} runs, synced in ${((performance.now() - start) / 1000).toFixed(1)} s`;
}

const MAIN = resolve(import.meta.dirname, '../src/cli/main.ts');

/** `buildlens serve` on a free loopback port, from the sources; stopped by the returned function. */
async function serve(location: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--db', location, 'serve', '--port', '0'], {
    env: { ...process.env, BUILDLENS_SERVER_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((done) => child.on('exit', done));
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url && child.exitCode === null && Date.now() < deadline) {
    url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
    if (!url) await new Promise((ready) => setTimeout(ready, 100));
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`buildlens serve did not start:\n${output}`);
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

const load = () => `load average ${loadavg()[0]?.toFixed(1)} on this machine`;

async function measure(engine: string, server: { url: string }): Promise<void> {
  // A browser's first load: every answer made (and cached) for the first time.
  const first = await dashboards(server.url, 1, 1);
  console.log(line(`  ${engine}, first load (every answer made), 1 client`, first));
  const alone = await dashboards(server.url, 1, rounds);
  console.log(line(`  ${engine}, 1 client, ${rounds} overview loads`, alone));
  const crowd = await dashboards(server.url, CLIENTS, rounds);
  console.log(line(`  ${engine}, ${CLIENTS} concurrent clients, ${rounds} overview loads each`, crowd));
  console.log(`  (${load()})`);
}

const dir = mkdtempSync(join(tmpdir(), 'buildlens-bench-dashboard-'));
process.env.XDG_DATA_HOME = join(dir, 'data');
// A rate-limit window never reopens on a manual clock: the per-user limit is off, as on older accounts.
const sandbox = await startSandbox({ size, seed: 1, clock: 'manual', buildkite: { rateLimitPerUser: null } });
try {
  console.log(`sandbox size ${size}; each load: 2 requests, then 3 at once (the overview page)`);
  for (const engine of engines) {
    let location = join(dir, 'bench.sqlite');
    let dropDatabase = async () => {};
    if (engine === 'postgres') {
      const base = process.env.BUILDLENS_TEST_PG;
      if (!base) {
        console.log(
          'postgres: skipped, set BUILDLENS_TEST_PG to a server the benchmark may create a database on',
        );
        continue;
      }
      const name = `buildlens_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
      await adminQuery(base, `create database ${name}`);
      const url = new URL(base);
      url.pathname = `/${name}`;
      location = url.toString();
      dropDatabase = () => adminQuery(base, `drop database if exists ${name} with (force)`);
    }
    try {
      const store = await openStore(location);
      try {
        console.log(`${engine}: ${await syncInto(store, sandbox)}`);
      } finally {
        await store.close();
      }
      const server = await serve(location);
      try {
        await measure(engine, server);
        if (engine === 'sqlite') await browserLoads(server);
      } finally {
        await server.stop();
      }
    } finally {
      await dropDatabase();
    }
  }
} finally {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}

async function browserLoads(server: { url: string }): Promise<void> {
  if (!chromiumAvailable()) {
    console.log(`  dashboard in Chromium: skipped, no Chromium at ${CHROMIUM} (set BUILDLENS_CHROMIUM)`);
    return;
  }
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const timeToData = async (path: string, ready: string) => {
      const samples: number[] = [];
      for (let i = 0; i < loads + 1; i++) {
        const start = performance.now();
        await page.goto(`${server.url}${path}`);
        await page.waitForSelector(ready, { state: 'attached', timeout: 60_000 });
        // The first load warms Chromium's caches: not counted.
        if (i > 0) samples.push(performance.now() - start);
      }
      return summary(samples);
    };
    // The dashboard `serve` gives: dist/web, from the last `npm run build`.
    console.log(
      `  dashboard overview in Chromium, navigation to table and charts drawn: ${await timeToData('/', '.chart svg path')}`,
    );
    await page.goto(`${server.url}/`);
    const link = await page.getAttribute('tbody tr[data-project] th a', 'href', { timeout: 60_000 });
    console.log(
      `  dashboard project page in Chromium, navigation to charts drawn: ${await timeToData(link ?? '/', '.grid.three .chart svg path')}`,
    );
  } finally {
    await browser.close();
  }
}
