// Sync benchmark (`npm run bench`): a first Bitrise sync from the sandbox into a fresh SQLite file through
// the real sync engine. Prints figures only; there are no thresholds.
//   npm run bench -- [--size small|medium|large] [--lookback DAYS] [--seed N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../src/sandbox/index.js';
import { SANDBOX_SIZES, type SandboxSize } from '../src/sandbox/provider.js';

/** The largest page both Bitrise lists serve (builds documented; pipelines the sandbox's default maximum). */
const MAX_PAGE = 50;
const DAY_MS = 86_400_000;

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'medium' },
    lookback: { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
  },
});
const size = values.size as SandboxSize;
const lookbackDays = Number(values.lookback);
const seed = Number(values.seed);
if (!SANDBOX_SIZES.includes(size) || !(lookbackDays > 0) || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run bench -- [--size small|medium|large] [--lookback DAYS] [--seed N]');
  process.exit(2);
}

const sandbox = await startSandbox({ size, seed, clock: 'manual' });
const dir = mkdtempSync(join(tmpdir(), 'buildlens-bench-'));
try {
  const nowMs = sandbox.clock.now();
  const figures = await measure({
    url: sandbox.bitrise.url,
    token: sandbox.bitrise.token,
    db: join(dir, 'bench.sqlite'),
    nowMs,
    lookbackDays,
  });
  const minimum = minimumRequests(nowMs - lookbackDays * DAY_MS);
  const seconds = figures.wallMs / 1000;
  const rows: [string, string][] = [
    ['sandbox', `bitrise, size ${size}, seed ${seed}, lookback ${lookbackDays} days`],
    ['runs', String(figures.runs)],
    ['jobs', String(figures.jobs)],
    ['wall time', `${seconds.toFixed(2)} s`],
    ['runs/s', (figures.runs / seconds).toFixed(0)],
    ['API requests', String(figures.requests)],
    ['requests per run', (figures.requests / figures.runs).toFixed(3)],
    [
      'minimum requests',
      `${minimum.total} (${minimum.lists} list pages at ${MAX_PAGE} a page + ${minimum.shows} pipeline shows)`,
    ],
    ['requests / minimum', (figures.requests / minimum.total).toFixed(3)],
    [
      'peak RSS (sync process)',
      `${mib(figures.maxRssKiB)} (${mib(figures.startRssKiB)} before the store was opened)`,
    ],
  ];
  for (const [name, value] of rows) console.log(`${name.padEnd(24)} ${value}`);
} finally {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}

interface Figures {
  runs: number;
  jobs: number;
  requests: number;
  wallMs: number;
  maxRssKiB: number;
  startRssKiB: number;
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

function measure(input: Record<string, unknown>): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'sync-worker.ts')], {
      env: { ...process.env, BENCH_INPUT: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as Figures);
      else reject(new Error(`the sync process exited with ${code}`));
    });
  });
}

/**
 * The fewest requests the API allows for this window: the apps list, then per app the standalone-builds
 * list and the pipelines list at the largest page (at least one request each), plus one show per pipeline.
 */
function minimumRequests(windowStartMs: number) {
  const world = sandbox.bitrise.world;
  const inWindow = (item: { triggered_at: string }) => Date.parse(item.triggered_at) >= windowStartMs;
  const pages = (items: number) => Math.max(1, Math.ceil(items / MAX_PAGE));
  const apps = world.apps();
  let lists = pages(apps.length);
  let shows = 0;
  for (const app of apps) {
    const runs = world.runs(app.slug).filter(inWindow);
    const standalone = runs.filter((run) => !run.is_pipeline).length;
    lists += pages(standalone) + pages(runs.length);
    shows += runs.length - standalone;
  }
  return { lists, shows, total: lists + shows };
}
