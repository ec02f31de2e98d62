// Jobs and workflows ranked by how flaky they are (DESIGN.md "Flakiness"). A flaky execution is a failed
// execution of a job that a retry of the same job in the same run then passed (Buildkite retried jobs,
// Bitrise pipeline attempts); each retry is an execution. Time lost is the summed duration of the failed
// executions that were retried, whatever the retry then did.
import { type RawBuilder, sql } from 'kysely';
import type { RunFilter } from '../domain/model.js';
import { day, isoWeek } from '../store/dialect.js';
import { selectedRuns } from './selection.js';
import type { ReportSource } from './vocabulary.js';

export const FLAKY_RANKINGS = ['job', 'workflow'] as const;
export type FlakyRanking = (typeof FLAKY_RANKINGS)[number];

/** A flaky execution, newest first: the failed attempt and the retry that passed. */
export interface FlakyExample {
  run_number: number | null;
  triggered_at: string;
  failed_url: string | null;
  passed_url: string | null;
}

export interface FlakyTrendPoint {
  /** The day (`2026-03-02`) or ISO week (`2026-W10`) of the runs' trigger time, UTC. */
  bucket: string;
  executions: number;
  flaky: number;
}

export interface FlakyRank {
  connection: string;
  project: string;
  workflow: string;
  /** The job's name; null when ranking workflows. */
  job: string | null;
  /** Job executions that ended passed or failed (each retry is one). */
  executions: number;
  /** Failed executions that a later retry of the same job in the same run passed. */
  flaky: number;
  /** flaky / executions. */
  flake_rate: number;
  /** Summed duration of the failed executions that were retried. */
  time_lost_s: number;
  /** Trigger time of the newest run with a flaky execution. */
  last_seen_at: string;
  /** The newest flaky executions (at most three). */
  examples: FlakyExample[];
  /** Executions and flaky ones per bucket with any execution, oldest first; when a bucket was asked for. */
  trend?: FlakyTrendPoint[];
}

export interface FlakyRankingQuery {
  filter: RunFilter;
  by: FlakyRanking;
  limit: number;
  /** Adds each entry's trend per day or ISO week. */
  bucket?: 'day' | 'week';
}

const EXAMPLES = 3;
/** Retry chains deeper than this are cut: a provider's retry links must never loop the query forever. */
const MAX_RETRIES = 50;

/** The columns an entry is keyed by: its project and workflow, and for jobs the job's name. */
const keyColumns = (by: FlakyRanking) =>
  by === 'job'
    ? ['connection_id', 'project_key', 'workflow', 'name']
    : ['connection_id', 'project_key', 'workflow'];

/**
 * Executions of the selected runs' jobs with what became of them: `retried` (a retry of it exists) and
 * `flaky` (failed, and a later retry in its chain passed), plus the newest passing retry's page.
 */
function executions(filter: RunFilter) {
  return sql`
    sel as (${selectedRuns(filter)}),
    ex as (
      select j.connection_id, j.key, j.name, j.status, j.duration_s, j.web_url, s.project_key,
        coalesce(s.project_name, s.project_key) as project, s.connection_name, s.workflow, s.number,
        s.triggered_at, s.triggered_us
      from sel s join jobs j on j.connection_id = s.connection_id and j.run_key = s.key
      where j.status in ('succeeded', 'failed')
    ),
    lineage(connection_id, key, ancestor, depth) as (
      select j.connection_id, j.key, j.retry_of, 1
      from sel s join jobs j on j.connection_id = s.connection_id and j.run_key = s.key
      where j.retry_of is not null
      union all
      select l.connection_id, l.key, p.retry_of, l.depth + 1
      from lineage l join jobs p on p.connection_id = l.connection_id and p.key = l.ancestor
      where p.retry_of is not null and l.depth < ${MAX_RETRIES}
    ),
    retries as (
      select l.connection_id, l.ancestor as key,
        max(case when d.status = 'succeeded' and d.soft_failed = 0 then 1 else 0 end) as passed,
        max(case when d.status = 'succeeded' and d.soft_failed = 0 then d.web_url end) as passed_url
      from lineage l join jobs d on d.connection_id = l.connection_id and d.key = l.key
      group by l.connection_id, l.ancestor
    ),
    outcome as (
      select e.*,
        case when e.status = 'failed' and rt.key is not null then 1 else 0 end as retried,
        case when e.status = 'failed' and rt.passed = 1 then 1 else 0 end as flaky,
        rt.passed_url
      from ex e left join retries rt on rt.connection_id = e.connection_id and rt.key = e.key
    )`;
}

