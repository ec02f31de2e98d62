// Pacing for Buildkite's rate limits (ci-apis.md §3.4): every response says how many requests are left in
// the organization (and user) window and when it resets; once one is used up, the next request waits for
// the reset instead of drawing a 429. A 429 caused by someone else sharing the budget waits the same way.
import { setTimeout as sleep } from 'node:timers/promises';

const SCOPES = ['', 'User-'] as const;

export interface Throttle {
  beforeRequest(): Promise<void>;
  onResponse(status: number, headers: Headers): void;
  /** How long a 429 asks us to wait, in ms: the reset of whichever window is used up. */
  waitMs(headers: Headers): number | null;
  /** Pauses taken so far, for diagnostics and benchmarks. */
  pauses(): number;
}

function resetMs(headers: Headers, exhaustedOnly: boolean): number | null {
  let wait: number | null = null;
  for (const scope of SCOPES) {
    const remaining = headers.get(`RateLimit-${scope}Remaining`);
    const reset = Number(headers.get(`RateLimit-${scope}Reset`));
    if (remaining === null || !Number.isFinite(reset)) continue;
    if (exhaustedOnly && Number(remaining) > 0) continue;
    wait = Math.max(wait ?? 0, reset * 1000);
  }
  return wait;
}

export function createThrottle(log: (line: string) => void, now: () => number = Date.now): Throttle {
  let resumeAt = 0;
  let pauses = 0;
  return {
    async beforeRequest() {
      const wait = resumeAt - now();
      if (wait <= 0) return;
      pauses++;
      log(`rate limit window used up: waiting ${Math.ceil(wait / 1000)} s for it to reset`);
      await sleep(wait);
    },
    onResponse(_status, headers) {
      const wait = resetMs(headers, true);
      if (wait !== null) resumeAt = Math.max(resumeAt, now() + wait);
    },
    waitMs: (headers) => resetMs(headers, true) ?? resetMs(headers, false),
    pauses: () => pauses,
  };
}
