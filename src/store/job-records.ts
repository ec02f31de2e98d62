// Jobs as documents: the snake_case records `buildlens jobs --format json|csv` prints and
// /api/runs/{key}/jobs answers with. A run's jobs come in the order they started; a listing over many runs
// comes newest run first.
import { sql } from 'kysely';
import { z } from 'zod';
import { CLASSIFICATIONS, PROVIDERS, type Provider, RUN_STATUSES } from '../domain/model.js';
import { jobFromRow } from './rows.js';
import { checkRunExists, type LevelQuery } from './run-scope.js';
import { runFilterConditions } from './runs.js';
import type { Store } from './store.js';

const text = z.string().nullable();
const seconds = z.number().nullable();

export const jobRecord = z.object({
  connection: z.string(),
  provider: z.enum(PROVIDERS),
  project_key: z.string(),
  workflow: z.string().describe('The run’s workflow (Bitrise pipeline or workflow, Buildkite pipeline)'),
  run_key: z.string(),
  run_triggered_at: z.string(),
  key: z.string(),
  name: z.string(),
  status: z.enum(RUN_STATUSES),
  provider_status: z.string(),
  classification: z.enum(CLASSIFICATIONS).nullable(),
  started_at: text,
  finished_at: text,
  duration_s: seconds,
  queue_s: seconds,
  depends_on: z.array(z.string()).describe('Names of the jobs it waited for; empty when none or not known'),
  on_critical_path: z.boolean().describe('On its run’s critical path (docs/metrics.md "Critical path")'),
  retried: z.boolean().describe('A newer execution of the same job replaced it'),
  retry_of: text,
  agent: text,
  machine: text,
  agent_queue: text,
  exit_status: z.number().nullable(),
  soft_failed: z.boolean(),
  reason: text,
  web_url: text.describe('The job’s page on the provider’s website'),
});
export type JobRecord = z.infer<typeof jobRecord>;

/** Field names in print order: the csv header. */
export const JOB_RECORD_FIELDS = Object.keys(jobRecord.shape) as (keyof JobRecord)[];

/** Jobs of the runs `query` selects: a run's in start order, runs newest first; at most `limit`. */
export async function listJobRecords(store: Store, query: LevelQuery, limit: number): Promise<JobRecord[]> {
  await checkRunExists(store, query);
  const conditions = runFilterConditions(query);
  if (query.levelStatus?.length)
    conditions.push(sql<boolean>`j.status in (${sql.join(query.levelStatus.map((s) => sql`${s}`))})`);
  const rows = await store.db
    .selectFrom('jobs as j')
    .innerJoin('runs as r', (join) =>
      join.onRef('r.connection_id', '=', 'j.connection_id').onRef('r.key', '=', 'j.run_key'),
    )
    .innerJoin('connections as c', 'c.id', 'j.connection_id')
    .leftJoin('projects as p', (join) =>
      join.onRef('p.connection_id', '=', 'r.connection_id').onRef('p.key', '=', 'r.project_key'),
    )
    .selectAll('j')
    .select([
      'c.name as connection_name',
      'c.provider as connection_provider',
      'r.project_key as run_project_key',
      'r.workflow as run_workflow',
      'r.triggered_at as run_triggered_at',
    ])
    .where((eb) => eb.and(conditions))
    .orderBy('r.triggered_us', 'desc')
    .orderBy('r.key', 'desc')
    .orderBy('r.connection_id', 'desc')
    // Jobs that never started come after those that did, in both engines.
    .orderBy(sql`case when j.started_at is null then 1 else 0 end`)
    .orderBy('j.started_at')
    .orderBy('j.key')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const job = jobFromRow(row);
    return {
      connection: row.connection_name,
      provider: row.connection_provider as Provider,
      project_key: row.run_project_key,
      workflow: row.run_workflow,
      run_key: job.runKey,
      run_triggered_at: row.run_triggered_at,
      key: job.key,
      name: job.name,
      status: job.status,
      provider_status: job.providerStatus,
      classification: job.classification,
      started_at: job.startedAt,
      finished_at: job.finishedAt,
      duration_s: job.durationS,
      queue_s: job.queueS,
      depends_on: job.dependsOn ?? [],
      on_critical_path: Number(row.on_critical_path) === 1,
      retried: job.retried,
      retry_of: job.retryOf,
      agent: job.agent,
      machine: job.machine,
      agent_queue: job.agentQueue,
      exit_status: job.exitStatus,
      soft_failed: job.softFailed,
      reason: job.reason,
      web_url: job.webUrl,
    };
  });
}
