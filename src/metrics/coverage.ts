// Coverage (DESIGN.md): a comparison with a previous period is made only over time the store holds for the
// same connections. Each connection's `covered_from` says from when that is; a previous period that starts
// before it is "partial (from DATE)" or, wholly before it, "no data before DATE", never a change.
import type { RunFilter } from '../domain/model.js';
import type { ReportSource } from './vocabulary.js';

export const COVERAGE_STATUSES = ['covered', 'partial', 'not_covered'] as const;
export type CoverageStatus = (typeof COVERAGE_STATUSES)[number];

/** How a row's previous period is covered; only `covered` rows carry previous figures. */
export interface Comparison {
  coverage: CoverageStatus;
  /** From when the store holds every run of the row's connections; null when one has no completed sync. */
  covered_from: string | null;
  /** Why no change is given, in words ("no data before 12 Sep", "partial (from 12 Sep)"); null when covered. */
  note: string | null;
}

export interface ConnectionCoverage {
  connection: string;
  covered_from: string | null;
}

/** What the store covers of the report's selection: every connection it may read, and when all are covered. */
export interface SelectionCoverage {
  /** The latest `covered_from` of those connections: from then on the store holds all of them; null: not yet. */
  from: string | null;
  connections: ConnectionCoverage[];
}

/** The connections a filter may read (those it names, else all), with their coverage. */
export async function selectionCoverage(source: ReportSource, filter: RunFilter): Promise<SelectionCoverage> {
  let query = source.db
    .selectFrom('connections')
    .select(['name as connection', 'covered_from'])
    .orderBy('name');
  if (filter.connection?.length) query = query.where('name', 'in', filter.connection);
  const connections = await query.execute();
  return { from: latestStart(connections.map((c) => c.covered_from)), connections };
}

/** The latest of the starts: the store holds all of them from then on; null when one is missing. */
function latestStart(starts: (string | null)[]): string | null {
  let latest: string | null = null;
  for (const start of starts) {
    if (start === null) return null;
    if (latest === null || Date.parse(start) > Date.parse(latest)) latest = start;
  }
  return latest ?? new Date(0).toISOString();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12 Sep` (UTC), with the year when it is not `year`. */
export function dayWords(iso: string, year: number): string {
  const date = new Date(iso);
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
  return date.getUTCFullYear() === year ? day : `${day} ${date.getUTCFullYear()}`;
}

/**
 * Whether the previous period [since, until) lies wholly after the `covered_from` of every connection of a
 * row (`starts`). `year` is the year dates are written without.
 */
export function compareCoverage(
  previous: { since: string; until: string },
  starts: (string | null)[],
  year: number,
): Comparison {
  const from = latestStart(starts);
  if (from === null)
    return { coverage: 'not_covered', covered_from: null, note: 'no data yet (no completed sync)' };
  const fromMs = Date.parse(from);
  if (fromMs <= Date.parse(previous.since)) return { coverage: 'covered', covered_from: from, note: null };
  if (fromMs >= Date.parse(previous.until))
    return { coverage: 'not_covered', covered_from: from, note: `no data before ${dayWords(from, year)}` };
  return { coverage: 'partial', covered_from: from, note: `partial (from ${dayWords(from, year)})` };
}
