// Steps as documents: the snake_case records `buildlens steps --format json|csv` prints and
// /api/runs/{key}/steps answers with. A run's steps come job by job (in the order the jobs started), each
// job's in its own order; a listing over many runs comes newest run first.
import { sql } from 'kysely';
import { z } from 'zod';
import { PROVIDERS, type Provider, RUN_STATUSES } from '../domain/model.js';
import { NotFoundError } from './errors.js';
import { stepFromRow } from './rows.js';
import { checkRunExists, type LevelQuery } from './run-scope.js';
import { runFilterConditions } from './runs.js';
import type { Store } from './store.js';

const text = z.string().nullable();

export const stepRecord = z.object({
  connection: z.string(),
  provider: z.enum(PROVIDERS),
  project_key: z.string(),
  workflow: z.string(),
  run_key: z.string(),
  run_triggered_at: z.string(),
  job_key: text.describe('The job it ran in; null for a Bitrise standalone build’s steps'),
  job: text.describe('Name of that job'),
  key: z.string(),
  name: z.string().describe('Bitrise step title; Buildkite step key, else label'),
  step_id: text.describe('Bitrise library step (git-clone, script); Buildkite step key'),
  position: z.number().int(),
  status: z.enum(RUN_STATUSES),
  provider_status: z.string(),
  started_at: text,
  finished_at: text,
  duration_s: z.number().nullable(),
});
export type StepRecord = z.infer<typeof stepRecord>;

/** Field names in print order: the csv header. */
export const STEP_RECORD_FIELDS = Object.keys(stepRecord.shape) as (keyof StepRecord)[];

export interface StepQuery extends LevelQuery {
  /** Only the steps of this job. */
  job?: string;
}

/** Steps of the runs (or the job) `query` selects, newest run first; at most `limit`. */
export async function listStepRecords(store: Store, query: StepQuery, limit: number): Promise<StepRecord[]> {
  await checkRunExists(store, query);
  const conditions = runFilterConditions(query);
  if (query.job !== undefined) {
    await checkJobExists(store, query.job);
    conditions.push(sql<boolean>`s.job_key = ${query.job}`);
  }
  if (query.levelStatus?.length)
    conditions.push(sql<boolean>`s.status in (${sql.join(query.levelStatus.map((v) => sql`${v}`))})`);
  const rows = await store.db
    .selectFrom('steps as s')
    .innerJoin('runs as r', (join) =>
      join.onRef('r.connection_id', '=', 's.connection_id').onRef('r.key', '=', 's.run_key'),
    )
    .innerJoin('connections as c', 'c.id', 's.connection_id')
    .leftJoin('projects as p', (join) =>
      join.onRef('p.connection_id', '=', 'r.connection_id').onRef('p.key', '=', 'r.project_key'),
    )
    .leftJoin('jobs as j', (join) =>
      join.onRef('j.connection_id', '=', 's.connection_id').onRef('j.key', '=', 's.job_key'),
    )
    .selectAll('s')
    .select([
      'c.name as connection_name',
      'c.provider as connection_provider',
      'r.project_key as run_project_key',
      'r.workflow as run_workflow',
      'r.triggered_at as run_triggered_at',
      'j.name as job_name',
      'j.started_at as job_started_at',
    ])
    .where((eb) => eb.and(conditions))
    .orderBy('r.triggered_us', 'desc')
    .orderBy('r.key', 'desc')
    .orderBy('r.connection_id', 'desc')
    .orderBy(sql`case when j.started_at is null then 1 else 0 end`)
    .orderBy('j.started_at')
    .orderBy('s.job_key')
    .orderBy('s.position')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const step = stepFromRow(row);
    return {
      connection: row.connection_name,
      provider: row.connection_provider as Provider,
      project_key: row.run_project_key,
      workflow: row.run_workflow,
      run_key: step.runKey,
      run_triggered_at: row.run_triggered_at,
      job_key: step.jobKey,
      job: row.job_name,
      key: step.key,
      name: step.name,
      step_id: step.stepId,
      position: step.position,
      status: step.status,
      provider_status: step.providerStatus,
      started_at: step.startedAt,
      finished_at: step.finishedAt,
      duration_s: step.durationS,
    };
  });
}

async function checkJobExists(store: Store, key: string): Promise<void> {
  const found = await store.db
    .selectFrom('jobs')
    .select('key')
    .where('key', '=', key)
    .limit(1)
    .executeTakeFirst();
  if (!found) throw new NotFoundError(`no job "${key}" matches`);
}
