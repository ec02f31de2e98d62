// Jobs get a classification like runs; runs get their finish time as epoch microseconds (recovery time is
// measured between finishes); indexes for flaky-commit and retried-job look-ups.
import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('classification', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('classified_by', 'text').execute();
  await db.schema.alterTable('runs').addColumn('finished_us', 'bigint').execute();
  // Same value isoToMicros gives: providers send whole seconds or milliseconds for finish times.
  const micros =
    dialectOf(db) === 'postgres'
      ? sql`(extract(epoch from finished_at::timestamptz) * 1000000)::bigint`
      : sql`cast(round(unixepoch(finished_at, 'subsec') * 1000000) as integer)`;
  await sql`update runs set finished_us = ${micros} where finished_at is not null`.execute(db);

  await db.schema
    .createIndex('runs_commit')
    .on('runs')
    .columns(['connection_id', 'project_key', 'workflow', 'commit_sha'])
    .execute();
  await db.schema
    .createIndex('jobs_retries')
    .on('jobs')
    .columns(['connection_id', 'run_key'])
    .where(sql.ref('retry_of'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_retries').execute();
  await db.schema.dropIndex('runs_commit').execute();
  await db.schema.alterTable('runs').dropColumn('finished_us').execute();
  await db.schema.alterTable('jobs').dropColumn('classified_by').execute();
  await db.schema.alterTable('jobs').dropColumn('classification').execute();
}
