// Domain objects to table rows and back. Pure. Every written row carries a hash of its content so a
// batch can skip rows that have not changed.
import { createHash } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import { jsonText } from '../domain/json.js';
import type {
  Classification,
  ClassifiedJob,
  ClassifiedRun,
  Job,
  Project,
  RawPayload,
  RefusedPayload,
  Run,
  RunStatus,
  Step,
  Trigger,
} from '../domain/model.js';
import { storedText } from '../domain/text.js';
import type {
  JobsTable,
  ProjectsTable,
  RawPayloadsTable,
  RefusedPayloadsTable,
  RunsTable,
  StepsTable,
} from './schema.js';
import { isoToMicros } from './time.js';

/** Provider text as a normalized column keeps it: no escape sequences or controls (raw payloads keep all). */
function text<T extends string | null>(value: T, lines = false): T {
  return (value === null ? null : storedText(value, lines)) as T;
}

/**
 * Credits a run can plausibly cost: a negative one is no cost, and a huge one (1.79e308) would make every
 * sum Infinity, printed as `Infinity` in CSV and `null` in JSON. Anything else is stored as null.
 */
const MAX_COST = 1e9;
function cost(value: number | null): number | null {
  return value !== null && Number.isFinite(value) && value >= 0 && value <= MAX_COST ? value : null;
}

function hashOf(content: unknown): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url');
}

export function projectRow(connectionId: number, project: Project): Insertable<ProjectsTable> {
  return {
    connection_id: connectionId,
    key: project.key,
    name: text(project.name),
    owner: text(project.owner),
    repo_url: text(project.repoUrl),
    web_url: text(project.webUrl),
    default_branch: text(project.defaultBranch ?? null),
  };
}

export function runRow(connectionId: number, run: ClassifiedRun): Insertable<RunsTable> {
  const content = {
    key: run.key,
    project_key: run.projectKey,
    kind: run.kind,
    number: run.number,
    workflow: text(run.workflow),
    branch: text(run.branch),
    commit_sha: text(run.commitSha),
    message: text(run.message, true),
    trigger: run.trigger,
    pr_id: text(run.prId),
    tag: text(run.tag),
    actor: text(run.actor),
    status: run.status,
    provider_status: text(run.providerStatus),
    reason: text(run.reason),
    aborted_by: text(run.abortedBy),
    triggered_at: run.triggeredAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    triggered_us: isoToMicros(run.triggeredAt),
    finished_us: run.finishedAt === null ? null : isoToMicros(run.finishedAt),
    queue_s: run.queueS,
    duration_s: run.durationS,
    setup_s: run.setupS,
    cost: cost(run.cost),
    machine: text(run.machine),
    stack: text(run.stack),
    agent_queue: text(run.agentQueue),
    web_url: text(run.webUrl),
    classification: run.classification,
    classified_by: run.classifiedBy,
  };
  return { connection_id: connectionId, ...content, content_hash: hashOf(content) };
}

export function runFromRow(row: Selectable<RunsTable>): ClassifiedRun {
  return {
    key: row.key,
    projectKey: row.project_key,
    kind: row.kind as Run['kind'],
    number: row.number,
    workflow: row.workflow,
    branch: row.branch,
    commitSha: row.commit_sha,
    message: row.message,
    trigger: row.trigger as Trigger,
    prId: row.pr_id,
    tag: row.tag,
    actor: row.actor,
    status: row.status as RunStatus,
    providerStatus: row.provider_status,
    reason: row.reason,
    abortedBy: row.aborted_by,
    triggeredAt: row.triggered_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    queueS: row.queue_s,
    durationS: row.duration_s,
    setupS: row.setup_s,
    cost: row.cost,
    machine: row.machine,
    stack: row.stack,
    agentQueue: row.agent_queue,
    webUrl: row.web_url,
    classification: row.classification as Classification | null,
    classifiedBy: row.classified_by,
  };
}

/** Jobs written without a classification (not classified yet) store null. */
export function jobRow(connectionId: number, job: Job & Partial<ClassifiedJob>): Insertable<JobsTable> {
  const content = {
    key: job.key,
    run_key: job.runKey,
    name: text(job.name),
    status: job.status,
    provider_status: text(job.providerStatus),
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    queue_s: job.queueS,
    duration_s: job.durationS,
    agent: text(job.agent),
    machine: text(job.machine),
    stack: text(job.stack),
    agent_queue: text(job.agentQueue),
    exit_status: job.exitStatus,
    soft_failed: job.softFailed ? 1 : 0,
    retried: job.retried ? 1 : 0,
    retry_of: job.retryOf,
    cost: cost(job.cost),
    web_url: text(job.webUrl),
    reason: text(job.reason),
    depends_on: job.dependsOn === null ? null : JSON.stringify(job.dependsOn.map((name) => text(name))),
    classification: job.classification ?? null,
    classified_by: job.classifiedBy ?? null,
  };
  return { connection_id: connectionId, ...content, content_hash: hashOf(content) };
}

export function rawRow(connectionId: number, raw: RawPayload): Insertable<RawPayloadsTable> {
  const payload = jsonText(raw.payload);
  return {
    connection_id: connectionId,
    kind: raw.kind,
    key: raw.key,
    payload,
    content_hash: hashOf(payload),
  };
}

/** A refused payload, identified by its content: the same payload refused again is the same row. */
export function refusedRow(
  connectionId: number,
  refused: RefusedPayload,
  seenAt: string,
): Insertable<RefusedPayloadsTable> {
  const payload = jsonText(refused.payload);
  return {
    connection_id: connectionId,
    kind: refused.kind,
    key: refused.key,
    reason: refused.reason,
    payload,
    content_hash: hashOf([refused.kind, payload]),
    first_seen_at: seenAt,
    last_seen_at: seenAt,
  };
}

export function jobFromRow(row: Selectable<JobsTable>): ClassifiedJob {
  return {
    key: row.key,
    runKey: row.run_key,
    name: row.name,
    status: row.status as RunStatus,
    providerStatus: row.provider_status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    queueS: row.queue_s,
    durationS: row.duration_s,
    agent: row.agent,
    machine: row.machine,
    stack: row.stack,
    agentQueue: row.agent_queue,
    exitStatus: row.exit_status,
    softFailed: row.soft_failed === 1,
    retried: row.retried === 1,
    retryOf: row.retry_of,
    cost: row.cost,
    webUrl: row.web_url,
    reason: row.reason,
    dependsOn: row.depends_on === null ? null : (JSON.parse(row.depends_on) as string[]),
    classification: row.classification as Classification | null,
    classifiedBy: row.classified_by,
  };
}

export function stepRow(connectionId: number, step: Step): Insertable<StepsTable> {
  const content = {
    key: step.key,
    run_key: step.runKey,
    job_key: step.jobKey,
    name: text(step.name),
    step_id: text(step.stepId),
    position: step.position,
    status: step.status,
    provider_status: text(step.providerStatus),
    started_at: step.startedAt,
    finished_at: step.finishedAt,
    started_us: step.startedAt === null ? null : isoToMicros(step.startedAt),
    duration_s: step.durationS,
  };
  return { connection_id: connectionId, ...content, content_hash: hashOf(content) };
}

export function stepFromRow(row: Selectable<StepsTable>): Step {
  return {
    key: row.key,
    runKey: row.run_key,
    jobKey: row.job_key,
    name: row.name,
    stepId: row.step_id,
    position: row.position,
    status: row.status as RunStatus,
    providerStatus: row.provider_status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationS: row.duration_s,
  };
}
