// One measured sync, in a process of its own so its peak memory is the sync's alone (the sandbox runs in
// the parent). Input: BENCH_INPUT (JSON); output: one JSON line of figures on stdout.
// Every response passes by this process's fetch, which is watched (never altered) for what the provider
// said about its rate limit; a pause starts when the connector says it waits and ends at its next request.
import type { Provider } from '../src/domain/model.js';
import { addConnection } from '../src/store/connections.js';
import { openStore } from '../src/store/store.js';
import { syncConnection } from '../src/sync/sync.js';

export interface Input {
  provider: Provider;
  url: string;
  token: string;
  db: string;
  nowMs: number;
  lookbackDays: number;
}

export interface Figures {
  runs: number;
  jobs: number;
  requests: number;
  wallMs: number;
  /** CPU time of this process (user + system) during the sync. */
  cpuMs: number;
  /** Time between the connector announcing a wait (pacing or a retry) and its next request. */
  waitedMs: number;
  pauses: number;
  /** 429 responses received. */
  refused: number;
  /** RateLimit-Limit and the lowest RateLimit-Remaining seen; null when the provider sends none. */
  limit: number | null;
  lowestRemaining: number | null;
  maxRssKiB: number;
  startRssKiB: number;
}

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as Input;
const seen = {
  waitedMs: 0,
  pauses: 0,
  refused: 0,
  limit: null as number | null,
  lowestRemaining: null as number | null,
};
let waitingSince: number | null = null;

const fetchResponse = globalThis.fetch;
globalThis.fetch = async (...args) => {
  if (waitingSince !== null) {
    seen.waitedMs += performance.now() - waitingSince;
    waitingSince = null;
  }
  const response = await fetchResponse(...args);
  if (response.status === 429) seen.refused++;
  const limit = response.headers.get('RateLimit-Limit');
  const remaining = response.headers.get('RateLimit-Remaining');
  if (limit !== null) seen.limit = Number(limit);
  if (remaining !== null)
    seen.lowestRemaining = Math.min(seen.lowestRemaining ?? Infinity, Number(remaining));
  return response;
};
/** The connectors' diagnostics before they sleep: pacing ("waiting N s") and retries ("retrying in N s"). */
const log = (line: string) => {
  if (/\bwaiting\b|\bretrying in\b/.test(line)) {
    seen.pauses++;
    waitingSince = performance.now();
  }
};

const startRssKiB = process.resourceUsage().maxRSS;
const store = await openStore(input.db);
try {
  await addConnection(store, {
    name: 'bench',
    provider: input.provider,
    baseUrl: input.url,
    org: null,
    token: input.token,
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const summary = await syncConnection(store, 'bench', {
    lookbackDays: input.lookbackDays,
    now: () => input.nowMs,
    connector: { log },
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const figures: Figures = {
    runs: summary.runsNew + summary.runsUpdated,
    jobs: summary.jobsNew + summary.jobsUpdated,
    requests: summary.requests,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...seen,
    maxRssKiB: process.resourceUsage().maxRSS,
    startRssKiB,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  await store.close();
}
