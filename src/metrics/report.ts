// The report: run counts, success rate, duration and queue percentiles per group, all aggregated in
// the database (DESIGN.md "Metric definitions"). The CLI, the HTTP API and the dashboard call this.
import { type RawBuilder, sql } from 'kysely';
import type { RunFilter } from '../domain/model.js';
import { isoWeek, percentileCont } from '../store/dialect.js';
import { runFilterConditions } from '../store/runs.js';
import type { Store } from '../store/store.js';

export type Dimension = 'connection' | 'project' | 'workflow' | 'branch' | 'week';
export const DIMENSIONS: readonly Dimension[] = ['connection', 'project', 'workflow', 'branch', 'week'];

export interface ReportQuery {
  filter: RunFilter;
  /** Grouping, in order; empty means one row over everything the filter selects. */
  by: readonly Dimension[];
}

/**
 * One group's numbers. Field names are snake_case because this row is also what other programs read
 * (CLI json/csv, HTTP API): they are a stable contract.
 */
export type ReportRow = Partial<Record<Dimension, string | null>> & {
  runs: number;
  success: number;
  /** Includes `infra_failure`: a failed run counts against the rate whatever broke it. */
  failure: number;
  /** aborted_manual + aborted_auto. */
  aborted: number;
  skipped: number;
  /** Not finished yet (no classification). */
  running: number;
  /** success / (success + failure); null when both are 0. */
  success_rate: number | null;
  /** Over runs classified success. */
  duration_s_p50: number | null;
  duration_s_p90: number | null;
  duration_s_p95: number | null;
  duration_s_max: number | null;
  /** Over runs that started (queue_s not null). */
  queue_s_p50: number | null;
  queue_s_p95: number | null;
};

export type ReportSource = Pick<Store, 'db' | 'dialect'>;

/** Column expressions of each dimension: what is grouped on and what is shown. */
function dimensionColumns(
  dimension: Dimension,
  source: ReportSource,
): { group: RawBuilder<unknown>[]; label: RawBuilder<unknown> } {
  switch (dimension) {
    case 'connection':
      return { group: [sql`c.name`], label: sql`c.name` };
    case 'project':
      // Keyed by the provider's id, so two apps of the same name stay apart; shown by name.
      return {
        group: [sql`r.connection_id`, sql`r.project_key`, sql`p.name`],
        label: sql`coalesce(p.name, r.project_key)`,
      };
    case 'workflow':
      return { group: [sql`r.workflow`], label: sql`r.workflow` };
    case 'branch':
      return { group: [sql`r.branch`], label: sql`r.branch` };
    case 'week': {
      const week = isoWeek(source.dialect, sql`r.triggered_us`);
      return { group: [week], label: week };
    }
  }
}

/** The dimensions each row carries, in order: grouping by project also groups by its connection. */
export function groupDimensions(by: readonly Dimension[]): Dimension[] {
  const unique = [...new Set(by)];
  return unique.includes('project') && !unique.includes('connection') ? [...unique, 'connection'] : unique;
}

export async function report(source: ReportSource, query: ReportQuery): Promise<ReportRow[]> {
  const { db, dialect } = source;
  const dimensions = groupDimensions(query.by);
  const columns = dimensions.map((d) => dimensionColumns(d, source));
  const count = (condition: RawBuilder<unknown>) => sql`sum(case when ${condition} then 1 else 0 end)`;
  const successDuration = sql`case when r.classification = 'success' then r.duration_s end`;
  const queue = sql`r.queue_s`;

  const labels = columns.map((c, i) => sql`${c.label} as ${sql.ref(`g${i}`)}`);
  const groupBy = columns.flatMap((c) => c.group);
  const result = await sql<Record<string, unknown>>`
    select ${sql.join([
      ...labels,
      sql`count(*) as runs`,
      sql`${count(sql`r.classification = 'success'`)} as success`,
      sql`${count(sql`r.classification in ('failure', 'infra_failure')`)} as failure`,
      sql`${count(sql`r.classification in ('aborted_manual', 'aborted_auto')`)} as aborted`,
      sql`${count(sql`r.classification = 'skipped'`)} as skipped`,
      sql`${count(sql`r.classification is null`)} as running`,
      sql`${percentileCont(dialect, successDuration, 0.5)} as duration_s_p50`,
      sql`${percentileCont(dialect, successDuration, 0.9)} as duration_s_p90`,
      sql`${percentileCont(dialect, successDuration, 0.95)} as duration_s_p95`,
      sql`max(${successDuration}) as duration_s_max`,
      sql`${percentileCont(dialect, queue, 0.5)} as queue_s_p50`,
      sql`${percentileCont(dialect, queue, 0.95)} as queue_s_p95`,
    ])}
    from runs r
    join connections c on c.id = r.connection_id
    left join projects p on p.connection_id = r.connection_id and p.key = r.project_key
    ${where(runFilterConditions(query.filter))}
    ${groupBy.length > 0 ? sql`group by ${sql.join(groupBy)}` : sql``}
  `.execute(db);

  const rows = result.rows.map((raw) => toReportRow(raw, dimensions));
  // An empty selection still aggregates to one row of zeros, which is the right total.
  return rows.sort(compareGroups(dimensions));
}

const where = (conditions: RawBuilder<boolean>[]) =>
  conditions.length === 0 ? sql`` : sql`where ${sql.join(conditions, sql` and `)}`;

const toNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function toReportRow(raw: Record<string, unknown>, dimensions: Dimension[]): ReportRow {
  const success = Number(raw.success ?? 0);
  const failure = Number(raw.failure ?? 0);
  const row: ReportRow = {
    runs: Number(raw.runs),
    success,
    failure,
    aborted: Number(raw.aborted ?? 0),
    skipped: Number(raw.skipped ?? 0),
    running: Number(raw.running ?? 0),
    success_rate: success + failure === 0 ? null : success / (success + failure),
    duration_s_p50: toNumber(raw.duration_s_p50),
    duration_s_p90: toNumber(raw.duration_s_p90),
    duration_s_p95: toNumber(raw.duration_s_p95),
    duration_s_max: toNumber(raw.duration_s_max),
    queue_s_p50: toNumber(raw.queue_s_p50),
    queue_s_p95: toNumber(raw.queue_s_p95),
  };
  dimensions.forEach((d, i) => {
    const value = raw[`g${i}`];
    row[d] = value === null || value === undefined ? null : String(value);
  });
  return row;
}

const collator = new Intl.Collator('en', { numeric: true });

/** Group order is fixed here, not in SQL, whose collation and NULL order differ between engines. */
function compareGroups(dimensions: Dimension[]) {
  return (a: ReportRow, b: ReportRow) => {
    for (const d of dimensions) {
      const x = a[d] ?? null;
      const y = b[d] ?? null;
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const order = collator.compare(x, y) || (x < y ? -1 : 1);
      if (order !== 0) return order;
    }
    return 0;
  };
}
