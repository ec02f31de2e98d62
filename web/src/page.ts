// What every page gets, and helpers they share.
import type { Figures, Meta, ReportRow } from './api.js';
import { DAY_MS, type Global, period } from './state.js';

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

/** The time buckets of a period: their report dimension and every label in it, empty ones included. */
export interface Buckets {
  dimension: 'day' | 'week';
  labels: string[];
}

export const dayLabel = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** ISO 8601 week in UTC, written as the database writes it (`2026-W07`). */
export function weekLabel(ms: number): string {
  const date = new Date(ms);
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** Days while a month or less is shown (more days than that crowd a chart); else ISO weeks. */
export function timeBuckets(global: Global): Buckets {
  const dimension = global.days <= 31 ? 'day' : 'week';
  const { since, until } = period(global);
  const label = dimension === 'day' ? dayLabel : weekLabel;
  const labels = new Set<string>();
  for (let ms = Date.parse(since); ms < Date.parse(until); ms += DAY_MS) labels.add(label(ms));
  labels.add(label(Date.parse(until) - 1));
  return { dimension, labels: [...labels] };
}

export const num = (row: Figures | null | undefined, field: string): number | null => {
  const value = row?.[field];
  return typeof value === 'number' ? value : null;
};

/** The key a project is known by in URLs and filters: its connection and its name. */
export const projectKey = (row: ReportRow) =>
  `${String(row.connection ?? '')}\u0000${String(row.project ?? '')}`;
