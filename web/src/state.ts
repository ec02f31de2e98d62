// What the URL holds: the global time range and provider (shared by every page) and each page's own
// filters. Everything a view shows follows from its URL, so a copied link shows the same view.
import type { Params } from './api.js';

export const RANGES = [7, 14, 30, 90, 180] as const;
export const DEFAULT_DAYS = 30;
const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface Global {
  days: number;
  provider: string;
}

export function readGlobal(search = location.search): Global {
  const params = new URLSearchParams(search);
  const days = Number(params.get('days'));
  return {
    days: (RANGES as readonly number[]).includes(days) ? days : DEFAULT_DAYS,
    provider: params.get('provider') ?? '',
  };
}

/** The range ends at the next full hour, so reloading a page within the hour asks for the same numbers. */
export function period(global: Global): { since: string; until: string } {
  const end = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  return { since: new Date(end - global.days * DAY_MS).toISOString(), until: new Date(end).toISOString() };
}

/** Report/run parameters of the global filters. */
export function globalParams(global: Global): Params {
  return { ...period(global), provider: global.provider || undefined };
}

/** The page's own parameters (everything but the global ones). */
export function pageParams(search = location.search): URLSearchParams {
  const params = new URLSearchParams(search);
  params.delete('days');
  params.delete('provider');
  return params;
}

/** A URL of this app keeping the global filters: `href('/runs', {workflow: 'x'})`. */
export function href(path: string, params: Params = {}, global: Global = readGlobal()): string {
  const search = new URLSearchParams();
  if (global.days !== DEFAULT_DAYS) search.set('days', String(global.days));
  if (global.provider) search.set('provider', global.provider);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of typeof value === 'string' ? [value] : value) search.append(name, item);
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
