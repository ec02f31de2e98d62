// Bitrise payloads → the common model. Pure: the same payload always gives the same rows, so a stored raw
// payload can be normalized again offline. Status mapping follows ci-apis.md §5.1, durations DESIGN.md.
import type { Job, Project, Run, RunStatus, Trigger } from '../../domain/model.js';
import { secondsBetween, waitSeconds } from '../time.js';
import type { App, Build, PipelineShow, PipelineStatus, PipelineWorkflow } from './wire.js';

const WEB = 'https://app.bitrise.io';

export const buildWebUrl = (buildSlug: string) => `${WEB}/build/${buildSlug}`;
export const pipelineWebUrl = (appSlug: string, pipelineId: string) =>
  `${WEB}/app/${appSlug}/pipelines/${pipelineId}`;

export function normalizeApp(app: App): Project {
  return {
    key: app.slug,
    name: app.title,
    owner: app.owner?.slug ?? null,
    repoUrl: app.repo_url ?? null,
    webUrl: `${WEB}/app/${app.slug}`,
  };
}

/** A standalone build (one not run as a pipeline workflow) is a run of its own. */
export function normalizeBuild(appSlug: string, build: Build): Run {
  const prId = pullRequestId(build.pull_request_id);
  const tag = build.tag || null;
  return {
    key: build.slug,
    projectKey: appSlug,
    kind: 'build',
    number: build.build_number,
    workflow: build.triggered_workflow,
    branch: build.branch ?? null,
    commitSha: build.commit_hash ?? null,
    message: build.commit_message ?? null,
    trigger: triggerOf(prId, tag, build.triggered_by),
    prId,
    tag,
    actor: actorOf(build.triggered_by),
    ...buildStatus(build),
    reason: build.abort_reason ?? null,
    abortedBy: abortedBy(build.abort_reason),
    triggeredAt: build.triggered_at,
    startedAt: build.started_on_worker_at ?? null,
    finishedAt: build.finished_at ?? null,
    queueS: waitSeconds(build.triggered_at, build.started_on_worker_at),
    // Bitrise's own "build time" starts when the environment is ready (§1.11).
    durationS: secondsBetween(build.environment_prepare_finished_at, build.finished_at),
    setupS: secondsBetween(build.started_on_worker_at, build.environment_prepare_finished_at),
    cost: build.credit_cost ?? null,
    machine: build.machine_type_id ?? null,
    stack: build.stack_identifier ?? null,
    agentQueue: null,
    webUrl: buildWebUrl(build.slug),
  };
}

/** A pipeline is one run; each of its workflow builds is a job of that run, never a run of its own. */
export function normalizePipeline(appSlug: string, pipeline: PipelineShow): { run: Run; jobs: Job[] } {
  const params = pipeline.trigger_params;
  const prId = pullRequestId(params?.pull_request_id);
  const tag = params?.tag ? String(params.tag) : null;
  const run: Run = {
    key: pipeline.id,
    projectKey: appSlug,
    kind: 'pipeline',
    number: pipeline.number_in_app_scope ?? null,
    workflow: pipeline.name,
    // Trigger params are plain Go strings: "" means none.
    branch: params?.branch || null,
    commitSha: params?.commit_hash || null,
    message: params?.commit_message || null,
    trigger: triggerOf(prId, tag, pipeline.triggered_by),
    prId,
    tag,
    actor: actorOf(pipeline.triggered_by),
    status: PIPELINE_STATUS[pipeline.status as PipelineStatus] ?? 'unknown',
    providerStatus: pipeline.status,
    reason: pipeline.abort_reason || null,
    abortedBy: abortedBy(pipeline.abort_reason),
    triggeredAt: pipeline.triggered_at,
    startedAt: pipeline.started_at ?? null,
    finishedAt: pipeline.finished_at ?? null,
    queueS: waitSeconds(pipeline.triggered_at, pipeline.started_at),
    durationS: secondsBetween(pipeline.started_at, pipeline.finished_at),
    setupS: null,
    cost: pipeline.credit_cost ?? null,
    // The pipeline show response names no machine or stack; its workflow builds do, but they come
    // from the builds list later in the sync, so a pipeline run has neither.
    machine: null,
    stack: null,
    agentQueue: null,
    webUrl: pipelineWebUrl(appSlug, pipeline.id),
  };
  const workflows = (pipeline.stages ?? []).flatMap((stage) => stage.workflows ?? []);
  // A workflow that has not started a build yet has no key; it becomes a job once its build exists.
  const jobs = workflows.flatMap((workflow) =>
    workflow.external_id ? [workflowJob(pipeline.id, workflow.external_id, workflow)] : [],
  );
  return { run, jobs };
}

