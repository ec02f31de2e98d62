// Coverage (DESIGN.md): each connection records `covered_from`, from when the store holds its runs, so a
// comparison with a previous period is made only over time the store covers. Connections synced before this
// migration get the time of their earliest stored run (the backfill began at or before it), else the end of
// their last successful sync; a connection never synced stays null (nothing covered).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connections').addColumn('covered_from', 'text').execute();
  const earliest = await sql<{ connection_id: number; first_us: number | string }>`
    select connection_id, min(triggered_us) as first_us from runs group by connection_id`.execute(db);
  for (const row of earliest.rows) {
    const from = new Date(Math.floor(Number(row.first_us) / 1000)).toISOString();
    await sql`update connections set covered_from = ${from} where id = ${row.connection_id}`.execute(db);
  }
  await sql`update connections set covered_from = (
      select s.last_finished_at from sync_state s
      where s.connection_id = connections.id and s.last_error is null
    )
    where covered_from is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connections').dropColumn('covered_from').execute();
}
