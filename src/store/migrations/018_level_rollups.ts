// Level rollups: per run grain (connection, project, workflow, UTC day of the run) and job or step name,
// what `report --by job|step` needs (src/store/level-rollups.ts), so a report over millions of steps reads
// thousands of rows. Run grains gain the runs' summed duration, which a level's wall share divides by.
// Both are built from the rows of the dirty run grains, which every stored run's grain becomes here.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  let rollups = db.schema
    .createTable('level_rollups')
    .addColumn('connection_id', 'integer', (c) =>
      c.notNull().references('connections.id').onDelete('cascade'),
    )
    .addColumn('project_key', 'text', (c) => c.notNull())
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('day_us', 'bigint', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull());
  for (const count of ['executions', 'succeeded', 'failed', 'critical', 'finals']) {
    rollups = rollups.addColumn(count, 'integer', (c) => c.notNull());
  }
  for (const sum of ['time_s', 'time_lost_s']) {
    rollups = rollups.addColumn(sum, 'double precision', (c) => c.notNull());
  }
  await rollups
    .addColumn('duration_max', 'double precision')
    .addColumn('duration_sketch', 'text', (c) => c.notNull())
    // A report reads one level of a project over a range of days.
    .addPrimaryKeyConstraint('level_rollups_pk', [
      'connection_id',
      'project_key',
      'level',
      'day_us',
      'workflow',
      'name',
    ])
    .execute();
  await db.schema.alterTable('run_rollups').addColumn('duration_sum', 'double precision').execute();
  // `where true`: SQLite reads `on conflict` after a bare `from runs` as a join's constraint.
  await sql`insert into rollup_dirty (connection_id, project_key, workflow, day_us)
    select distinct connection_id, project_key, workflow, (triggered_us / 86400000000) * 86400000000
    from runs where true
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('run_rollups').dropColumn('duration_sum').execute();
  await db.schema.dropTable('level_rollups').execute();
}
