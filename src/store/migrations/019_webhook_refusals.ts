// Refused webhook deliveries counted in the store, so that every server replica shows the same count.
// A server adds what it refused at most every few seconds (src/webhooks/receive.ts), never a write per
// request: a flood of forged requests stays a trickle of writes.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite adds one at a time.
  await db.schema
    .alterTable('webhooks')
    .addColumn('refused', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('webhooks').addColumn('last_refused_at', 'text').execute();
  await db.schema.alterTable('webhooks').addColumn('last_refusal_reason', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['last_refusal_reason', 'last_refused_at', 'refused'])
    await db.schema.alterTable('webhooks').dropColumn(column).execute();
}
