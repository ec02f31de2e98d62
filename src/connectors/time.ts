// Time arithmetic on provider timestamps, kept exact to the microsecond: Bitrise sends microseconds in
// triggered_at and whole seconds elsewhere, and Date.parse would drop everything below a millisecond.

/** Epoch microseconds of an RFC 3339 time (any fraction length, `Z` or an offset); NaN if unreadable. */
export function epochMicros(time: string): number {
  const match = /^(.+T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(.*)$/.exec(time);
  if (!match) return Number.NaN;
  const [, whole = '', fraction = '', zone = ''] = match;
  return Date.parse(`${whole}${zone}`) * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

/** Seconds from `from` to `to`; null when either is missing. */
export function secondsBetween(
  from: string | null | undefined,
  to: string | null | undefined,
): number | null {
  if (!from || !to) return null;
  return (epochMicros(to) - epochMicros(from)) / 1e6;
}

/** Waiting time: like secondsBetween, clamped at 0 because providers round some times to whole seconds. */
export function waitSeconds(from: string | null | undefined, to: string | null | undefined): number | null {
  const seconds = secondsBetween(from, to);
  return seconds === null ? null : Math.max(0, seconds);
}