const refs = (columns: string[], alias: string) => columns.map((c) => sql.ref(`${alias}.${c}`));
const whole = (value: unknown) => Number(value ?? 0);

export async function flakyRanking(source: ReportSource, query: FlakyRankingQuery): Promise<FlakyRank[]> {
  const keys = keyColumns(query.by);
  const groupBy = sql.join(refs(keys, 'o'));
  const { rows } = await sql<Record<string, unknown>>`
    with recursive ${executions(query.filter)}
    select ${groupBy}, max(o.connection_name) as connection, max(o.project) as project,
      count(*) as executions, sum(o.flaky) as flaky,
      sum(case when o.retried = 1 then coalesce(o.duration_s, 0) else 0 end) as time_lost_s,
      max(case when o.flaky = 1 then o.triggered_at end) as last_seen_at
    from outcome o
    group by ${groupBy}
    having sum(o.flaky) > 0
  `.execute(source.db);
  const ranks = rows.map((r) => ({
    key: JSON.stringify(keys.map((k) => (typeof r[k] === 'bigint' ? Number(r[k]) : r[k]))),
    rank: {
      connection: String(r.connection),
      project: String(r.project),
      workflow: String(r.workflow),
      job: query.by === 'job' ? String(r.name) : null,
      executions: whole(r.executions),
      flaky: whole(r.flaky),
      flake_rate: whole(r.flaky) / whole(r.executions),
      time_lost_s: whole(r.time_lost_s),
      last_seen_at: String(r.last_seen_at),
      examples: [] as FlakyExample[],
    } as FlakyRank,
  }));
  ranks.sort((a, b) => compareRanks(a.rank, b.rank));
  const shown = ranks.slice(0, query.limit);
  const byKey = new Map(shown.map((r) => [r.key, r.rank]));
  const keyOf = (r: Record<string, unknown>) =>
    JSON.stringify(keys.map((k) => (typeof r[k] === 'bigint' ? Number(r[k]) : r[k])));

  for (const example of await examplesOf(source, query, keys)) {
    byKey.get(keyOf(example))?.examples.push({
      run_number: example.number === null ? null : Number(example.number),
      triggered_at: String(example.triggered_at),
      failed_url: (example.web_url as string | null) ?? null,
      passed_url: (example.passed_url as string | null) ?? null,
    });
  }
  if (query.bucket) {
    for (const rank of byKey.values()) rank.trend = [];
    for (const point of await trendOf(source, query, keys, query.bucket)) {
      byKey.get(keyOf(point))?.trend?.push({
        bucket: String(point.bucket),
        executions: whole(point.executions),
        flaky: whole(point.flaky),
      });
    }
  }
  return shown.map((r) => r.rank);
}

async function examplesOf(source: ReportSource, query: FlakyRankingQuery, keys: string[]) {
  const partition = sql.join(refs(keys, 'o'));
  const { rows } = await sql<Record<string, unknown>>`
    with recursive ${executions(query.filter)},
    numbered as (
      select o.*, row_number() over (partition by ${partition} order by o.triggered_us desc, o.key) as nth
      from outcome o where o.flaky = 1
    )
    select * from numbered where nth <= ${EXAMPLES} order by triggered_us desc, key
  `.execute(source.db);
  return rows;
}

async function trendOf(
  source: ReportSource,
  query: FlakyRankingQuery,
  keys: string[],
  bucket: 'day' | 'week',
) {
  const label: RawBuilder<string> =
    bucket === 'day'
      ? day(source.dialect, sql`o.triggered_us`)
      : isoWeek(source.dialect, sql`o.triggered_us`);
  const groupBy = sql.join(refs(keys, 'o'));
  const { rows } = await sql<Record<string, unknown>>`
    with recursive ${executions(query.filter)}
    select ${groupBy}, ${label} as bucket, count(*) as executions, sum(o.flaky) as flaky
    from outcome o
    group by ${groupBy}, ${label}
    order by ${label}
  `.execute(source.db);
  return rows;
}

const collator = new Intl.Collator('en', { numeric: true });

/** Highest flake rate first, then most flaky executions, most time lost; names settle ties. */
function compareRanks(a: FlakyRank, b: FlakyRank): number {
  return (
    b.flake_rate - a.flake_rate ||
    b.flaky - a.flaky ||
    b.time_lost_s - a.time_lost_s ||
    collator.compare(a.project, b.project) ||
    collator.compare(a.workflow, b.workflow) ||
    collator.compare(a.job ?? '', b.job ?? '') ||
    collator.compare(a.connection, b.connection)
  );
}
