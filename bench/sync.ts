// Sync benchmark (`npm run bench`): a first sync of each provider from the sandbox into a fresh SQLite file
// through the real sync engine. The sandbox runs on a real clock, so Buildkite's organization rate limit
// (200 requests a minute by default) opens a new window every minute as it does live, and the connector has
// to pace itself. Prints figures only; there are no thresholds.
//   npm run bench -- [--provider bitrise|buildkite|both] [--size small|medium|large] [--lookback DAYS] [--seed N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Provider } from '../src/domain/model.js';
import { type Sandbox, startSandbox } from '../src/sandbox/index.js';
import { SANDBOX_SIZES, type SandboxSize } from '../src/sandbox/provider.js';
import { bitriseMinimum } from './minimum.js';
import type { Figures, Input } from './sync-worker.js';

const DAY_MS = 86_400_000;
const PROVIDERS: readonly Provider[] = ['bitrise', 'buildkite'];
const USAGE =
  'usage: npm run bench -- [--provider bitrise|buildkite|both] [--size small|medium|large] [--lookback DAYS] [--seed N]';

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'both' },
    size: { type: 'string', default: 'medium' },
    lookback: { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
  },
});
const size = values.size as SandboxSize;
const lookbackDays = Number(values.lookback);
const seed = Number(values.seed);
const providers = values.provider === 'both' ? PROVIDERS : PROVIDERS.filter((p) => p === values.provider);
if (
  providers.length === 0 ||
  !SANDBOX_SIZES.includes(size) ||
  !(lookbackDays > 0) ||
  !Number.isSafeInteger(seed)
) {
  console.error(USAGE);
  process.exit(2);
}

/** How the figures of one provider are taken from the sandbox. */
interface Subject {
  url: string;
  token: string;
  /** The fewest requests the API allows to read what was created in the window, and how they add up. */
  minimum(windowStartMs: number): { total: number; detail: string };
  /** 429s the sandbox has served for this provider so far, where it counts them. */
  served429(): number | null;
}

const pages = (items: number, perPage: number) => Math.max(1, Math.ceil(items / perPage));

function subjects(sandbox: Sandbox): Record<Provider, Subject> {
  return {
    bitrise: {
      url: sandbox.bitrise.url,
      token: sandbox.bitrise.token,
      minimum: (windowStartMs) => bitriseMinimum(sandbox.bitrise.world, windowStartMs),
      served429: () => null,
    },
    buildkite: {
      url: sandbox.buildkite.url,
      token: sandbox.buildkite.token,
      // The organizations list, then per organization its pipelines list and its builds list at 100 a page.
      minimum(windowStartMs) {
        const world = sandbox.buildkite.world.model;
        const now = sandbox.clock.now() + 1;
        let lists = pages(world.orgs.length, 100);
        let buildPages = 0;
        let builds = 0;
        for (const org of world.orgs) {
          const inWindow = world.count(org.pipelines, windowStartMs, now);
          lists += pages(org.pipelines.length, 100);
          buildPages += pages(inWindow, 100);
          builds += inWindow;
        }
        return {
          total: lists + buildPages,
          detail: `${lists} organization and pipeline pages + ${buildPages} builds pages at 100 a page (${builds} builds in ${world.orgs.length} organizations)`,
        };
      },
      served429: () => sandbox.buildkite.served()[429] ?? 0,
    },
  };
}

const sandbox = await startSandbox({ size, seed, clock: 'real' });
const dir = mkdtempSync(join(tmpdir(), 'buildlens-bench-'));
try {
  const cpu = cpus();
  console.log(
    `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}; sandbox size ${size}, seed ${seed}, anchor ${new Date(sandbox.buildkite.world.model.anchorMs).toISOString()} (real clock from there), lookback ${lookbackDays} days`,
  );
  const all = subjects(sandbox);
  for (const provider of providers) {
    const subject = all[provider];
    const refusedBefore = subject.served429();
    const nowMs = sandbox.clock.now();
    const sandboxCpu = process.cpuUsage();
    const figures = await measure({
      provider,
      url: subject.url,
      token: subject.token,
      db: join(dir, `${provider}.sqlite`),
      nowMs,
      lookbackDays,
    });
    const { user, system } = process.cpuUsage(sandboxCpu);
    const refused = subject.served429();
    print(provider, figures, (user + system) / 1000, {
      minimum: subject.minimum(nowMs - lookbackDays * DAY_MS),
      served429: refused === null ? null : refused - (refusedBefore ?? 0),
    });
  }
} finally {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}

/** `sandboxCpuMs`: CPU the sandbox (this process) spent serving the sync, for what the wall time includes. */
function print(
  provider: Provider,
  figures: Figures,
  sandboxCpuMs: number,
  { minimum, served429 }: { minimum: { total: number; detail: string }; served429: number | null },
) {
  const seconds = figures.wallMs / 1000;
  const pacedSeconds = figures.waitedMs / 1000;
  const rows: [string, string][] = [
    ['runs', String(figures.runs)],
    ['jobs', String(figures.jobs)],
    ['wall time', `${seconds.toFixed(2)} s (${pacedSeconds.toFixed(2)} s of it waiting on rate limits)`],
    [
      'CPU',
      `sync process ${(figures.cpuMs / 1000).toFixed(2)} s, sandbox ${(sandboxCpuMs / 1000).toFixed(2)} s (2 processes share the cores)`,
    ],
    [
      'runs/s',
      `${(figures.runs / seconds).toFixed(0)} (${(figures.runs / Math.max(0.001, seconds - pacedSeconds)).toFixed(0)} without the waits)`,
    ],
    ['API requests', String(figures.requests)],
    ['requests per run', (figures.requests / figures.runs).toFixed(3)],
    ['minimum requests', `${minimum.total} (${minimum.detail})`],
    ['requests / minimum', (figures.requests / minimum.total).toFixed(3)],
    [
      '429 responses',
      `${figures.refused} received${served429 === null ? '' : `, ${served429} served by the sandbox`}`,
    ],
    [
      'rate limit',
      figures.limit === null
        ? 'no RateLimit headers sent'
        : `${figures.limit} a window; lowest RateLimit-Remaining seen ${figures.lowestRemaining}; ${figures.pauses} pauses`,
    ],
    [
      'peak RSS (sync process)',
      `${mib(figures.maxRssKiB)} (${mib(figures.startRssKiB)} before the store was opened)`,
    ],
  ];
  console.log(`\n${provider}`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(24)} ${value}`);
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

function measure(input: Input): Promise<Figures> {
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
      else reject(new Error(`the ${input.provider} sync process exited with ${code}`));
    });
  });
}
