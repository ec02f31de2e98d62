// Provider times to epoch microseconds. Date.parse keeps only milliseconds, and Bitrise's
// triggered_at has microseconds, so the fraction is read separately.
import { InvalidInputError } from './errors.js';

export const DAY_US = 86_400_000_000;

/** Start of the UTC day of an epoch-microseconds time: the day of a rollup grain. */
export const dayStart = (micros: number) => Math.floor(micros / DAY_US) * DAY_US;

const FRACTION = /\.(\d+)/;

const NO_OFFSET = /T\d{2}:\d{2}(:\d{2})?$/;

/** ISO 8601 / RFC 3339 time to epoch microseconds; a bare date or a time without offset is UTC. */
export function isoToMicros(iso: string): number {
  const fraction = FRACTION.exec(iso)?.[1] ?? '';
  const whole = iso.replace(FRACTION, '');
  const ms = Date.parse(NO_OFFSET.test(whole) ? `${whole}Z` : whole);
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso) || Number.isNaN(ms)) {
    throw new InvalidInputError(`invalid time "${iso}": expected ISO 8601, e.g. 2026-02-10T09:30:00Z`);
  }
  return ms * 1000 + Number(fraction.slice(0, 6).padEnd(6, '0'));
}

/** UTC day of epoch microseconds as `2026-02-10`: the label dialect.ts's `day` gives in SQL. */
export function dayLabel(micros: number): string {
  return new Date(Math.floor(micros / 1_000_000) * 1000).toISOString().slice(0, 10);
}

/** ISO week in UTC of epoch microseconds as `2026-W07`: the label dialect.ts's `isoWeek` gives in SQL. */
export function isoWeekLabel(micros: number): string {
  const date = new Date(Math.floor(micros / 1_000_000) * 1000);
  const weekday = (date.getUTCDay() + 6) % 7;
  // The ISO year and week are those of the Thursday of the same Monday-to-Sunday week.
  const thursday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 3 - weekday);
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}
