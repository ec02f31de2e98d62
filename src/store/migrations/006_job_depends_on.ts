// What a job waited for within its run (Job.dependsOn): a JSON array of job names, null when the provider
// does not say. Bitrise DAG pipelines give it per workflow; staged pipelines imply it by stage order.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('depends_on', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('depends_on').execute();
}
