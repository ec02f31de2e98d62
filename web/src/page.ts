// What every page gets, and helpers they share.
import type { Figures, Meta, ReportRow } from './api.js';
import { DAY_MS, type Global, period, periodDays } from './state.js';

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
  /** Each bucket's first and last UTC day within the period (`2026-03-02`), for the runs behind it. */
  days: { from: string; to: string }[];
  /** The bucket the clock is in: it holds the runs so far, not a whole day or week. */
  partial: number | null;
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
export function timeBuckets(global: Global, now = Date.now()): Buckets {
  const dimension = periodDays(global) <= 31 ? 'day' : 'week';
  const { since, until } = period(global);
  const label = dimension === 'day' ? dayLabel : weekLabel;
  const byLabel = new Map<string, { from: string; to: string }>();
  const first = Math.floor(Date.parse(since) / DAY_MS) * DAY_MS;
  for (let ms = first; ms < Date.parse(until); ms += DAY_MS) {
    const name = label(ms);
    const days = byLabel.get(name);
    if (days) days.to = dayLabel(ms);
    else byLabel.set(name, { from: dayLabel(ms), to: dayLabel(ms) });
  }
  const current = now >= Date.parse(since) && now < Date.parse(until) ? label(now) : null;
  const labels = [...byLabel.keys()];
  return {
    dimension,
    labels,
    days: [...byLabel.values()],
    partial: current === null ? null : labels.indexOf(current),
  };
}

export const num = (row: Figures | null | undefined, field: string): number | null => {
  const value = row?.[field];
  return typeof value === 'number' ? value : null;
};

/** The key a project is known by in URLs and filters: its connection and its name. */
export const projectKey = (row: ReportRow) =>
  `${String(row.connection ?? '')}\u0000${String(row.project ?? '')}`;
