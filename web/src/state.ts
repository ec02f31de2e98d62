// What the URL holds: the global filters (range or custom dates, provider, workflow, branch, default-branch
// view; shared by every page) and each page's own filters. Everything a view shows follows from its URL,
// so a copied link shows the same view.
import type { Params } from './api.js';

export const RANGES = [7, 14, 30, 90, 180] as const;
export const DEFAULT_DAYS = 30;
const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface Global {
  days: number;
  /** A custom range of whole UTC days, first and last included (`from`/`to` in the URL); wins over days. */
  from: string | null;
  to: string | null;
  provider: string;
  workflow: string[];
  branch: string[];
  /** Only runs on each project's default branch. */
  defaultBranch: boolean;
}

/** The URL parameters the global filters own; everything else belongs to the page. */
export const GLOBAL_KEYS = ['days', 'from', 'to', 'provider', 'workflow', 'branch', 'default_branch'];

const validDate = (value: string | null) =>
  value !== null && DATE.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;

export function readGlobal(search = location.search): Global {
  const params = new URLSearchParams(search);
  const days = Number(params.get('days'));
  let from = validDate(params.get('from'));
  let to = validDate(params.get('to'));
  if (from && to && from > to) [from, to] = [to, from];
  return {
    days: (RANGES as readonly number[]).includes(days) ? days : DEFAULT_DAYS,
    from: from && to ? from : null,
    to: from && to ? to : null,
    provider: params.get('provider') ?? '',
    workflow: params.getAll('workflow').filter(Boolean),
    branch: params.getAll('branch').filter(Boolean),
    defaultBranch: params.get('default_branch') === 'true',
  };
}

/**
 * A preset range ends at the next full hour, so reloading a page within the hour asks for the same
 * numbers; a custom range covers its first to its last day, whole.
 */
export function period(global: Global): { since: string; until: string } {
  if (global.from && global.to) {
    return {
      since: new Date(Date.parse(global.from)).toISOString(),
      until: new Date(Date.parse(global.to) + DAY_MS).toISOString(),
    };
  }
  const end = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  return { since: new Date(end - global.days * DAY_MS).toISOString(), until: new Date(end).toISOString() };
}

/** The period in words: `last 30 days` or `2026-11-02 to 2026-11-08`. */
export function periodText(global: Global): string {
  return global.from && global.to ? `${global.from} to ${global.to}` : `last ${global.days} days`;
}

/** The whole view in words: `Last 30 days, bitrise only, branch main, default branches only.` */
export function viewText(global: Global): string {
  const parts = [periodText(global).replace(/^./, (c) => c.toUpperCase())];
  if (global.provider) parts.push(`${global.provider} only`);
  if (global.workflow.length) parts.push(`workflow ${global.workflow.join(', ')}`);
  if (global.branch.length) parts.push(`branch ${global.branch.join(', ')}`);
  if (global.defaultBranch) parts.push('default branches only');
  return `${parts.join(', ')}.`;
}

/** Days the period spans. */
export function periodDays(global: Global): number {
  const { since, until } = period(global);
  return Math.round((Date.parse(until) - Date.parse(since)) / DAY_MS);
}

/** Report/run parameters of the global filters. */
export function globalParams(global: Global): Params {
  return {
    ...period(global),
    provider: global.provider || undefined,
    workflow: global.workflow,
    branch: global.branch,
    default_branch: global.defaultBranch ? 'true' : undefined,
  };
}

/** The page's own parameters (everything but the global ones). */
export function pageParams(search = location.search): URLSearchParams {
  const params = new URLSearchParams(search);
  for (const key of GLOBAL_KEYS) params.delete(key);
  return params;
}

/** A URL of this app keeping the global filters: `href('/runs', {classification: 'failure'})`. */
export function href(path: string, params: Params = {}, global: Global = readGlobal()): string {
  const search = new URLSearchParams();
  if (global.from && global.to) {
    search.set('from', global.from);
    search.set('to', global.to);
  } else if (global.days !== DEFAULT_DAYS) search.set('days', String(global.days));
  if (global.provider) search.set('provider', global.provider);
  for (const w of global.workflow) search.append('workflow', w);
  for (const b of global.branch) search.append('branch', b);
  if (global.defaultBranch) search.set('default_branch', 'true');
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of typeof value === 'string' ? [value] : value) search.append(name, item);
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
