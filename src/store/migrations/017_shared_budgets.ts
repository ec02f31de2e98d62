// The state several processes share on PostgreSQL (DESIGN.md "Ingestion paths"): the providers' rate-limit
// budgets every worker draws from, and each connection's sync schedule, so it survives restarts.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_budgets')
    // e.g. `buildkite org https://api.buildkite.com acme`; a token appears only as a short hash.
    .addColumn('key', 'text', (c) => c.primaryKey())
    // Requests a window allows; null: no limit known (Bitrise), only back-offs apply.
    .addColumn('limit_count', 'integer')
    .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('window_ms', 'integer', (c) => c.notNull())
    // Epoch milliseconds: when the current window ends, and until when nobody sends (a 429's back-off).
    .addColumn('ends_at_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('blocked_until_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('sync_schedules')
    .addColumn('connection_id', 'integer', (c) =>
      c.primaryKey().references('connections.id').onDelete('cascade'),
    )
    .addColumn('every_s', 'integer', (c) => c.notNull())
    .addColumn('next_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sync_schedules').execute();
  await db.schema.dropTable('rate_budgets').execute();
}
