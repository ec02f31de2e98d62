// Parsers for option values. Each returns a clean value or throws a UsageError naming the option.
import type { Provider, RunFilter } from '../domain/model.js';
import { PROVIDERS, TRIGGERS } from '../domain/model.js';
import { parseInstant as parseTime, periodInOrder, TimeSyntaxError } from '../domain/period.js';
import { UsageError } from './errors.js';

/** An ISO 8601 date (`2026-01-31`, midnight UTC) or timestamp (no zone means UTC) as an ISO string. */
export function parseInstant(value: string, option: string): string {
  try {
    return parseTime(value);
  } catch (error) {
    if (error instanceof TimeSyntaxError) throw new UsageError(`${option} ${error.message}`);
    throw error;
  }
}

/** A look-back window such as `90d` or `12w`, in whole days. */
export function parseLookbackDays(value: string): number {
  const match = /^(\d{1,5})([dw])$/.exec(value.trim());
  const days = match ? Number(match[1]) * (match[2] === 'w' ? 7 : 1) : 0;
  if (days < 1) throw new UsageError(`--lookback must look like 90d or 12w, got "${value}"`);
  return days;
}

export function parseInteger(value: string, option: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${option} must be a whole number from ${min} to ${max}`);
  return n;
}

export function parseChoice<T extends string>(value: string, option: string, choices: readonly T[]): T {
  const found = choices.find((c) => c === value);
  if (found === undefined)
    throw new UsageError(`${option} must be one of ${choices.join(', ')}, got "${value}"`);
  return found;
}

/** A comma-separated list of choices, duplicates removed, order kept. */
export function parseChoiceList<T extends string>(value: string, option: string, choices: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (items.length === 0) throw new UsageError(`${option} needs at least one of ${choices.join(', ')}`);
  return [...new Set(items.map((item) => parseChoice(item, option, choices)))];
}

export function parseProvider(value: string): Provider {
  return parseChoice(value, '--provider', PROVIDERS);
}

/** An http(s) API base URL without a trailing slash; credentials in the URL are refused. */
export function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url is not a valid URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url must start with http:// or https://, got "${url.protocol}"`);
  if (url.username || url.password)
    throw new UsageError(
      '--url must not contain credentials; pass the token via --token-env or --token-stdin',
    );
  if (url.search || url.hash)
    throw new UsageError('--url must be an API base URL without ?query or #fragment');
  return url.href.replace(/\/+$/, '');
}

/** Options shared by `runs` and `report`; a repeated option matches any of its values. */
export interface FilterOptions {
  connection?: string[];
  project?: string[];
  workflow?: string[];
  branch?: string[];
  defaultBranch?: boolean;
  trigger?: string[];
  pr?: boolean;
  machine?: string[];
  stack?: string[];
  agentQueue?: string[];
  since?: string;
  until?: string;
}

/** Commander accumulator for repeatable options (not comma-split: branch and app names may contain commas). */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function parseFilter(options: FilterOptions): RunFilter {
  const filter: RunFilter = {};
  for (const key of [
    'connection',
    'project',
    'workflow',
    'branch',
    'machine',
    'stack',
    'agentQueue',
  ] as const) {
    const values = options[key];
    if (values && values.length > 0) filter[key] = values;
  }
  if (options.trigger?.length)
    filter.trigger = options.trigger.map((t) => parseChoice(t, '--trigger', TRIGGERS));
  if (options.pr !== undefined) filter.pr = options.pr;
  if (options.defaultBranch !== undefined) filter.defaultBranch = options.defaultBranch;
  if (options.since !== undefined) filter.since = parseInstant(options.since, '--since');
  if (options.until !== undefined) filter.until = parseInstant(options.until, '--until');
  if (!periodInOrder(filter.since, filter.until))
    throw new UsageError('--since must be earlier than --until');
  return filter;
}
