// The first schema: connections and everything imported through them. Deleting a connection deletes
// all of its rows (foreign keys with cascade).
import { type Kysely, sql } from 'kysely';
import { autoIdType, dialectOf } from '../dialect.js';

const CONNECTION_FK = 'connections.id';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('connections')
    .addColumn('id', autoIdType(dialectOf(db)), (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('org', 'text')
    .addColumn('token_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('projects')
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('repo_url', 'text')
    .addColumn('web_url', 'text')
    .addPrimaryKeyConstraint('projects_pk', ['connection_id', 'key'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('number', 'integer')
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('branch', 'text')
    .addColumn('commit_sha', 'text')
    .addColumn('message', 'text')
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('pr_id', 'text')
    .addColumn('tag', 'text')
    .addColumn('actor', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('aborted_by', 'text')
    .addColumn('triggered_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('triggered_us', 'bigint', (c) => c.notNull())
    .addColumn('queue_s', 'double precision')
    .addColumn('duration_s', 'double precision')
    .addColumn('setup_s', 'double precision')
    .addColumn('cost', 'double precision')
    .addColumn('machine', 'text')
    .addColumn('stack', 'text')
    .addColumn('web_url', 'text')
    .addColumn('classification', 'text')
    .addColumn('classified_by', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('runs_pk', ['connection_id', 'key'])
    .execute();
  // Reports filter by connection, project and time, or by time alone.
  await db.schema
    .createIndex('runs_project_time')
    .on('runs')
    .columns(['connection_id', 'project_key', 'triggered_us'])
    .execute();
  await db.schema.createIndex('runs_time').on('runs').column('triggered_us').execute();
  // Partial: every sync looks up the few unfinished runs among many finished ones. The statuses are
  // written out (not imported) so this migration never changes.
  await db.schema
    .createIndex('runs_unfinished')
    .on('runs')
    .column('connection_id')
    .where(sql.ref('status'), 'in', ['queued', 'running', 'blocked'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('run_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('queue_s', 'double precision')
    .addColumn('duration_s', 'double precision')
    .addColumn('agent', 'text')
    .addColumn('machine', 'text')
    .addColumn('stack', 'text')
    .addColumn('exit_status', 'integer')
    .addColumn('soft_failed', 'integer', (c) => c.notNull())
    .addColumn('retried', 'integer', (c) => c.notNull())
    .addColumn('retry_of', 'text')
    .addColumn('cost', 'double precision')
    .addColumn('web_url', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('jobs_pk', ['connection_id', 'key'])
    .execute();
  await db.schema.createIndex('jobs_run').on('jobs').columns(['connection_id', 'run_key']).execute();

  await db.schema
    .createTable('raw_payloads')
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('raw_payloads_pk', ['connection_id', 'kind', 'key'])
    .execute();

  await db.schema
    .createTable('sync_state')
    .addColumn('connection_id', 'integer', (c) =>
      c.primaryKey().references(CONNECTION_FK).onDelete('cascade'),
    )
    .addColumn('state', 'text')
    .addColumn('last_started_at', 'text')
    .addColumn('last_finished_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_summary', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['sync_state', 'raw_payloads', 'jobs', 'runs', 'projects', 'connections']) {
    await db.schema.dropTable(table).execute();
  }
}
