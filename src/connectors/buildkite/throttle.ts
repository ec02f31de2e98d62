// Pacing for Buildkite's rate limits (ci-apis.md §3.4): every response says how many requests are left in
// the organization window (200 a minute by default, shared by every token of the organization) and in the
// token's user window (`RateLimit-User-*`, 50 a minute by default, the one a single token meets first).
// The connector paces by whichever is tighter: once either is used up, the next request waits for that
// window's reset instead of drawing a 429. A 429 caused by someone else sharing the budget waits the same way.
import { setTimeout as sleep } from 'node:timers/promises';
import { tokenKey, type WindowReport, type WindowSpec } from '../rate-budget.js';

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

/** Buildkite's documented defaults, assumed until a response states the windows (ci-apis.md §3.4). */
const ORG_LIMIT = 200;
const USER_LIMIT = 50;
const WINDOW_MS = 60_000;

/**
 * The windows a request with `token` to `org` draws from: the organization's (every token of it) and the
 * token's user's (the user is not known from the token alone: tokens of one user count apart).
 */
export function buildkiteWindows(baseUrl: string, org: string | null, token: string): WindowSpec[] {
  const origin = new URL(baseUrl).origin;
  return [
    {
      key: `buildkite org ${origin} ${org ?? ''}`,
      name: 'organization',
      limit: ORG_LIMIT,
      windowMs: WINDOW_MS,
    },
    {
      key: `buildkite user ${origin} ${tokenKey(token)}`,
      name: 'per-user',
      limit: USER_LIMIT,
      windowMs: WINDOW_MS,
    },
  ];
}

/** What a response's headers say about each window; a response without user headers has no user limit. */
export function buildkiteReports(
  windows: readonly WindowSpec[],
  headers: Headers,
): Map<string, WindowReport> {
  const reports = new Map<string, WindowReport>();
  LIMITS.forEach(({ prefix }, i) => {
    const spec = windows[i];
    if (!spec) return;
    const limit = headers.get(`${prefix}Limit`);
    const remaining = headers.get(`${prefix}Remaining`);
    const reset = Number(headers.get(`${prefix}Reset`));
    if (limit === null && remaining === null) {
      // An answer without rate headers (an error page from a proxy) says nothing; one with the
      // organization's headers but no user headers says the account has no per-user limit.
      if (i > 0 && headers.get('RateLimit-Limit') !== null)
        reports.set(spec.key, { limit: null, remaining: null, resetMs: null });
      return;
    }
    reports.set(spec.key, {
      limit: Number.isFinite(Number(limit)) && limit !== null ? Number(limit) : spec.limit,
      remaining: remaining === null || !Number.isFinite(Number(remaining)) ? null : Number(remaining),
      // A second more: whole seconds may be rounded down, and no window of ours may end before Buildkite's.
      resetMs: Number.isFinite(reset) && headers.get(`${prefix}Reset`) !== null ? reset * 1000 + 1000 : null,
    });
  });
  return reports;
}
