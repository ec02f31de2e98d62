// The sandbox clock: everything a sandbox serves is a function of this clock, so tests can move time
// forward (`manual`) and see builds finish and new ones arrive without waiting.

export type ClockMode = 'real' | 'manual';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Moves the clock forward (both modes: tests may skip ahead of real time). */
  advance(ms: number): void;
}

const HOUR_MS = 3_600_000;

/** The default anchor: the real current time floored to the hour, so a sandbox started twice in the same
 * hour serves the same data. */
export function defaultAnchor(): number {
  return Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
}

export function parseAnchor(value: string | number | undefined): number {
  if (value === undefined) return defaultAnchor();
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`invalid sandbox time: ${String(value)}`);
  return ms;
}

export function createClock(anchorMs: number, mode: ClockMode): Clock {
  const startedAt = Date.now();
  let skipped = 0;
  return {
    now: () => anchorMs + skipped + (mode === 'real' ? Date.now() - startedAt : 0),
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`clock can only move forward, got ${ms}`);
      skipped += ms;
    },
  };
}
