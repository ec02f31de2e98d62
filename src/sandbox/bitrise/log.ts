// Build logs: deterministic step output per build, revealed chunk by chunk while the build runs, then
// archived behind an expiring raw-log URL (ci-apis.md §1.12).
import { Random } from '../random.js';
import type { BuildPlan } from './generate.js';
import { isoSeconds } from './wire.js';
import type { BitriseWorld } from './world.js';

const LINES_PER_CHUNK = 8;
/** How long after the end a log is archived; builds that ran out of time take longer. */
const ARCHIVE_DELAY_MS = 20_000;
const TIMEOUT_ARCHIVE_DELAY_MS = 5 * 60_000;
const PREVIEW_CHUNKS = 10;

const BLUE = '\u001b[34;1m';
const GREEN = '\u001b[32;1m';
const RED = '\u001b[31;1m';
const RESET = '\u001b[0m';

const COMMON_STEPS = ['Activate SSH key (RSA private key)', 'Git Clone Repository', 'Restore cache'];
const CLOSING_STEPS = [
  'Save cache',
  'Deploy to Bitrise.io - Build Artifacts, Test Reports, and Pipeline intermediate files',
];

/** Every line the build will ever log, in order. */
export function logLines(build: BuildPlan): string[] {
  const rng = new Random('log', build.slug);
  const steps = [...COMMON_STEPS, `Run ${build.workflow}`, ...CLOSING_STEPS];
  const lines: string[] = [`${BLUE}Bitrise CLI 2.x — build #${build.number} (${build.workflow})${RESET}`];
  steps.forEach((step, i) => {
    lines.push(
      `${BLUE}+------------------------------------------------------------------------------+${RESET}`,
    );
    lines.push(`${BLUE}| (${i}) ${step.padEnd(72).slice(0, 72)} |${RESET}`);
    const body = rng.int(3, 14);
    for (let j = 0; j < body; j++)
      lines.push(
        `[${step}] ${rng.pick(['Done', 'Downloading', 'Compiling', 'Running', 'Writing'])} ${rng.int(1, 999)} items`,
      );
    const failed = build.result === 2 && step.startsWith('Run ');
    lines.push(failed ? `${RED}✗ ${step} failed (exit code 1)${RESET}` : `${GREEN}✓ ${step}${RESET}`);
  });
  return lines;
}

function chunksOf(lines: string[]): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < lines.length; i += LINES_PER_CHUNK) {
    chunks.push(`${lines.slice(i, i + LINES_PER_CHUNK).join('\n')}\n`);
  }
  return chunks;
}

/** The log chunks produced by the current clock: none before the build started, all once it ended. */
function producedChunks(world: BitriseWorld, build: BuildPlan): string[] {
  const state = world.state(build);
  if (state.startedMs === null) return [];
  const all = chunksOf(logLines(build));
  if (state.finishedMs !== null) return all;
  const planned = world.timelineEnd(build) - state.startedMs;
  const share = planned > 0 ? (world.nowMs() - state.startedMs) / planned : 0;
  return all.slice(0, Math.max(1, Math.floor(all.length * Math.min(1, share))));
}

export function isArchived(world: BitriseWorld, build: BuildPlan): boolean {
  const state = world.state(build);
  if (state.finishedMs === null) return false;
  const timedOut = state.abortReason?.startsWith('Build timed out') ?? false;
  return world.nowMs() >= state.finishedMs + (timedOut ? TIMEOUT_ARCHIVE_DELAY_MS : ARCHIVE_DELAY_MS);
}

/** `GET .../log` (not wrapped in `data`); `rawLogUrl` is only used once the log is archived. */
export function logWire(world: BitriseWorld, build: BuildPlan, rawLogUrl: () => string) {
  const chunks = producedChunks(world, build);
  const archived = isArchived(world, build);
  const state = world.state(build);
  const first = Math.max(0, chunks.length - PREVIEW_CHUNKS);
  const snapshotMs = state.finishedMs ?? world.nowMs();
  const wire: Record<string, unknown> = {
    log_chunks: chunks.slice(first).map((chunk, i) => ({ chunk, position: first + i })),
    generated_log_chunks_num: chunks.length,
    is_archived: archived,
    timestamp:
      chunks.length > 0
        ? `${isoSeconds(snapshotMs).slice(0, 19)}.${String(snapshotMs % 1000).padStart(3, '0')}+00:00`
        : null,
  };
  if (archived) wire.expiring_raw_log_url = rawLogUrl();
  return wire;
}

/** The full raw log text behind the expiring URL. */
export function rawLog(world: BitriseWorld, build: BuildPlan): string {
  return producedChunks(world, build).join('');
}
