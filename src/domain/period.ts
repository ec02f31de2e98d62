// Times and periods as every front end reads them: an ISO 8601 date or timestamp, a period whose start is
// before its end, and the report's default period. Neutral: the CLI and the HTTP API each put the failure
// in their own words (naming `--since` or the `since` parameter).

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** What is wrong with a time, without naming where it came from. */
export class TimeSyntaxError extends Error {
  override name = 'TimeSyntaxError';
}

/**
 * An ISO 8601 date (`2026-01-31`, midnight UTC) or timestamp (no zone means UTC) as an ISO string; a
 * TimeSyntaxError whose message completes "<where> …" ("must be an ISO 8601 date …", "is not a valid date").
 */
export function parseInstant(value: string): string {
  const match = DATE_ONLY.exec(value) ?? TIMESTAMP.exec(value);
  if (!match)
    throw new TimeSyntaxError(`must be an ISO 8601 date or timestamp, e.g. 2026-01-31, got "${value}"`);
  const [, year, month, day] = match;
  const zoned = DATE_ONLY.test(value) || match[8] !== undefined ? value : `${value}Z`;
  const time = Date.parse(zoned.replace(' ', 'T'));
  // Date.parse rolls 2026-02-30 over to March; the calendar day must survive the round trip.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const valid =
    Number.isFinite(time) &&
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day);
  if (!valid) throw new TimeSyntaxError(`is not a valid date: "${value}"`);
  return new Date(time).toISOString();
}

/** Whether a period's bounds (ISO strings, either may be open) leave any time between them. */
export function periodInOrder(since: string | undefined, until: string | undefined): boolean {
  return since === undefined || until === undefined || Date.parse(since) < Date.parse(until);
}

/** The report's period when none is given (DESIGN.md CLI contract; the dashboard's default too). */
export const DEFAULT_PERIOD_DAYS = 30;

/**
 * The period a report covers: the given bounds when there are any, everything with `all`, else the last
 * DEFAULT_PERIOD_DAYS days up to now.
 */
export function reportPeriod<F extends { since?: string; until?: string }>(
  filter: F,
  options: { all: boolean; nowMs: number },
): F {
  if (options.all || filter.since !== undefined || filter.until !== undefined) return filter;
  return { ...filter, since: new Date(options.nowMs - DEFAULT_PERIOD_DAYS * 86_400_000).toISOString() };
}
