// The Buildkite agent queue of runs and jobs (null for Bitrise), so reports can group and filter by it; and
// a job's own reason text (Buildkite signal/broken reason, Bitrise start failure), which user rules match.
// No index on agent_queue: like machine and stack it has few values, and reports select by time first.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('agent_queue', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('agent_queue', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('reason', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('reason').execute();
  await db.schema.alterTable('jobs').dropColumn('agent_queue').execute();
  await db.schema.alterTable('runs').dropColumn('agent_queue').execute();
}
