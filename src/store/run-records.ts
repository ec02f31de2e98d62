// Runs and projects as documents: the snake_case records `buildlens runs --format json|csv` prints and
// /api/runs and /api/projects answer with. One definition, so the CLI and the API cannot drift apart.
import { z } from 'zod';
import { CLASSIFICATIONS, PROVIDERS, RUN_STATUSES, TRIGGERS } from '../domain/model.js';
import { DEFAULT_BRANCH_SOURCES } from './default-branch.js';
import { type ListedProject, listProjects } from './projects.js';
import { type ListedRun, listRuns, type RunQuery } from './runs.js';
import type { Store } from './store.js';

const text = z.string().nullable();
const seconds = z.number().nullable();

export const projectRecord = z.object({
  connection: z.string(),
  provider: z.enum(PROVIDERS),
  key: z.string(),
  name: z.string(),
  owner: text,
  repo_url: text,
  web_url: text.describe('The project’s page on the provider’s website'),
  default_branch: text.describe(
    'The branch default-branch views select; null when none is set, given by the provider or inferable',
  ),
  default_branch_source: z
    .enum(DEFAULT_BRANCH_SOURCES)
    .nullable()
    .describe(
      'setting: set with `buildlens projects default-branch`; provider: the pipeline’s; inferred: the most-built of main, master, develop, trunk on push runs',
    ),
});
export type ProjectRecord = z.infer<typeof projectRecord>;

export const runRecord = z.object({
  connection: z.string(),
  provider: z.enum(PROVIDERS),
  project: text.describe('Name of the project (null when the project is not in the store)'),
  project_key: z.string(),
  key: z.string(),
  kind: z.enum(['build', 'pipeline']),
  number: z.number().nullable(),
  workflow: z.string(),
  branch: text,
  commit_sha: text,
  message: text,
  trigger: z.enum(TRIGGERS),
  pr_id: text,
  tag: text,
  actor: text,
  status: z.enum(RUN_STATUSES),
  provider_status: z.string(),
  classification: z.enum(CLASSIFICATIONS).nullable(),
  classified_by: text.describe('Name of the rule that set the classification'),
  reason: text,
  aborted_by: text,
  triggered_at: z.string(),
  started_at: text,
  finished_at: text,
  queue_s: seconds,
  duration_s: seconds,
  setup_s: seconds,
  cost: seconds,
  machine: text,
  stack: text,
  agent_queue: text.describe('Buildkite agent queue of the run’s command jobs; null for Bitrise'),
  web_url: text.describe('The run’s page on the provider’s website'),
});
export type RunRecord = z.infer<typeof runRecord>;

/** Field names in print order: the csv header. */
export const RUN_RECORD_FIELDS = Object.keys(runRecord.shape) as (keyof RunRecord)[];

export const runRecordPage = z.object({
  runs: z.array(runRecord),
  next_cursor: text.describe('Pass as `cursor` for the next page; null on the last page'),
});
export type RunRecordPage = z.infer<typeof runRecordPage>;

export function toProjectRecord(p: ListedProject): ProjectRecord {
  return {
    connection: p.connection,
    provider: p.provider,
    key: p.key,
    name: p.name,
    owner: p.owner,
    repo_url: p.repoUrl,
    web_url: p.webUrl,
    default_branch: p.defaultBranch,
    default_branch_source: p.defaultBranchSource,
  };
}

export function toRunRecord(r: ListedRun, project: string | null): RunRecord {
  return {
    connection: r.connection,
    provider: r.provider,
    project,
    project_key: r.projectKey,
    key: r.key,
    kind: r.kind,
    number: r.number,
    workflow: r.workflow,
    branch: r.branch,
    commit_sha: r.commitSha,
    message: r.message,
    trigger: r.trigger,
    pr_id: r.prId,
    tag: r.tag,
    actor: r.actor,
    status: r.status,
    provider_status: r.providerStatus,
    classification: r.classification,
    classified_by: r.classifiedBy,
    reason: r.reason,
    aborted_by: r.abortedBy,
    triggered_at: r.triggeredAt,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    queue_s: r.queueS,
    duration_s: r.durationS,
    setup_s: r.setupS,
    cost: r.cost,
    machine: r.machine,
    stack: r.stack,
    agent_queue: r.agentQueue,
    web_url: r.webUrl,
  };
}

export async function listProjectRecords(store: Store): Promise<ProjectRecord[]> {
  return (await listProjects(store)).map(toProjectRecord);
}

/** Project names by connection and key, for naming runs (the store lists runs by project key). */
export async function projectNames(store: Store): Promise<(run: ListedRun) => string | null> {
  const id = (connection: string, key: string) => JSON.stringify([connection, key]);
  const names = new Map((await listProjects(store)).map((p) => [id(p.connection, p.key), p.name]));
  return (run) => names.get(id(run.connection, run.projectKey)) ?? null;
}

/** One page of runs matching `query`, newest first, as records. */
export async function listRunRecords(
  store: Store,
  query: RunQuery,
  page: { limit: number; cursor?: string | null },
  nameOf?: (run: ListedRun) => string | null,
): Promise<RunRecordPage> {
  const [listed, name] = await Promise.all([listRuns(store, query, page), nameOf ?? projectNames(store)]);
  return { runs: listed.runs.map((r) => toRunRecord(r, name(r))), next_cursor: listed.nextCursor };
}
