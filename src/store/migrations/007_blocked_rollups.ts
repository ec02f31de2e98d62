// Rollups count blocked runs (DESIGN.md "Blocked build": a `blocked` figure beside `running`). Grains that
// hold blocked runs are listed for a rebuild, so the next sync's checkpoint fills the new count in.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('run_rollups')
    .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into rollup_dirty (connection_id, project_key, workflow, day_us)
    select distinct connection_id, project_key, workflow, (triggered_us / 86400000000) * 86400000000
    from runs where status = 'blocked'
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('run_rollups').dropColumn('blocked').execute();
}
