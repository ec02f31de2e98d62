// Flaky commits and jobs behind the report's flaky figures, with dates and links to the provider's pages:
// a commit on which the same workflow both failed and passed, and a job that passed on a retry of a failed
// one. The ranking of jobs and workflows by flake rate is flaky-ranking.ts.
import { sql } from 'kysely';
import type { RunFilter } from '../domain/model.js';
import { selectedRuns } from './selection.js';
import type { ReportSource } from './vocabulary.js';

export interface FlakyCommit {
  connection: string;
  project: string;
  workflow: string;
  commit_sha: string;
  /** The branch of its latest run. */
  branch: string | null;
  failures: number;
  successes: number;
  last_triggered_at: string;
  /** A failed and a passed run of it, on the provider's web site. */
  failed_url: string | null;
  passed_url: string | null;
}

/** A job that passed on a retry of a failed attempt: one entry per job, its newest such run linked. */
export interface FlakyJob {
  connection: string;
  project: string;
  workflow: string;
  job: string;
  /** How many times it passed on a retry of a failed attempt. */
  times: number;
  /** The newest of those runs. */
  run_number: number | null;
  triggered_at: string;
  failed_url: string | null;
  passed_url: string | null;
}

export interface FlakyList {
  commits: FlakyCommit[];
  jobs: FlakyJob[];
}

export async function flakyList(source: ReportSource, filter: RunFilter, limit: number): Promise<FlakyList> {
  const commits = await sql<FlakyCommit>`
    with sel as (${selectedRuns(filter)})
    select max(s.connection_name) as connection, max(coalesce(s.project_name, s.project_key)) as project,
      s.workflow, s.commit_sha,
      max(s.branch) as branch,
      sum(case when s.classification = 'failure' then 1 else 0 end) as failures,
      sum(case when s.classification = 'success' then 1 else 0 end) as successes,
      max(s.triggered_at) as last_triggered_at,
      max(case when s.classification = 'failure' then s.web_url end) as failed_url,
      max(case when s.classification = 'success' then s.web_url end) as passed_url
    from sel s
    where s.commit_sha is not null and s.classification in ('success', 'failure')
    group by s.connection_id, s.project_key, s.workflow, s.commit_sha
    having count(distinct s.classification) = 2
    order by max(s.triggered_us) desc, s.commit_sha
    limit ${limit}
  `.execute(source.db);
  // One entry per job (project, workflow, name), not per run: a job that keeps flaking shows once, with
  // how often and its newest run.
  const jobs = await sql<FlakyJob>`
    with sel as (${selectedRuns(filter)}),
    passed as (
      select s.connection_id, s.project_key, s.connection_name as connection,
        coalesce(s.project_name, s.project_key) as project, s.workflow, s.number as run_number, j.name as job,
        s.triggered_at, s.triggered_us, j.key, o.web_url as failed_url, j.web_url as passed_url,
        count(*) over (partition by s.connection_id, s.project_key, s.workflow, j.name) as times,
        row_number() over (
          partition by s.connection_id, s.project_key, s.workflow, j.name order by s.triggered_us desc, j.key
        ) as nth
      from jobs j
      join jobs o on o.connection_id = j.connection_id and o.key = j.retry_of
      join sel s on s.connection_id = j.connection_id and s.key = j.run_key
      where j.retry_of is not null and j.status = 'succeeded' and j.soft_failed = 0 and o.status = 'failed'
    )
    select connection, project, workflow, job, times, run_number, triggered_at, failed_url, passed_url
    from passed where nth = 1
    order by triggered_us desc, key
    limit ${limit}
  `.execute(source.db);
  return {
    commits: commits.rows.map((c) => ({
      ...c,
      failures: Number(c.failures),
      successes: Number(c.successes),
    })),
    jobs: jobs.rows.map((j) => ({
      ...j,
      times: Number(j.times),
      run_number: j.run_number === null ? null : Number(j.run_number),
    })),
  };
}
