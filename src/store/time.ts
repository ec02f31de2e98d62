// Provider times to epoch microseconds. Date.parse keeps only milliseconds, and Bitrise's
// triggered_at has microseconds, so the fraction is read separately.
import { StoreError } from './errors.js';

const FRACTION = /\.(\d+)/;

const NO_OFFSET = /T\d{2}:\d{2}(:\d{2})?$/;

/** ISO 8601 / RFC 3339 time to epoch microseconds; a bare date or a time without offset is UTC. */
export function isoToMicros(iso: string): number {
  const fraction = FRACTION.exec(iso)?.[1] ?? '';
  const whole = iso.replace(FRACTION, '');
  const ms = Date.parse(NO_OFFSET.test(whole) ? `${whole}Z` : whole);
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso) || Number.isNaN(ms)) {
    throw new StoreError(`invalid time "${iso}": expected ISO 8601, e.g. 2026-02-10T09:30:00Z`);
  }
  return ms * 1000 + Number(fraction.slice(0, 6).padEnd(6, '0'));
}
