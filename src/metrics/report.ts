// The report: counts, rates, percentiles, recovery, flakiness and credits per group, all aggregated in the
// database (DESIGN.md "Metric definitions", docs/metrics.md). The CLI, the HTTP API and the dashboard call this.
import { type RawBuilder, sql } from 'kysely';
import type { RunFilter } from '../domain/model.js';
import { day, isoWeek, percentileCont } from '../store/dialect.js';
import { rollupAggregates, rollupsAnswer } from './rollup-report.js';
import { selectedRuns } from './selection.js';
import {
  BASE_METRICS,
  type Dimension,
  EXACT_LIMIT,
  groupDimensions,
  type MetricGroup,
  type PercentileSource,
  percentileFields,
  type ReportRow,
  type ReportSource,
} from './vocabulary.js';

export interface ReportQuery {
  filter: RunFilter;
  /** Grouping, in order; empty means one row over everything the filter selects. */
  by: readonly Dimension[];
  /** Groups beyond the base ones (counts, duration and the queue overview). */
  metrics?: readonly MetricGroup[];
  /**
   * Percentiles from the runs themselves, never from the rollups' sketches (which are within 0.5%), however
   * many runs the filter selects (otherwise only up to EXACT_LIMIT). Counts are exact either way.
   */
  exact?: boolean;
  /** Selections of up to this many runs are answered exactly; EXACT_LIMIT unless a test says otherwise. */
  exactLimit?: number;
}

/** Column expressions of each dimension over the selected runs `s`: what is grouped on and what is shown. */
function dimensionColumns(
  dimension: Dimension,
  source: ReportSource,
): { group: RawBuilder<unknown>[]; label: RawBuilder<unknown> } {
  const plain = (column: string) => ({ group: [sql.ref(`s.${column}`)], label: sql.ref(`s.${column}`) });
  switch (dimension) {
    case 'connection':
      return plain('connection_name');
    case 'provider':
      return plain('provider_name');
    case 'project':
      // Keyed by the provider's id, so two apps of the same name stay apart; shown by name.
      return {
        group: [sql`s.connection_id`, sql`s.project_key`, sql`s.project_name`],
        label: sql`coalesce(s.project_name, s.project_key)`,
      };
    case 'pr': {
      const pr = sql`case when s.pr_id is null then 'no' else 'yes' end`;
      return { group: [pr], label: pr };
    }
    case 'day': {
      const d = day(source.dialect, sql`s.triggered_us`);
      return { group: [d], label: d };
    }
    case 'week': {
      const week = isoWeek(source.dialect, sql`s.triggered_us`);
      return { group: [week], label: week };
    }
    default:
      return plain(dimension);
  }
}

const count = (condition: RawBuilder<unknown>) => sql`sum(case when ${condition} then 1 else 0 end)`;

/** Percentile columns `<prefix>_p50/_p90/_p95/_max` of `value`. */
function percentileColumns(source: ReportSource, value: RawBuilder<unknown>, prefix: string) {
  return [
    sql`${percentileCont(source.dialect, value, 0.5)} as ${sql.ref(`${prefix}_p50`)}`,
    sql`${percentileCont(source.dialect, value, 0.9)} as ${sql.ref(`${prefix}_p90`)}`,
    sql`${percentileCont(source.dialect, value, 0.95)} as ${sql.ref(`${prefix}_p95`)}`,
    sql`max(${value}) as ${sql.ref(`${prefix}_max`)}`,
  ];
}

interface Grouping {
  dimensions: Dimension[];
  select: RawBuilder<unknown>[];
  groupBy: RawBuilder<unknown>;
}

function grouping(source: ReportSource, by: readonly Dimension[]): Grouping {
  const dimensions = groupDimensions(by);
  const columns = dimensions.map((d) => dimensionColumns(d, source));
  const keys = columns.flatMap((c) => c.group);
  return {
    dimensions,
    select: [
      ...columns.map((c, i) => sql`${c.label} as ${sql.ref(`g${i}`)}`),
      ...keys.map((k, i) => sql`${k} as ${sql.ref(`k${i}`)}`),
    ],
    groupBy: keys.length > 0 ? sql`group by ${sql.join(keys)}` : sql``,
  };
}

