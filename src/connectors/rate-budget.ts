// Rate limits shared by several processes (DESIGN.md "Ingestion paths"): a provider's budget belongs to an
// organization or a token, not to a process, so four workers syncing one Buildkite organization must draw
// from one count. Before each request a process takes one request from every window that applies, waiting
// while any is used up; after each response it tells the budget what the provider reported, which keeps the
// count honest when someone else (another tool, a person) uses the same budget. Where the windows live is
// the caller's: the store on PostgreSQL (src/store/rate-budgets.ts), nowhere on SQLite (one process).
// The arithmetic is pure and here; the store only keeps the rows and takes them under a lock.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** One window as the budget keeps it. */
export interface RateWindow {
  /** Requests a window allows; null when the provider states none (only back-offs apply). */
  limit: number | null;
  used: number;
  windowMs: number;
  /** Epoch ms: the end of the current window; 0 before the first. */
  endsAtMs: number;
  /** Epoch ms: nobody sends before this (a 429's back-off). */
  blockedUntilMs: number;
}

/** A window a request draws from, with what to assume before the provider has said anything. */
export interface WindowSpec {
  key: string;
  /** For the log: `organization`, `per-user`, `Bitrise token`. */
  name: string;
  limit: number | null;
  windowMs: number;
}

/** What one response says about a window. */
export interface WindowReport {
  /** The window's limit; null when the response says it has none. */
  limit: number | null;
  remaining: number | null;
  /** Until the window resets, in ms. */
  resetMs: number | null;
  /** A 429's back-off: nobody sends for this long. */
  backOffMs?: number;
}

/** Where the windows are kept and taken atomically. */
export interface RateBudget {
  /** Takes one request from every window, or (taking none) says how long to wait and for which. */
  take(specs: readonly WindowSpec[], nowMs: number): Promise<{ waitMs: number; window: string | null }>;
  observe(spec: WindowSpec, report: WindowReport, nowMs: number): Promise<void>;
}

/** A token's short fingerprint: budgets are keyed by it, never by the token itself. */
export const tokenKey = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);

/**
 * A window no response has described yet has windowMs 0: one request goes first and the others wait for
 * its answer (the limits may be lower than the documented defaults), at most PROBE_MS if it never comes.
 */
const PROBE_MS = 5000;
const PROBE_POLL_MS = 100;

export const freshWindow = (spec: WindowSpec): RateWindow => ({
  limit: spec.limit,
  used: 0,
  windowMs: spec.limit === null ? spec.windowMs : 0,
  endsAtMs: 0,
  blockedUntilMs: 0,
});

/** How long a request must wait for `window` (0: it may go now). */
export function waitFor(window: RateWindow, nowMs: number): number {
  if (nowMs < window.blockedUntilMs) return window.blockedUntilMs - nowMs;
  if (nowMs >= window.endsAtMs || window.limit === null) return 0;
  if (window.windowMs === 0) return Math.min(PROBE_POLL_MS, window.endsAtMs - nowMs);
  return window.used >= window.limit ? window.endsAtMs - nowMs : 0;
}

/** The window after one request is taken from it (call only when waitFor is 0). */
export function taken(window: RateWindow, nowMs: number): RateWindow {
  if (nowMs >= window.endsAtMs)
    return { ...window, used: 1, endsAtMs: nowMs + (window.windowMs || PROBE_MS) };
  return { ...window, used: window.used + 1 };
}

/**
 * The window after a response's report. The provider's count wins when it is higher (someone else used
 * the budget). The response that opened the provider's window (one request counted) says how long its
 * windows are and when this one ends, which aligns ours with it; otherwise the end only moves later, so a
 * window of ours never ends before the provider's.
 */
export function observed(
  window: RateWindow,
  report: WindowReport,
  nowMs: number,
  spec: WindowSpec,
): RateWindow {
  const next = { ...window, limit: report.limit, windowMs: window.windowMs || spec.windowMs };
  if (report.limit !== null && report.remaining !== null)
    next.used = Math.max(next.used, report.limit - report.remaining);
  if (report.resetMs !== null) {
    const endsAtMs = nowMs + report.resetMs;
    if (report.limit !== null && report.remaining === report.limit - 1) {
      next.windowMs = Math.max(1000, report.resetMs);
      next.endsAtMs = endsAtMs;
    } else next.endsAtMs = Math.max(next.endsAtMs, endsAtMs);
  }
  if (report.backOffMs !== undefined)
    next.blockedUntilMs = Math.max(next.blockedUntilMs, nowMs + report.backOffMs);
  return next;
}

/** The same budget for several connectors of one process: windows in memory (tests, benchmarks). */
export function memoryBudget(): RateBudget {
  const windows = new Map<string, RateWindow>();
  const get = (spec: WindowSpec) => windows.get(spec.key) ?? freshWindow(spec);
  return {
    async take(specs, nowMs) {
      for (const spec of specs) {
        const waitMs = waitFor(get(spec), nowMs);
        if (waitMs > 0) return { waitMs, window: spec.name };
      }
      for (const spec of specs) windows.set(spec.key, taken(get(spec), nowMs));
      return { waitMs: 0, window: null };
    },
    async observe(spec, report, nowMs) {
      windows.set(spec.key, observed(get(spec), report, nowMs, spec));
    },
  };
}

/** The http client's hooks over a shared budget: wait for room before a request, report after it. */
export interface SharedPacing {
  beforeRequest(): Promise<void>;
  onResponse(status: number, headers: Headers): Promise<void>;
  pauses(): number;
}

export function sharedPacing(
  budget: RateBudget,
  specs: readonly WindowSpec[],
  /** What a response says about each window (absent: it said nothing about it). */
  reports: (status: number, headers: Headers) => Map<string, WindowReport>,
  log: (line: string) => void,
  now: () => number = Date.now,
): SharedPacing {
  let pauses = 0;
  return {
    async beforeRequest() {
      for (;;) {
        const { waitMs, window } = await budget.take(specs, now());
        if (waitMs <= 0) return;
        pauses++;
        log(`${window} rate limit (shared by every worker): waiting ${Math.ceil(waitMs / 1000)} s`);
        // A little later than the window's end, spread, so waiting processes do not all ask at once.
        await sleep(waitMs + Math.floor(Math.random() * 50));
      }
    },
    async onResponse(status, headers) {
      const said = reports(status, headers);
      for (const spec of specs) {
        const report = said.get(spec.key);
        if (report) await budget.observe(spec, report, now());
      }
    },
    pauses: () => pauses,
  };
}
