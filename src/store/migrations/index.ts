// Migrations in order, listed statically so they ship inside the compiled package (no folder scan).
import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './001_initial.js';
import * as classifiedJobs from './002_classified_jobs.js';
import * as agentQueue from './003_agent_queue.js';
import * as rollups from './004_rollups.js';
import * as unknownAndRefused from './005_unknown_and_refused.js';
import * as jobDependsOn from './006_job_depends_on.js';
import * as blockedRollups from './007_blocked_rollups.js';
import * as coverage from './009_coverage.js';
import * as defaultBranch from './010_default_branch.js';
import * as webhooks from './011_webhooks.js';
import * as steps from './012_steps.js';
import * as dataVersion from './014_data_version.js';
import * as alerts from './015_alerts.js';
import * as apiTokens from './016_api_tokens.js';
import * as sharedBudgets from './017_shared_budgets.js';
import * as levelRollups from './018_level_rollups.js';
import * as webhookRefusals from './019_webhook_refusals.js';

const MIGRATIONS: Record<string, Migration> = {
  '001_initial': initial,
  '002_classified_jobs': classifiedJobs,
  '003_agent_queue': agentQueue,
  '004_rollups': rollups,
  '005_unknown_and_refused': unknownAndRefused,
  '006_job_depends_on': jobDependsOn,
  '007_blocked_rollups': blockedRollups,
  '009_coverage': coverage,
  '010_default_branch': defaultBranch,
  '011_webhooks': webhooks,
  '012_steps': steps,
  '014_data_version': dataVersion,
  '015_alerts': alerts,
  '016_api_tokens': apiTokens,
  '017_shared_budgets': sharedBudgets,
  '018_level_rollups': levelRollups,
  '019_webhook_refusals': webhookRefusals,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
