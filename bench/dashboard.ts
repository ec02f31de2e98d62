// Dashboard benchmark (`npm run bench:dashboard`): time-to-data of the overview and project pages in
// real Chromium, and /api/report latency under 20 concurrent clients, over a store synced from the
// sandbox (medium by default). Prints figures with the data size; there are no thresholds.
//   npm run bench:dashboard -- [--size small|medium|large] [--loads N] [--requests N]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../src/sandbox/index.js';
import { SANDBOX_SIZES, type SandboxSize } from '../src/sandbox/provider.js';
import { startServer } from '../src/server/serve.js';
import { addConnection } from '../src/store/connections.js';
import { openStore } from '../src/store/store.js';
import { syncConnection } from '../src/sync/sync.js';
import { buildDashboard, CHROMIUM, chromiumAvailable, launchBrowser } from '../test/web/browser.js';

const CLIENTS = 20;
const DAY_MS = 86_400_000;

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'medium' },
    loads: { type: 'string', default: '5' },
    requests: { type: 'string', default: '400' },
  },
});
const size = values.size as SandboxSize;
const loads = Number(values.loads);
const requests = Number(values.requests);
if (!SANDBOX_SIZES.includes(size) || !(loads > 0) || !(requests >= CLIENTS)) {
  console.error(
    'usage: npm run bench:dashboard -- [--size small|medium|large] [--loads N] [--requests N>=20]',
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

const dir = mkdtempSync(join(tmpdir(), 'buildlens-bench-dashboard-'));
process.env.XDG_DATA_HOME = join(dir, 'data');
const sandbox = await startSandbox({ size, seed: 1, clock: 'manual' });
const store = await openStore(join(dir, 'bench.sqlite'));
try {
  const syncStart = performance.now();
  for (const [name, provider] of [
    ['bitrise', 'bitrise'],
    ['buildkite', 'buildkite'],
  ] as const) {
    const account = sandbox[provider];
    await addConnection(store, {
      name,
      provider,
      baseUrl: account.url,
      org: provider === 'buildkite' ? sandbox.buildkite.org : null,
      token: account.token,
    });
    await syncConnection(store, name, { now: () => sandbox.clock.now() });
  }
  const runs = await store.db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const projects = await store.db
    .selectFrom('projects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  console.log(
    `data: sandbox size ${size}, ${Number(runs.n)} runs in ${Number(projects.n)} projects, SQLite file ${(statSync(join(dir, 'bench.sqlite')).size / 1e6).toFixed(1)} MB (synced in ${((performance.now() - syncStart) / 1000).toFixed(1)} s)`,
  );

  const webRoot = await buildDashboard();
  const server = await startServer({
    store,
    host: '127.0.0.1',
    port: 0,
    token: null,
    syncEveryMs: null,
    webRoot,
  });
  try {
    // API: the overview's main query (per project, last 30 days) from 20 clients at once.
    const until = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    const since = new Date(until.getTime() - 30 * DAY_MS);
    const url = `${server.url}/api/report?by=project&since=${since.toISOString()}&until=${until.toISOString()}`;
    const fetchReport = async () => {
      const start = performance.now();
      const response = await fetch(url);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`report answered ${response.status}`);
      return performance.now() - start;
    };
    // One client alone first: what a single dashboard waits for when nobody else asks.
    const alone: number[] = [];
    for (let i = 0; i < CLIENTS; i++) alone.push(await fetchReport());
    console.log(`api /api/report?by=project (30 days), 1 client: ${summary(alone)}`);

    const latencies: number[] = [];
    let next = 0;
    const wallStart = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < requests) {
          next += 1;
          latencies.push(await fetchReport());
        }
      }),
    );
    const wall = (performance.now() - wallStart) / 1000;
    console.log(
      `api /api/report?by=project (30 days), ${CLIENTS} concurrent clients: ${summary(latencies)}, ${(latencies.length / wall).toFixed(0)} req/s`,
    );

    if (!chromiumAvailable()) {
      console.log(`dashboard: skipped, no Chromium at ${CHROMIUM} (set BUILDLENS_CHROMIUM)`);
    } else {
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
        console.log(
          `dashboard overview, navigation to table and charts drawn: ${await timeToData('/', '.chart svg path')}`,
        );
        await page.goto(`${server.url}/`);
        const link = await page.getAttribute('tbody tr[data-project] th a', 'href', { timeout: 60_000 });
        console.log(
          `dashboard project page, navigation to charts drawn: ${await timeToData(link ?? '/', '.grid.three .chart svg path')}`,
        );
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
    rmSync(webRoot, { recursive: true, force: true });
  }
} finally {
  await store.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
