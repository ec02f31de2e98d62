// Pacing for Buildkite's rate limits (ci-apis.md §3.4): every response says how many requests are left in
// the organization window (200 a minute by default, shared by every token of the organization) and in the
// token's user window (`RateLimit-User-*`, 50 a minute by default, the one a single token meets first).
// The connector paces by whichever is tighter: once either is used up, the next request waits for that
// window's reset instead of drawing a 429. A 429 caused by someone else sharing the budget waits the same way.
import { setTimeout as sleep } from 'node:timers/promises';

/** The two limits and how the log names them. */
const LIMITS = [
  { prefix: 'RateLimit-', name: 'organization' },
  { prefix: 'RateLimit-User-', name: 'per-user' },
] as const;

export interface Throttle {
  beforeRequest(): Promise<void>;
  onResponse(status: number, headers: Headers): void;
  /** How long a 429 asks us to wait, in ms: the reset of whichever window is used up. */
  waitMs(headers: Headers): number | null;
  /** Pauses taken so far, for diagnostics and benchmarks. */
  pauses(): number;
}

/** The longest reset among the windows the headers report (only used-up ones with `exhaustedOnly`). */
function resetOf(headers: Headers, exhaustedOnly: boolean): { ms: number; limit: string } | null {
  let longest: { ms: number; limit: string } | null = null;
  for (const { prefix, name } of LIMITS) {
    const remaining = headers.get(`${prefix}Remaining`);
    const reset = Number(headers.get(`${prefix}Reset`));
    if (remaining === null || !Number.isFinite(reset)) continue;
    if (exhaustedOnly && Number(remaining) > 0) continue;
    if (longest === null || reset * 1000 > longest.ms) longest = { ms: reset * 1000, limit: name };
  }
  return longest;
}

export function createThrottle(log: (line: string) => void, now: () => number = Date.now): Throttle {
  let resumeAt = 0;
  let limit = '';
  let pauses = 0;
  return {
    async beforeRequest() {
      const wait = resumeAt - now();
      if (wait <= 0) return;
      pauses++;
      log(`${limit} rate limit window used up: waiting ${Math.ceil(wait / 1000)} s for it to reset`);
      await sleep(wait);
    },
    onResponse(_status, headers) {
      const reset = resetOf(headers, true);
      if (reset !== null && now() + reset.ms > resumeAt) {
        resumeAt = now() + reset.ms;
        limit = reset.limit;
      }
    },
    waitMs: (headers) => (resetOf(headers, true) ?? resetOf(headers, false))?.ms ?? null,
    pauses: () => pauses,
  };
}
