// Steps (Step in src/domain/model.ts): the level below jobs, idempotent like runs. Jobs keep whether they
// are on their run's critical path (src/domain/critical-path.ts), refreshed whenever a run's jobs change;
// jobs stored before this migration get it here. A connection may opt out of fetching steps.
import { type Kysely, sql } from 'kysely';
import { criticalPath } from '../../domain/critical-path.js';

const CONNECTION_FK = 'connections.id';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('steps')
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('run_key', 'text', (c) => c.notNull())
    .addColumn('job_key', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('started_us', 'bigint')
    .addColumn('duration_s', 'double precision')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('steps_pk', ['connection_id', 'key'])
    .execute();
  await db.schema.createIndex('steps_run').on('steps').columns(['connection_id', 'run_key']).execute();
  await db.schema.createIndex('steps_job').on('steps').columns(['connection_id', 'job_key']).execute();
  await db.schema
    .alterTable('jobs')
    .addColumn('on_critical_path', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('connections')
    .addColumn('fetch_steps', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await markStoredPaths(db);
}

/** Critical paths of the runs stored before this migration, run by run. */
async function markStoredPaths(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<JobTimes>`
    select connection_id, run_key, key, name, started_at, finished_at, retried, depends_on
    from jobs order by connection_id, run_key`.execute(db);
  const runs = new Map<string, JobTimes[]>();
  for (const row of rows) {
    const id = JSON.stringify([row.connection_id, row.run_key]);
    const jobs = runs.get(id) ?? [];
    jobs.push(row);
    runs.set(id, jobs);
  }
  for (const jobs of runs.values()) {
    const path = criticalPath(jobs.map(pathJobOf));
    for (const key of path) {
      await sql`update jobs set on_critical_path = 1
        where connection_id = ${jobs[0]?.connection_id} and key = ${key}`.execute(db);
    }
  }
}

interface JobTimes {
  connection_id: number;
  run_key: string;
  key: string;
  name: string;
  started_at: string | null;
  finished_at: string | null;
  retried: number;
  depends_on: string | null;
}

const pathJobOf = (row: JobTimes) => ({
  key: row.key,
  name: row.name,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  retried: Number(row.retried) === 1,
  dependsOn: row.depends_on === null ? null : (JSON.parse(row.depends_on) as string[]),
});

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connections').dropColumn('fetch_steps').execute();
  await db.schema.alterTable('jobs').dropColumn('on_critical_path').execute();
  await db.schema.dropTable('steps').execute();
}
