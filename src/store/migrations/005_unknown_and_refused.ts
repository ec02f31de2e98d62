// Real provider data (DESIGN.md "Meanings that change numbers"): rollups count runs of an unknown status
// apart from unfinished ones, and payloads refused as runs are kept apart for inspection, one row per
// distinct payload of a connection (a payload refused again at the next sync is the same row).
import type { Kysely } from 'kysely';
import { autoIdType, dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  // No run had the status `unknown` before this version: every stored grain's count is 0.
  await db.schema
    .alterTable('run_rollups')
    .addColumn('unknown', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('refused_payloads')
    .addColumn('id', autoIdType(dialectOf(db)), (c) => c.primaryKey())
    .addColumn('connection_id', 'integer', (c) =>
      c.notNull().references('connections.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('refused_payloads_content', ['connection_id', 'content_hash'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('refused_payloads').execute();
  await db.schema.alterTable('run_rollups').dropColumn('unknown').execute();
}
