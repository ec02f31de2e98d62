// Bitrise payloads → the common model. Pure: the same payload always gives the same rows, so a stored raw
// payload can be normalized again offline. Status mapping follows ci-apis.md §5.1, durations DESIGN.md.
import type { Job, Project, Run, RunStatus, Trigger } from '../../domain/model.js';
import { secondsBetween, waitSeconds } from '../time.js';
import type { App, Build, PipelineShow, PipelineStatus, PipelineWorkflow } from './wire.js';

const WEB = 'https://app.bitrise.io';
/** The name of a build or pipeline whose payload gave none. */
export const UNNAMED = '(unnamed)';

export const buildWebUrl = (buildSlug: string) => `${WEB}/build/${buildSlug}`;
export const pipelineWebUrl = (appSlug: string, pipelineId: string) =>
  `${WEB}/app/${appSlug}/pipelines/${pipelineId}`;

export function normalizeApp(app: App): Project {
  return {
    key: app.slug,
    name: app.title || app.slug,
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
    workflow: build.triggered_workflow || UNNAMED,
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
    machine: machineOf(build),
    stack: build.stack_identifier ?? null,
    agentQueue: null,
    webUrl: buildWebUrl(build.slug),
  };
}

/**
 * A pipeline is one run; each of its workflows is a job of that run, never a run of its own. Workflows
 * come from `stages[]` (staged pipelines) or the top-level `workflows[]` (`"type": "dag"`). A workflow
 * that did not run (skipped, or never started in a finished pipeline) is a job without a build; one still
 * waiting in an unfinished pipeline becomes a job once its build exists. `earlierBuilds` are the workflow
 * builds of the pipeline's earlier attempts (reruns): they are jobs too, marked retried (DESIGN.md
 * "Bitrise pipeline reruns").
 */
export function normalizePipeline(
  appSlug: string,
  pipeline: PipelineShow,
  earlierBuilds: readonly Build[] = [],
): { run: Run; jobs: Job[] } {
  const params = pipeline.trigger_params;
  const prId = pullRequestId(params?.pull_request_id);
  const tag = params?.tag ? String(params.tag) : null;
  const run: Run = {
    key: pipeline.id,
    projectKey: appSlug,
    kind: 'pipeline',
    number: pipeline.number_in_app_scope ?? null,
    workflow: pipeline.name || UNNAMED,
    // Trigger params are plain Go strings: "" means none.
    branch: params?.branch || null,
    commitSha: params?.commit_hash || null,
    message: params?.commit_message || null,
    trigger: triggerOf(prId, tag, pipeline.triggered_by),
    prId,
    tag,
    actor: actorOf(pipeline.triggered_by),
    // The show's status is its current (latest) attempt's: the outcome DESIGN.md gives a rerun pipeline.
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
    // The pipeline show response names no machine or stack; its workflow builds do, but the sync does not
    // read them one by one, so a pipeline run has neither.
    machine: null,
    stack: null,
    agentQueue: null,
    webUrl: pipelineWebUrl(appSlug, pipeline.id),
  };
  const finished = Boolean(pipeline.finished_at);
  const current = workflowsOf(pipeline).filter(
    ({ workflow }) => workflow.external_id || finished || ranNot(workflow),
  );
  const currentKeys = new Set(current.map(({ workflow }) => workflow.external_id).filter(Boolean));
  const earlier = earlierBuilds
    .filter((b) => !currentKeys.has(b.slug))
    .sort((a, b) => a.triggered_at.localeCompare(b.triggered_at));
  // Each execution of a workflow name retries the one before it: earlier attempts first, then the current.
  const lastOf = new Map<string, Job>();
  const jobs: Job[] = [];
  const chain = (job: Job) => {
    const previous = lastOf.get(job.name);
    if (previous) {
      previous.retried = true;
      job.retryOf = previous.key;
    }
    lastOf.set(job.name, job);
    jobs.push(job);
  };
  for (const build of earlier) chain(earlierAttemptJob(pipeline.id, build));
  for (const { workflow, dependsOn } of current) chain(workflowJob(pipeline.id, workflow, dependsOn));
  return { run, jobs };
}

/** Final without a build: skipped by the DAG, or refused a start. */
const ranNot = (workflow: PipelineWorkflow) =>
  workflow.status === 'skipped' || Boolean(workflow.startFailureReason);

/**
 * The workflows of either shape, each with what it waited for: a DAG workflow's own `depends_on`, a stage's
 * workflows every workflow of the stage before (stages run one after another).
 */
