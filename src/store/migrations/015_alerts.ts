// Alerts (docs/alerts.md): each rule's state per subject (a project, a workflow, or its whole scope), so an
// alert fires once and resolves once however many processes evaluate it, and the outbox of messages to
// destinations with each delivery's attempts and last error.
import type { Kysely } from 'kysely';
import { autoIdType, dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_states')
    .addColumn('rule', 'text', (c) => c.notNull())
    // The subject's labels as stable JSON ({"connection":…,"project":…}); {} for a whole scope.
    .addColumn('subject', 'text', (c) => c.notNull())
    // ok or firing: a transition is claimed by a conditional update from the other state.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('previous', 'double precision')
    .addColumn('runs', 'integer')
    .addColumn('evaluated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_states_pk', ['rule', 'subject'])
    .execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', autoIdType(dialectOf(db)), (c) => c.primaryKey())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    // firing or resolved.
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    // The message as JSON (src/alerts/message.ts), rendered per destination when it is sent: no secret.
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // pending, sent or failed.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // Set by the process sending it; a pending delivery claimed long ago is taken over (its sender died).
    .addColumn('claimed_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('alert_deliveries_state')
    .on('alert_deliveries')
    .columns(['state', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_deliveries').execute();
  await db.schema.dropTable('alert_states').execute();
}