function workflowJob(runKey: string, buildSlug: string, workflow: PipelineWorkflow): Job {
  return {
    key: buildSlug,
    runKey,
    name: workflow.name,
    status: workflowStatus(workflow),
    providerStatus: workflow.status,
    startedAt: workflow.started_at ?? null,
    finishedAt: workflow.finished_at ?? null,
    queueS: null,
    durationS: secondsBetween(workflow.started_at, workflow.finished_at),
    agent: null,
    machine: null,
    stack: null,
    agentQueue: null,
    exitStatus: null,
    softFailed: false,
    retried: false,
    retryOf: null,
    cost: workflow.credit_cost ?? null,
    webUrl: buildWebUrl(buildSlug),
    reason: workflow.startFailureReason || null,
  };
}

const PIPELINE_STATUS: Record<PipelineStatus, RunStatus> = {
  initializing: 'queued',
  on_hold: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  aborted: 'aborted',
  // The pipeline counterpart of build status 4: counted as aborted (§5.1 policy); the raw value stays.
  succeeded_with_abort: 'aborted',
};

/** Workflow status strings are unconfirmed (§2.2): the pipeline ones are mapped, others are `unknown`. */
function workflowStatus(workflow: PipelineWorkflow): RunStatus {
  return PIPELINE_STATUS[workflow.status as PipelineStatus] ?? 'unknown';
}

function buildStatus(build: Build): Pick<Run, 'status' | 'providerStatus'> {
  switch (build.status) {
    case 0:
      if (build.is_on_hold) return { status: 'queued', providerStatus: 'on-hold' };
      // Policy (§5.1): "in progress" but no worker yet is still waiting.
      return { status: build.started_on_worker_at ? 'running' : 'queued', providerStatus: 'in-progress' };
    case 1:
      return { status: 'succeeded', providerStatus: '1' };
    case 2:
      return { status: 'failed', providerStatus: '2' };
    case 3:
    case 4:
      // 3 aborted, 4 aborted with success (§5.1 policy: aborted; classification may call it skipped).
      return { status: 'aborted', providerStatus: String(build.status) };
    default:
      return { status: 'unknown', providerStatus: String(build.status) };
  }
}

/** Bitrise sends 0 (builds) or any JSON (pipeline trigger params) when there is no pull request. */
function pullRequestId(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const id = String(value).trim();
  return id === '' || id === '0' ? null : id;
}

/**
 * How the run started. A pull request or a tag says it first; otherwise `triggered_by`: `webhook` is a git
 * push, `schedule…` the scheduler, `manual…` / `ui` a person in the web UI, and anything else (`curl`,
 * `api…`, null or an unknown value) a call to the API.
 */
function triggerOf(prId: string | null, tag: string | null, triggeredBy: string | null | undefined): Trigger {
  if (prId) return 'pull_request';
  if (tag) return 'tag';
  const by = (triggeredBy ?? '').toLowerCase();
  if (by.startsWith('webhook')) return 'push';
  if (by.startsWith('schedule')) return 'schedule';
  if (by.startsWith('manual') || by === 'ui') return 'manual';
  return 'api';
}

/** The only person Bitrise names as a trigger: `manual-<username>` for a build started in the web UI. */
function actorOf(triggeredBy: string | null | undefined): string | null {
  return /^manual-(.+)$/.exec(triggeredBy ?? '')?.[1] ?? null;
}

/** API and UI aborts read "User <name> requested to abort this build with reason: …" (§1.9). */
function abortedBy(reason: string | null | undefined): string | null {
  return /^User (.+?) requested to abort/.exec(reason ?? '')?.[1] ?? null;
}
