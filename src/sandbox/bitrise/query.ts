// Query-string parsing for the Bitrise routes: every bad value is a 400 with a one-line message.
import type { BitriseSwitches } from './switches.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, message);
}

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`Invalid ${name}: must be an integer`);
  return Number(raw);
}

export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw !== 'true' && raw !== 'false') throw badRequest(`Invalid ${name}: must be true or false`);
  return raw === 'true';
}

export function textParam(query: URLSearchParams, name: string): string | undefined {
  const raw = query.get(name);
  return raw === null || raw === '' ? undefined : raw;
}

/** RFC 3339 time as epoch microseconds (pipeline cursors and filters). */
export function timeParam(query: URLSearchParams, name: string): number | undefined {
  const raw = textParam(query, name);
  if (raw === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(raw);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || !Number.isFinite(ms)) throw badRequest(`Invalid ${name}: must be an RFC 3339 time`);
  return ms * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
}

export function oneOf<T extends string>(
  query: URLSearchParams,
  name: string,
  values: readonly T[],
): T | undefined {
  const raw = textParam(query, name);
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw))
    throw badRequest(`Invalid ${name}: must be one of ${values.join(', ')}`);
  return raw as T;
}

/** Page size: `fallback` when absent; out of range clamps or fails by switch (unconfirmed, ci-apis.md §1.3). */
export function limitParam(
  query: URLSearchParams,
  fallback: number,
  max: number,
  switches: BitriseSwitches,
): number {
  const limit = intParam(query, 'limit');
  if (limit === undefined) return fallback;
  if (limit >= 1 && limit <= max) return limit;
  if (switches.limitOutOfRange === 'error') throw badRequest(`Invalid limit: must be between 1 and ${max}`);
  return Math.min(max, Math.max(1, limit));
}

/** The first `limit` items and the one after them (the next page's anchor), reading no further. */
export function takePage<T>(items: Iterable<T>, limit: number): { page: T[]; next: T | undefined } {
  const page: T[] = [];
  for (const item of items) {
    if (page.length === limit) return { page, next: item };
    page.push(item);
  }
  return { page, next: undefined };
}

export function countOf(items: Iterable<unknown>): number {
  let n = 0;
  for (const _ of items) n++;
  return n;
}

export function* filtered<T>(items: Iterable<T>, keep: (item: T) => boolean): Generator<T> {
  for (const item of items) if (keep(item)) yield item;
}
