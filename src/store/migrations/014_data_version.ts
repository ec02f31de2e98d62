// The store's data version (src/store/data-version.ts): one row, bumped in the same transaction as every
// write that changes what reports read, so any process (each serve replica, the CLI) learns that reports
// changed by reading one integer. It starts at the creation time in microseconds rather than at zero, so a
// store created later (a restore, a fresh database behind the same URL) does not repeat an older store's
// versions, which caches keyed on it would take for unchanged data.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('data_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into data_version (id, version) values (1, ${Date.now() * 1000})`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('data_version').execute();
}