export async function report(source: ReportSource, query: ReportQuery): Promise<ReportRow[]> {
  const metrics = new Set([...BASE_METRICS, ...(query.metrics ?? [])]);
  const group = grouping(source, query.by);
  const fromRollups =
    !query.exact &&
    (await rollupsAnswer(source, query.filter, group.dimensions, metrics)) &&
    (await selectsMoreThan(source, query.filter, query.exactLimit ?? EXACT_LIMIT));
  const [main, recovery] = await Promise.all([
    fromRollups
      ? rollupAggregates(source, query.filter, group.dimensions, metrics)
      : mainAggregates(source, query.filter, group, metrics),
    metrics.has('recovery') ? recoveryAggregates(source, query.filter, group) : Promise.resolve(null),
  ]);
  const recoveryByKey = new Map(recovery?.map((r) => [groupKey(r), r]));
  const percentiles: PercentileSource = fromRollups ? 'sketch' : 'exact';
  const rows = main.map((raw) =>
    toReportRow(raw, recoveryByKey.get(groupKey(raw)), group.dimensions, metrics, percentiles),
  );
  // An empty selection still aggregates to one row of zeros, which is the right total.
  return rows.sort(compareGroups(group.dimensions));
}

/** Whether the filter selects more than `limit` runs, reading at most `limit + 1` of them. */
async function selectsMoreThan(source: ReportSource, filter: RunFilter, limit: number): Promise<boolean> {
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from (${selectedRuns(filter)} limit ${limit + 1}) counted`.execute(source.db);
  return Number(rows[0]?.n ?? 0) > limit;
}

async function mainAggregates(
  source: ReportSource,
  filter: RunFilter,
  group: Grouping,
  metrics: Set<MetricGroup>,
): Promise<Record<string, unknown>[]> {
  const cls = sql`s.classification`;
  // A run of unknown status is counted and kept out of every rate and percentile (DESIGN.md).
  const known = sql`s.status <> 'unknown'`;
  const flaky = metrics.has('flaky');
  const columns = [
    ...group.select,
    sql`count(*) as runs`,
    sql`${count(sql`${cls} = 'success'`)} as success`,
    sql`${count(sql`${cls} in ('failure', 'infra_failure')`)} as failure`,
    sql`${count(sql`${cls} = 'aborted_manual'`)} as aborted_manual`,
    sql`${count(sql`${cls} = 'aborted_auto'`)} as aborted_auto`,
    sql`${count(sql`${cls} = 'infra_failure'`)} as infra_failure`,
    sql`${count(sql`${cls} = 'skipped'`)} as skipped`,
    sql`${count(sql`${cls} is null and ${known}`)} as running`,
    sql`${count(sql`s.status = 'blocked'`)} as blocked`,
    sql`${count(sql`not ${known}`)} as unknown`,
    ...percentileColumns(source, sql`case when ${cls} = 'success' then s.duration_s end`, 'duration_s'),
    ...percentileColumns(source, sql`case when ${known} then s.queue_s end`, 'queue_s'),
    ...(metrics.has('setup')
      ? percentileColumns(source, sql`case when ${known} then s.setup_s end`, 'setup_s')
      : []),
    ...(metrics.has('credits') ? [sql`sum(s.cost) as credits`, sql`avg(s.cost) as credits_per_run`] : []),
    ...(flaky
      ? [
          sql`${count(
            sql`(${cls} = 'failure' and fc.commit_sha is not null) or (rt.run_key is not null and ${cls} in ('success', 'failure'))`,
          )} as flaky_runs`,
        ]
      : []),
  ];
  // A commit is flaky when the same workflow both failed and succeeded on it; a run is flaky when it is
  // such a failure, or when one of its jobs passed on a retry of a failed job (Buildkite).
  const flakyCtes = sql`,
    flaky_commits as (
      select connection_id, project_key, workflow, commit_sha from sel
      where commit_sha is not null and classification in ('success', 'failure')
      group by connection_id, project_key, workflow, commit_sha
      having count(distinct classification) = 2
    ),
    passed_on_retry as (
      select distinct j.connection_id, j.run_key from jobs j
      join jobs o on o.connection_id = j.connection_id and o.key = j.retry_of
      where j.retry_of is not null and j.status = 'succeeded' and j.soft_failed = 0 and o.status = 'failed'
    )`;
  const flakyJoins = sql`
    left join flaky_commits fc on fc.connection_id = s.connection_id and fc.project_key = s.project_key
      and fc.workflow = s.workflow and fc.commit_sha = s.commit_sha
    left join passed_on_retry rt on rt.connection_id = s.connection_id and rt.run_key = s.key`;
  const result = await sql<Record<string, unknown>>`
    with sel as (${selectedRuns(filter)})${flaky ? flakyCtes : sql``}
    select ${sql.join(columns)}
    from sel s ${flaky ? flakyJoins : sql``}
    ${group.groupBy}
  `.execute(source.db);
  return result.rows;
}

/**
 * Failure streaks per connection, project, workflow and branch, in trigger order: a streak starts at a
 * failure after a success (or at the first run) and ends at the next success. Grouped by the dimensions of
 * its first failure. Aborted and skipped runs neither start nor end a streak.
 */
async function recoveryAggregates(
  source: ReportSource,
  filter: RunFilter,
  group: Grouping,
): Promise<Record<string, unknown>[]> {
  const lane = sql`connection_id, project_key, workflow, branch`;
  const recovery = sql`case when s.recovered_us is not null then cast(
    case when s.recovered_us < s.finished_us then 0 else s.recovered_us - s.finished_us end
    as double precision) / 1000000 end`;
  const result = await sql<Record<string, unknown>>`
    with sel as (${selectedRuns(filter)}),
    seq as (
      select q.*, sum(case when q.classification = 'success' then 1 else 0 end)
        over (partition by ${lane} order by q.triggered_us, q.key rows between unbounded preceding and current row)
        as successes
      from sel q
      where q.branch is not null and q.classification in ('success', 'failure', 'infra_failure')
    ),
    failures as (
      select f.*, row_number() over (partition by ${lane}, successes order by f.triggered_us, f.key) as nth
      from seq f where f.classification <> 'success'
    ),
    incidents as (
      select f.*, ok.finished_us as recovered_us
      from failures f
      left join seq ok on ok.classification = 'success' and ok.connection_id = f.connection_id
        and ok.project_key = f.project_key and ok.workflow = f.workflow and ok.branch = f.branch
        and ok.successes = f.successes + 1
      where f.nth = 1
    )
    select ${sql.join([
      ...group.select,
      sql`count(s.recovered_us) as recovery_incidents`,
      sql`${count(sql`s.recovered_us is null`)} as recovery_open`,
      sql`${percentileCont(source.dialect, recovery, 0.5)} as recovery_s_p50`,
    ])}
    from incidents s
    ${group.groupBy}
  `.execute(source.db);
  return result.rows;
}

/** The identity of a group: its key columns (k0, k1, …), which tell apart groups that share a label. */
function groupKey(raw: Record<string, unknown>): string {
  const keys: unknown[] = [];
  for (let i = 0; `k${i}` in raw; i++) keys.push(raw[`k${i}`] ?? null);
  return JSON.stringify(keys.map((k) => (typeof k === 'bigint' ? Number(k) : k)));
}

type N = number | null;

const toNumber = (value: unknown): N => (value === null || value === undefined ? null : Number(value));
const ratio = (part: number, whole: number): N => (whole === 0 ? null : part / whole);

function toReportRow(
  raw: Record<string, unknown>,
  recovery: Record<string, unknown> | undefined,
  dimensions: Dimension[],
  metrics: Set<MetricGroup>,
  percentiles: PercentileSource,
): ReportRow {
  const n = (field: string) => Number(raw[field] ?? 0);
  const success = n('success');
  const failure = n('failure');
  const infraFailure = n('infra_failure');
  const aborted = n('aborted_manual') + n('aborted_auto');
  const skipped = n('skipped');
  const runs = n('runs');
  const running = n('running');
  const unknown = n('unknown');
  const finished = runs - running - unknown;
  const measured = (prefix: string): Record<string, N> =>
    Object.fromEntries(percentileFields(prefix).map((f) => [f, toNumber(raw[f])]));
  const row = {
    runs,
    success,
    failure,
    infra_failure: infraFailure,
    aborted,
    skipped,
    running,
    blocked: n('blocked'),
    unknown,
    success_rate: ratio(success, success + failure),
    success_rate_without_infra: ratio(success, success + failure - infraFailure),
    ...measured('duration_s'),
    queue_s_p50: toNumber(raw.queue_s_p50),
    queue_s_p95: toNumber(raw.queue_s_p95),
    percentiles,
  } as ReportRow;
  if (metrics.has('queue')) Object.assign(row, measured('queue_s'));
  if (metrics.has('rates')) {
    Object.assign(row, {
      aborted_manual: n('aborted_manual'),
      aborted_auto: n('aborted_auto'),
      failure_rate: ratio(failure, success + failure),
      abort_rate: ratio(aborted, finished),
      skip_rate: ratio(skipped, finished),
    });
  }
  if (metrics.has('setup')) Object.assign(row, measured('setup_s'));
  if (metrics.has('recovery')) {
    Object.assign(row, {
      recovery_incidents: Number(recovery?.recovery_incidents ?? 0),
      recovery_open: Number(recovery?.recovery_open ?? 0),
      recovery_s_p50: toNumber(recovery?.recovery_s_p50),
    });
  }
  if (metrics.has('flaky')) {
    Object.assign(row, {
      flaky_runs: n('flaky_runs'),
      flaky_rate: ratio(n('flaky_runs'), success + failure),
    });
  }
  if (metrics.has('credits')) {
    Object.assign(row, { credits: toNumber(raw.credits), credits_per_run: toNumber(raw.credits_per_run) });
  }
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
