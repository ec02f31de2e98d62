// What every page gets, and helpers they share.
import type { Meta, ReportRow } from './api.js';
import type { Global } from './state.js';

export interface PageContext {
  main: HTMLElement;
  global: Global;
  /** The page's own URL parameters. */
  params: URLSearchParams;
  /** Path segments after the page name, decoded (e.g. connection and project). */
  path: string[];
  meta: Meta;
  /** True once the person has moved on: a slow answer must not draw over the next page. */
  stale(): boolean;
}

export type Page = (context: PageContext) => Promise<void>;

/** Day buckets when the metrics module offers them and the range is short enough to read; else weeks. */
export function bucketDimension(meta: Meta, global: Global): string {
  return meta.dimensions.includes('day') && global.days <= 90 ? 'day' : 'week';
}

/** Sorted distinct labels of `dimension` over some rows. */
export function labels(rows: ReportRow[], dimension: string): string[] {
  return [...new Set(rows.map((r) => r[dimension]).filter((v): v is string => typeof v === 'string'))].sort();
}

export const num = (row: ReportRow | undefined, field: string): number | null => {
  const value = row?.[field];
  return typeof value === 'number' ? value : null;
};

/** The key a project is known by in URLs and filters: its connection and its name. */
export const projectKey = (row: ReportRow) => `${row.connection ?? ''}\u0000${row.project ?? ''}`;
