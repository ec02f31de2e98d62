// One measured sync, in a process of its own so its peak memory is the sync's alone (the sandbox runs in
// the parent). Input: BENCH_INPUT (JSON); output: one JSON line of figures on stdout.
import { addConnection } from '../src/store/connections.js';
import { openStore } from '../src/store/store.js';
import { syncConnection } from '../src/sync/sync.js';

interface Input {
  url: string;
  token: string;
  db: string;
  nowMs: number;
  lookbackDays: number;
}

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as Input;
const startRssKiB = process.resourceUsage().maxRSS;
const store = await openStore(input.db);
try {
  await addConnection(store, {
    name: 'bench',
    provider: 'bitrise',
    baseUrl: input.url,
    org: null,
    token: input.token,
  });
  const started = performance.now();
  const summary = await syncConnection(store, 'bench', {
    lookbackDays: input.lookbackDays,
    now: () => input.nowMs,
  });
  const wallMs = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({
      runs: summary.runsNew + summary.runsUpdated,
      jobs: summary.jobsNew + summary.jobsUpdated,
      requests: summary.requests,
      wallMs,
      maxRssKiB: process.resourceUsage().maxRSS,
      startRssKiB,
    })}\n`,
  );
} finally {
  await store.close();
}