function workflowsOf(pipeline: PipelineShow): { workflow: PipelineWorkflow; dependsOn: string[] }[] {
  const present = <T>(items: readonly (T | null | undefined)[] | null | undefined): T[] =>
    (items ?? []).filter((item): item is T => item !== null && item !== undefined);
  if (pipeline.workflows) {
    return present(pipeline.workflows).map((workflow) => ({
      workflow,
      dependsOn: workflow.depends_on ?? [],
    }));
  }
  let before: string[] = [];
  return present(pipeline.stages).flatMap((stage) => {
    const workflows = present(stage.workflows);
    const listed = workflows.map((workflow) => ({ workflow, dependsOn: before }));
    before = workflows.map((w) => w.name || UNNAMED);
    return listed;
  });
}

function workflowJob(runKey: string, workflow: PipelineWorkflow, dependsOn: string[]): Job {
  const buildSlug = workflow.external_id || null;
  const name = workflow.name || UNNAMED;
  return {
    // A workflow that has no build is known by its own id, else by its name within the run.
    key: buildSlug ?? workflow.id ?? `${runKey}/${name}`,
    runKey,
    name,
    status: workflowStatus(workflow.status),
    providerStatus: workflow.status ?? '',
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
    webUrl: buildSlug ? buildWebUrl(buildSlug) : null,
    reason: workflow.startFailureReason || null,
    dependsOn,
  };
}

/** A workflow build of an earlier attempt, read from the builds list (the show lists the current attempt). */
function earlierAttemptJob(runKey: string, build: Build): Job {
  const { status, providerStatus } = buildStatus(build);
  return {
    key: build.slug,
    runKey,
    name: build.triggered_workflow || UNNAMED,
    status,
    providerStatus,
    startedAt: build.started_on_worker_at ?? null,
    finishedAt: build.finished_at ?? null,
    queueS: null,
    // Measured like the current attempt's workflows, whose times are the build's worker start and finish.
    durationS: secondsBetween(build.started_on_worker_at, build.finished_at),
    agent: null,
    machine: machineOf(build),
    stack: build.stack_identifier ?? null,
    agentQueue: null,
    exitStatus: null,
    softFailed: false,
    retried: false,
    retryOf: null,
    cost: build.credit_cost ?? null,
    webUrl: buildWebUrl(build.slug),
    reason: build.abort_reason ?? null,
    // The builds list does not say what a workflow waited for.
    dependsOn: null,
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

/** Workflow statuses are the pipeline ones plus `skipped` (a DAG workflow not run); others are unknown. */
function workflowStatus(status: string | null | undefined): RunStatus {
  if (status === 'skipped') return 'skipped';
  return PIPELINE_STATUS[status as PipelineStatus] ?? 'unknown';
}

function buildStatus(build: Build): Pick<Run, 'status' | 'providerStatus'> {
  switch (build.status) {
    case 0: {
      const providerStatus = build.is_on_hold ? 'on-hold' : 'in-progress';
      // Policy (§5.1): "in progress" but no worker yet is still waiting.
      if (build.is_on_hold || !build.started_on_worker_at) return { status: 'queued', providerStatus };
      return { status: 'running', providerStatus };
    }
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

/** Current builds name their machine type; older ones only the legacy `stack_config_type` (`standard1`). */
function machineOf(build: Build): string | null {
  return build.machine_type_id || build.stack_config_type || null;
}

/** Bitrise sends 0 (builds) or any JSON (pipeline trigger params) when there is no pull request. */
function pullRequestId(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const id = String(value).trim();
  return id === '' || id === '0' ? null : id;
}

/**
 * How the run started. A pull request or a tag says it first; otherwise `triggered_by`: `webhook…`
 * (`webhook`, `webhook-github/<user>`) is a git push, `schedule…` the scheduler, `manual…` / `ui` a person
 * in the web UI, and anything else (`curl`, `api…`, null or an unknown value) a call to the API.
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

/**
 * The person Bitrise names as a trigger: `manual-<user>` for a build started in the web UI, and the git
 * host's user after the source in `webhook-github/<user>`.
 */
function actorOf(triggeredBy: string | null | undefined): string | null {
  const by = triggeredBy ?? '';
  return /^manual-(.+)$/.exec(by)?.[1] ?? /^webhook[^/]*\/(.+)$/.exec(by)?.[1] ?? null;
}

/** API and UI aborts read "User <name> requested to abort this build with reason: …" (§1.9). */
function abortedBy(reason: string | null | undefined): string | null {
  return /^User (.+?) requested to abort/.exec(reason ?? '')?.[1] ?? null;
}
