// Webhooks: a connection's webhook secret (encrypted like its token), and the inbox, the durable record of
// every delivery accepted, written before the provider is answered and processed afterwards (DESIGN.md
// "Ingestion paths"). A delivery's digest makes a repeat a no-op; a Buildkite signature can be used once.
import type { Kysely } from 'kysely';
import { autoIdType, dialectOf } from '../dialect.js';

const CONNECTION_FK = 'connections.id';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('connection_id', 'integer', (c) =>
      c.primaryKey().references(CONNECTION_FK).onDelete('cascade'),
    )
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // Runs the reconciling syncs found that no delivery had brought, since the webhook was set up.
    .addColumn('missed_runs', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('webhook_inbox')
    .addColumn('id', autoIdType(dialectOf(db)), (c) => c.primaryKey())
    .addColumn('connection_id', 'integer', (c) => c.notNull().references(CONNECTION_FK).onDelete('cascade'))
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    // sha256 of event and body: the same delivery twice is stored once.
    .addColumn('digest', 'text', (c) => c.notNull())
    // Buildkite signature mode: `timestamp,signature`, refused when seen again.
    .addColumn('signature', 'text')
    // The run or build the delivery names (Buildkite build id, Bitrise build slug), and whether it says
    // that one finished: what reconciliation compares a sync's findings with.
    .addColumn('subject', 'text')
    .addColumn('final', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('processed_at', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('webhook_inbox_digest')
    .on('webhook_inbox')
    .columns(['connection_id', 'digest'])
    .unique()
    .execute();
  await db.schema
    .createIndex('webhook_inbox_signature')
    .on('webhook_inbox')
    .columns(['connection_id', 'signature'])
    .unique()
    .execute();
  await db.schema.createIndex('webhook_inbox_state').on('webhook_inbox').columns(['state', 'id']).execute();
  await db.schema
    .createIndex('webhook_inbox_subject')
    .on('webhook_inbox')
    .columns(['connection_id', 'subject'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_inbox').execute();
  await db.schema.dropTable('webhooks').execute();
}
