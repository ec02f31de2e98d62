// A project's default branch: the provider's (Buildkite pipelines carry `default_branch`), and the one a
// person set (Bitrise apps carry none). Where neither is known, src/store/default-branch.ts infers it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('default_branch', 'text').execute();
  await db.schema.alterTable('projects').addColumn('default_branch_setting', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').dropColumn('default_branch_setting').execute();
  await db.schema.alterTable('projects').dropColumn('default_branch').execute();
}
