// Rollups: per connection, project, workflow and UTC day, the counts and sketches a report needs, so a
// report over a million runs reads thousands of rows (src/store/rollups.ts). `rollup_dirty` lists the
// day-grains whose runs changed since their rollup was last built; reports skip rollups while any is listed.
import { type Kysely, sql } from 'kysely';

const CONNECTION_FK = 'connections.id';
const GRAIN = ['connection_id', 'project_key', 'workflow', 'day_us'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  let rollups = db.schema
    .createTable('run_rollups')
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('day_us', 'bigint', (c) => c.notNull());
  for (const count of [
    'runs',
    'success',
    'failure',
    'infra_failure',
    'aborted_manual',
    'aborted_auto',
    'skipped',
    'running',
    'cost_n',
  ]) {
    rollups = rollups.addColumn(count, 'integer', (c) => c.notNull());
  }
  for (const value of ['duration_max', 'queue_max', 'setup_max', 'cost_sum']) {
    rollups = rollups.addColumn(value, 'double precision');
  }
  for (const sketch of ['duration_sketch', 'queue_sketch', 'setup_sketch']) {
    rollups = rollups.addColumn(sketch, 'text', (c) => c.notNull());
  }
  await rollups.addPrimaryKeyConstraint('run_rollups_pk', [...GRAIN]).execute();
  await db.schema.createIndex('run_rollups_day').on('run_rollups').column('day_us').execute();

  await db.schema
    .createTable('rollup_dirty')
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('day_us', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rollup_dirty_pk', [...GRAIN])
    .execute();
  // Runs stored before this migration: their grains are built at the next sync's checkpoint.
  await sql`insert into rollup_dirty (connection_id, project_key, workflow, day_us)
    select distinct connection_id, project_key, workflow, (triggered_us / 86400000000) * 86400000000
    from runs`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rollup_dirty').execute();
  await db.schema.dropTable('run_rollups').execute();
}
