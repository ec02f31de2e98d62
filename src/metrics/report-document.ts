// The report as one document: the grouped rows plus the total over the same filter, and with a comparison,
// each row's figures over the previous period of the same length. This is the JSON `buildlens report
// --format json` prints and the HTTP API answers with.
import type { RunFilter } from '../domain/model.js';
import { InvalidInputError } from '../store/errors.js';
import { type Comparison, compareCoverage, type SelectionCoverage, selectionCoverage } from './coverage.js';
import { type ReportQuery, report } from './report.js';
import {
  type Dimension,
  groupDimensions,
  type MetricGroup,
  type ReportMetrics,
  type ReportRow,
  type ReportSource,
} from './vocabulary.js';

/**
 * A row and, when compared, whether the store covers the previous period for the row's connections and, only
 * when it does, the same group's figures there (null: no runs there, or not covered).
 */
export type ComparedRow = ReportRow & { previous?: ReportMetrics | null; comparison?: Comparison };

type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** A filter as the JSON shows it: snake_case field names, like the API's query parameters (`agent_queue`). */
export type FilterFields = { [K in keyof RunFilter as SnakeCase<K>]: RunFilter[K] };

export function filterFields(filter: RunFilter): FilterFields {
  return Object.fromEntries(
    Object.entries(filter).map(([key, value]) => [
      key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      value,
    ]),
  ) as FilterFields;
}

export interface ReportDocument {
  by: Dimension[];
  /** The metric groups asked for beyond the base ones; absent when none were. */
  metrics?: MetricGroup[];
  filter: FilterFields;
  /** The filter of the previous period, when compared. */
  previous_filter?: FilterFields;
  /** From when the store holds the runs of the connections the filter may read. */
  coverage: SelectionCoverage;
  rows: ComparedRow[];
  total: ComparedRow;
}

export interface DocumentQuery extends ReportQuery {
  compare?: 'previous';
  /** The end of the range when the filter has no `until` (the clock, for tests). */
  now?: () => number;
}

/** The period of the same length just before the filter's: needs `since`; `until` defaults to now. */
export function previousPeriod(filter: RunFilter, nowMs: number): RunFilter {
  if (!filter.since)
    throw new InvalidInputError('comparing with the previous period needs a start (--since)');
  const since = Date.parse(filter.since);
  const until = filter.until ? Date.parse(filter.until) : nowMs;
  if (!(until > since)) throw new InvalidInputError('comparing needs a period that ends after it starts');
  return {
    ...filter,
    since: new Date(since - (until - since)).toISOString(),
    until: new Date(since).toISOString(),
  };
}

const labelsOf = (row: ReportRow, dimensions: Dimension[]) =>
  JSON.stringify(dimensions.map((d) => row[d] ?? null));

function metricsOf(row: ReportRow, dimensions: Dimension[]): ReportMetrics {
  const copy: Record<string, unknown> = { ...row };
  for (const d of dimensions) delete copy[d];
  return copy as ReportMetrics;
}

/** Groups by `query.by`, or per project when it is empty. */
export async function reportDocument(source: ReportSource, query: DocumentQuery): Promise<ReportDocument> {
  const by: Dimension[] = query.by.length > 0 ? [...query.by] : ['project'];
  const metrics = [...(query.metrics ?? [])];
  const run = (filter: RunFilter) =>
    Promise.all([
      report(source, { filter, by, metrics, exact: query.exact }),
      report(source, { filter, by: [], metrics, exact: query.exact }),
    ]);
  const [[rows, [total]], coverage] = await Promise.all([
    run(query.filter),
    selectionCoverage(source, query.filter),
  ]);
  if (total === undefined) throw new Error('the total report returned no row');
  const document: ReportDocument = {
    by,
    ...(metrics.length > 0 ? { metrics } : {}),
    filter: filterFields(query.filter),
    coverage,
    rows,
    total,
  };
  if (query.compare !== 'previous') return document;

  const nowMs = (query.now ?? Date.now)();
  const previousFilter = previousPeriod(query.filter, nowMs);
  const dimensions = groupDimensions(by);
  const [previousRows, [previousTotal]] = await run(previousFilter);
  const connectionsOf = connectionsByGroup(
    dimensions,
    dimensions.includes('connection')
      ? [...rows, ...previousRows]
      : await Promise.all(
          [query.filter, previousFilter].map((filter) =>
            report(source, { filter, by: [...dimensions, 'connection'], exact: query.exact }),
          ),
        ).then((reports) => reports.flat()),
  );
  const startOf = new Map(coverage.connections.map((c) => [c.connection, c.covered_from]));
  const period = { since: previousFilter.since as string, until: previousFilter.until as string };
  const year = new Date(query.filter.until ?? nowMs).getUTCFullYear();
  const compared = (row: ReportRow, previous: ReportMetrics | null, names: Set<string>): ComparedRow => {
    // A total over no runs at all is about every connection the filter may read.
    const connections = names.size > 0 ? [...names] : [...startOf.keys()];
    const comparison = compareCoverage(
      period,
      connections.map((name) => startOf.get(name) ?? null),
      year,
    );
    return { ...row, previous: comparison.coverage === 'covered' ? previous : null, comparison };
  };
  const before = new Map(previousRows.map((r) => [labelsOf(r, dimensions), metricsOf(r, dimensions)]));
  const everyConnection = new Set([...connectionsOf.values()].flatMap((names) => [...names]));
  // A day or week of this period has no namesake in the previous one: such rows are not compared.
  const timeBucketed = dimensions.includes('day') || dimensions.includes('week');
  return {
    ...document,
    previous_filter: filterFields(previousFilter),
    rows: timeBucketed
      ? rows
      : rows.map((r) => {
          const labels = labelsOf(r, dimensions);
          return compared(r, before.get(labels) ?? null, connectionsOf.get(labels) ?? new Set());
        }),
    total: compared(total, previousTotal ?? null, everyConnection),
  };
}

/**
 * The connections with runs in each group (by its labels), from rows grouped by connection as well: those
 * whose coverage decides whether the group can be compared.
 */
function connectionsByGroup(dimensions: Dimension[], rows: ReportRow[]): Map<string, Set<string>> {
  const connections = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.runs === 0 || !row.connection) continue;
    const labels = labelsOf(row, dimensions);
    connections.set(labels, (connections.get(labels) ?? new Set()).add(row.connection));
  }
  return connections;
}
