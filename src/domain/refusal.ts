// What cannot be a run (DESIGN.md "Refused run"): the rules every connector applies to a payload before it
// normalizes it, so that no refused value reaches the store, a sync's high-water mark or an API cursor.
import { nestsDeeperThan } from './json.js';

/** Real payloads nest fewer than 10 levels; far deeper is hostile or broken, and costly to walk. */
export const MAX_NESTING = 64;
/** Times a run may have: from 2000-01-01 (inclusive) to 2100-01-01 (exclusive), UTC, as the API accepts. */
export const EARLIEST_TIME = '2000-01-01T00:00:00Z';
export const LATEST_TIME = '2100-01-01T00:00:00Z';

const EARLIEST_MS = Date.parse(EARLIEST_TIME);
const LATEST_MS = Date.parse(LATEST_TIME);

/** A time of a payload: `required` for the one that orders the run (its triggered or created time). */
export interface PayloadTime {
  name: string;
  /** RFC 3339, as the connector reads it; null, undefined or not a string when absent or unreadable. */
  value: unknown;
  required?: boolean;
}

/** Why these times cannot order a run; null when they can. */
export function timeRefusal(times: readonly PayloadTime[]): string | null {
  for (const { name, value, required } of times) {
    if (typeof value !== 'string' || value === '') {
      if (required) return `no ${name}`;
      continue;
    }
    const ms = Date.parse(value);
    // Quoted as data: the value is the provider's text.
    const shown = JSON.stringify(value.slice(0, 40));
    if (Number.isNaN(ms)) return `${name} ${shown} is not a time`;
    if (ms < EARLIEST_MS || ms >= LATEST_MS) return `${name} ${shown} is outside 2000–2100`;
  }
  return null;
}

/** Why a payload is refused for its shape alone; null when its nesting is within the bound. */
export function nestingRefusal(payload: unknown): string | null {
  return nestsDeeperThan(payload, MAX_NESTING) ? `nested deeper than ${MAX_NESTING} levels` : null;
}
