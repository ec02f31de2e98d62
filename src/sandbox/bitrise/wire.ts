// Bitrise wire shapes (ci-apis.md §1.5–§2.2 and bitrise-openapi.json): field names, nulls where the API
// has them, time formats. `*nulls.String` fields are a string or null; plain Go strings are "" when empty.
import { Random } from '../random.js';
import type { App, User, Workspace } from './catalog.js';
import type { BuildPlan, PipelinePlan, RunPlan, TriggerPlan } from './generate.js';
import type { ArtifactPlan, BitriseWorld, BuildState, PipelineStatus } from './world.js';

/** Whole-second UTC time, as Bitrise reports build times. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Trigger time with microseconds (`2017-08-17T09:10:41.530768Z`). */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = String(us % 1_000_000).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : isoSeconds(ms);
}

/** Pipeline times carry microseconds, as pipelines report them. */
function isoMicrosOrNull(ms: number | null): string | null {
  return ms === null ? null : isoMicros(ms * 1000);
}

export const STATUS_TEXT: Record<BuildState['status'], string> = {
  0: 'in-progress',
  1: 'success',
  2: 'error',
  3: 'aborted',
  4: 'aborted-with-success',
};

export function appWire(app: App) {
  const p = app.profile;
  const host = { github: 'github.com', gitlab: 'gitlab.com', bitbucket: 'bitbucket.org' }[p.provider];
  return {
    slug: app.slug,
    title: app.title,
    project_type: p.projectType,
    provider: p.provider,
    repo_owner: p.repoOwner,
    repo_slug: app.repoSlug,
    repo_url: `git@${host}:${p.repoOwner}/${app.repoSlug}.git`,
    is_disabled: false,
    is_public: app.isPublic,
    is_github_checks_enabled: p.provider === 'github',
    status: 1,
    avatar_url: null,
    owner: { account_type: 'organization', name: app.workspace.name, slug: app.workspace.slug },
  };
}

export function userWire(user: User) {
  return {
    username: user.username,
    slug: user.slug,
    email: user.email,
    unconfirmed_email: '',
    avatar_url: '',
    created_at: user.createdAt,
    data_id: user.dataId,
    has_used_organization_trial: false,
    payment_processor: 'stripe',
  };
}

export function workspaceWire(ws: Workspace) {
  return {
    slug: ws.slug,
    name: ws.name,
    avatar_icon_url: null,
    concurrency_count: ws.concurrency,
    owners: ws.owners.map((o) => ({ slug: o.slug, username: o.username, email: o.email })),
  };
}

function repoWebUrl(app: App): string {
  const p = app.profile;
  const host = {
    github: 'https://github.com',
    gitlab: 'https://gitlab.com',
    bitbucket: 'https://bitbucket.org',
  }[p.provider];
  return `${host}/${p.repoOwner}/${app.repoSlug}`;
}

function commitUrl(app: App, hash: string | null): string | null {
  if (hash === null) return null;
  const path = { github: 'commit', gitlab: '-/commit', bitbucket: 'commits' }[app.profile.provider];
  return `${repoWebUrl(app)}/${path}/${hash}`;
}

function pullRequestUrl(app: App, id: number): string | null {
  if (id === 0) return null;
  const path = { github: 'pull', gitlab: '-/merge_requests', bitbucket: 'pull-requests' }[
    app.profile.provider
  ];
  return `${repoWebUrl(app)}/${path}/${id}`;
}

function creditCost(build: BuildPlan, state: BuildState): number | null {
  if (state.finishedMs === null || state.startedMs === null) return null;
  return Math.ceil((state.finishedMs - state.startedMs) / 60_000) * build.app.profile.creditsPerMinute;
}

/** What the build was triggered with, as the live API gives it (a pull request's id is a string here). */
function originalBuildParams(build: BuildPlan) {
  const t = build.trigger;
  const params: Record<string, unknown> = {};
  if (t.commitHash !== null) params.commit_hash = t.commitHash;
  if (t.commitMessage !== null) params.commit_message = t.commitMessage;
  if (t.branch !== null) params.branch = t.branch;
  if (t.tag !== null) params.tag = t.tag;
  if (t.pullRequestId !== 0) {
    const shown = triggerParams(build.app, t);
    Object.assign(params, {
      branch_repo_owner: shown.branch_repo_owner,
      branch_dest: shown.branch_dest,
      branch_dest_repo_owner: shown.branch_dest_repo_owner,
      pull_request_id: shown.pull_request_id,
      pull_request_repository_url: shown.pull_request_repository_url,
      pull_request_author: shown.pull_request_author,
      pull_request_head_branch: shown.pull_request_head_branch,
      pull_request_unverified_merge_branch: shown.pull_request_unverified_merge_branch,
    });
  }
  params.workflow_id = build.workflow;
  return params;
}

/**
 * The app-scoped build object (`v0.BuildResponseItemModel`), as current accounts send it: UUID slugs,
 * whole-second trigger times, `rebuildable`. Older standalone builds keep the 2017 shape (BuildPlan.legacy).
 */
export interface BuildWire {
  slug: string;
  build_number: number;
  status: BuildState['status'];
  status_text: string;
  is_on_hold: boolean;
  abort_reason: string | null;
  branch: string | null;
  tag: string | null;
  commit_hash: string | null;
  commit_message: string | null;
  commit_view_url: string | null;
  pull_request_id: number;
  pull_request_target_branch: string | null;
  pull_request_view_url: string | null;
  triggered_at: string;
  started_on_worker_at: string | null;
  environment_prepare_finished_at: string | null;
  finished_at: string | null;
  triggered_by: string | null;
  triggered_workflow: string;
  original_build_params: Record<string, unknown>;
  stack_identifier: string | null;
  /** Absent on legacy builds, which name the machine in `stack_config_type`. */
  machine_type_id?: string | null;
  stack_config_type?: string | null;
  credit_cost?: number | null;
  is_processed?: boolean;
  is_status_sent?: boolean;
  log_format?: string;
  rebuildable?: boolean;
  /** Set for builds of a pipeline; "" or absent (by switch) for standalone builds; absent on legacy ones. */
  pipeline_workflow_id?: string;
}

/** What older builds called their machine (ci-apis.md §1.9): the machine type before machine_type_id. */
const LEGACY_MACHINE = 'standard1';

export function buildWire(world: BitriseWorld, build: BuildPlan): BuildWire {
  const state = world.state(build);
  const t = build.trigger;
  const finished = state.finishedMs !== null;
  const common = {
    triggered_at: build.legacy
      ? isoMicros(build.triggeredUs)
      : isoSeconds(Math.floor(build.triggeredUs / 1000)),
    started_on_worker_at: isoOrNull(state.startedMs),
    environment_prepare_finished_at: isoOrNull(state.preparedMs),
    finished_at: isoOrNull(state.finishedMs),
    slug: build.slug,
    status: state.status,
    status_text: state.onHold ? 'on-hold' : STATUS_TEXT[state.status],
    abort_reason: state.abortReason,
    is_on_hold: state.onHold,
    branch: t.branch,
    build_number: build.number,
    commit_hash: t.commitHash,
    commit_message: t.commitMessage,
    tag: t.tag,
    triggered_workflow: build.workflow,
    triggered_by: t.triggeredBy,
  };
  const tail = {
    original_build_params: originalBuildParams(build),
    pull_request_id: t.pullRequestId,
    pull_request_target_branch: t.pullRequestTarget,
    pull_request_view_url: pullRequestUrl(build.app, t.pullRequestId),
    commit_view_url: commitUrl(build.app, t.commitHash),
  };
  if (build.legacy) {
    return {
      ...common,
      stack_config_type: LEGACY_MACHINE,
      stack_identifier: build.app.profile.stack,
      ...tail,
    };
  }
  const wire: BuildWire = {
    ...common,
    is_processed: finished,
    is_status_sent: finished && (t.triggeredBy ?? '').startsWith('webhook'),
    machine_type_id: build.app.profile.machine,
    stack_identifier: build.app.profile.stack,
    ...tail,
    credit_cost: creditCost(build, state),
    log_format: 'json',
    rebuildable: finished,
  };
  if (build.pipeline) wire.pipeline_workflow_id = build.pipeline.workflowId;
  else if (world.switches.standalonePipelineWorkflowId === 'empty') wire.pipeline_workflow_id = '';
  return wire;
}

/** A build in `GET /builds`: no status-sent, log format or pipeline fields, plus the app as `repository`. */
export function buildListAllWire(world: BitriseWorld, build: BuildPlan) {
  const { is_status_sent, log_format, pipeline_workflow_id, ...rest } = buildWire(world, build);
  return { ...rest, repository: appWire(build.app) };
}

const PIPELINE_STATUS_CODE: Record<PipelineStatus, number> = {
  initializing: 0,
  on_hold: 0,
  running: 0,
  succeeded: 1,
  failed: 2,
  aborted: 3,
  succeeded_with_abort: 4,
};

/** The string status a standalone build has in pipeline lists and filters. */
export function buildPipelineStatus(state: BuildState): PipelineStatus {
  if (state.status === 0) return state.onHold ? 'on_hold' : 'running';
  return (['running', 'succeeded', 'failed', 'aborted', 'succeeded_with_abort'] as const)[state.status];
}

/** The trigger parameters a pipeline show gives: plain Go strings, "" when not given. */
function triggerParams(app: App, t: TriggerPlan) {
  const pr = t.pullRequestId !== 0;
  return {
    commit_hash: t.commitHash ?? '',
    commit_message: t.commitMessage ?? '',
    commit_messages: null,
    commit_paths: [] as string[],
    tag: t.tag ?? '',
    branch: t.branch ?? '',
    branch_repo_owner: app.profile.repoOwner,
    branch_dest: t.pullRequestTarget ?? '',
    branch_dest_repo_owner: pr ? app.profile.repoOwner : '',
    pull_request_id: pr ? String(t.pullRequestId) : '',
    pull_request_repository_url: pr ? appWire(app).repo_url : '',
    pull_request_author: pr ? authorOf(t) : '',
    pull_request_merge_branch: '',
    pull_request_unverified_merge_branch: pr ? `pull/${t.pullRequestId}/merge` : '',
    pull_request_head_branch: pr ? `pull/${t.pullRequestId}/head` : '',
    environments: null as EnvironmentWire[] | null,
  };
}

interface EnvironmentWire {
  is_expand: null;
  key: string;
  value: unknown;
}

/** The git host user a webhook names (`webhook-github/<user>`), else nobody. */
function authorOf(t: TriggerPlan): string {
  return /^webhook-[^/]+\/(.+)$/.exec(t.triggeredBy ?? '')?.[1] ?? '';
}

/**
 * The pipelines list's trigger parameters: every key, set or not, as live answers give them; a pull
 * request id is a number there, and a run started by hand or by the API lists the variables it was given.
 */
function listTriggerParams(app: App, t: TriggerPlan, standalone: boolean) {
  const shown = triggerParams(app, t);
  const byHand = t.event === 'manual' || t.event === 'api';
  return {
    base_repository_url: '',
    branch: shown.branch,
    branch_dest: shown.branch_dest,
    branch_dest_repo_owner: shown.branch_dest_repo_owner,
    branch_repo_owner: shown.branch_repo_owner,
    commit_hash: shown.commit_hash,
    commit_message: shown.commit_message,
    commit_messages: null,
    commit_paths: [] as string[],
    environments: byHand
      ? [
          { is_expand: null, key: 'RELEASE_NOTES', value: t.commitMessage ?? 'manual run' },
          { is_expand: null, key: 'BUILD_SHARDS', value: 4 },
        ]
      : null,
    head_repository_url: '',
    machine_type_id: '',
    priority: 0,
    pull_request_author: shown.pull_request_author,
    pull_request_comment: '',
    pull_request_comment_id: '',
    pull_request_head_branch: shown.pull_request_head_branch,
    pull_request_id: t.pullRequestId === 0 ? '' : t.pullRequestId,
    pull_request_labels: null,
    pull_request_labels_added: null,
    pull_request_merge_branch: '',
    pull_request_ready_state: '',
    pull_request_repository_url: shown.pull_request_repository_url,
    pull_request_unverified_merge_branch: shown.pull_request_unverified_merge_branch,
    skip_git_status_report: false,
    stack: '',
    // A standalone build's tag is null when it has none; a pipeline's "".
    tag: standalone ? t.tag : shown.tag,
  };
}

/** A pipeline's times and cost at the clock: from its first build's start to its current executions' end. */
function pipelineTimes(world: BitriseWorld, pipeline: PipelinePlan) {
  const visible = pipeline.builds.filter((b) => b.triggeredUs <= world.nowMs() * 1000);
  const states = visible.map((b) => world.state(b));
  const started = states.map((s) => s.startedMs).filter((ms): ms is number => ms !== null);
  const current = world.currentBuilds(pipeline).filter((b): b is BuildPlan => b !== null);
  const currentStates = current.map((b) => world.state(b));
  const done = currentStates.every((s) => s.finishedMs !== null);
  // Every attempt's builds cost credits.
  const costs = visible.map((b, i) => creditCost(b, states[i] as BuildState));
  return {
    startedMs: started.length > 0 ? Math.min(...started) : null,
    finishedMs: done ? Math.max(...currentStates.map((s) => s.finishedMs ?? 0)) : null,
    creditCost: done ? costs.reduce<number>((n, c) => n + (c ?? 0), 0) : null,
    abortReason: currentStates.find((s) => s.abortReason !== null && (s.status === 3 || s.status === 4))
      ?.abortReason,
  };
}

/** An item of `GET /apps/{slug}/pipelines`: a pipeline or a standalone build (`is_pipeline`). */
export function pipelineListItemWire(world: BitriseWorld, run: RunPlan) {
  if (run.kind === 'build') {
    const build = run.build;
    const state = world.state(build);
    return {
      ...runCommon(build.app, build.trigger, build.triggeredUs, true),
      slug: build.slug,
      is_pipeline: false,
      build_number: build.number,
      status: state.status,
      is_on_hold: state.onHold,
      is_processed: state.finishedMs !== null,
      triggered_workflow: build.workflow,
      started_at: isoOrNull(state.startedMs),
      finished_at: isoOrNull(state.finishedMs),
      credit_cost: creditCost(build, state),
      artifacts: null,
      rebuildable: state.finishedMs !== null,
    };
  }
  const pipeline = run.pipeline;
  const times = pipelineTimes(world, pipeline);
  const status = world.pipelineStatus(pipeline);
  return {
    ...runCommon(pipeline.app, pipeline.trigger, pipeline.triggeredUs, false),
    slug: pipeline.id,
    is_pipeline: true,
    build_number: pipeline.number,
    status: PIPELINE_STATUS_CODE[status],
    is_on_hold: status === 'on_hold',
    is_processed: times.finishedMs !== null,
    triggered_workflow: pipeline.name,
    started_at: isoMicrosOrNull(times.startedMs),
    finished_at: isoMicrosOrNull(times.finishedMs),
    credit_cost: times.creditCost,
    artifacts: null,
    rebuildable: times.finishedMs !== null,
  };
}

function runCommon(app: App, t: TriggerPlan, triggeredUs: number, standalone: boolean) {
  return {
    branch: t.branch,
    commit_hash: t.commitHash,
    commit_message: t.commitMessage,
    tag: t.tag,
    triggered_by: t.triggeredBy,
    pull_request_id: t.pullRequestId,
    pull_request_target_branch: t.pullRequestTarget,
    triggered_at: isoMicros(triggeredUs),
    trigger_params: listTriggerParams(app, t, standalone),
  };
}

/** An item of `GET /pipelines`: the list item's main fields plus the app as `repository`. */
export function pipelineListAllItemWire(world: BitriseWorld, run: RunPlan) {
  const { trigger_params, artifacts, rebuildable, ...rest } = pipelineListItemWire(world, run);
  const app = run.kind === 'build' ? run.build.app : run.pipeline.app;
  return { ...rest, repository: appWire(app) };
}

/** A workflow of a pipeline show (`v0.PipelineShowWorkflowResponseModel` plus the live `depends_on`). */
export interface WorkflowWire {
  credit_cost: number | null;
  external_id: string;
  finished_at: string | null;
  id: string;
  name: string;
  started_at: string | null;
  status: string;
  startFailureReason: string;
  depends_on?: readonly string[];
}

/**
 * `GET /apps/{slug}/pipelines/{id}` (unwrapped). A staged pipeline lists its workflows in `stages[]`, a DAG
 * pipeline (`"type": "dag"`) at the top level in `workflows[]` with `depends_on`, as the live API does.
 * Each workflow shows its current execution; one a run_if condition skipped has no build (`external_id:
 * ""`, no times, no cost). `attempts[]` lists the rerun of a failed workflow.
 */
export function pipelineShowWire(world: BitriseWorld, pipeline: PipelinePlan) {
  const times = pipelineTimes(world, pipeline);
  const status = world.pipelineStatus(pipeline);
  const current = world.currentBuilds(pipeline);
  const attempts = world.attempts(pipeline);
  // Put on hold when its first builds had to wait for a machine.
  const firstStates = pipeline.builds.filter((b) => b.pipeline?.attempt === 1).map((b) => world.state(b));
  const heldMs = firstStates.some(
    (s) => s.onHold || (s.startedMs ?? 0) - pipeline.triggeredUs / 1000 > 30_000,
  )
    ? Math.floor(pipeline.triggeredUs / 1_000_000) * 1000
    : null;
  const workflows = pipeline.workflows.map((w, i) => {
    const build = current[i] ?? null;
    const state = build ? world.state(build) : null;
    const entry: WorkflowWire = {
      credit_cost: build && state ? creditCost(build, state) : null,
      external_id: build?.slug ?? '',
      finished_at: isoOrNull(state?.finishedMs ?? null),
      id: build?.pipeline?.workflowId ?? w.skippedId,
      name: w.name,
      started_at: isoOrNull(state?.startedMs ?? null),
      status: state ? buildPipelineStatus(state) : 'skipped',
      startFailureReason: '',
    };
    // The live API leaves depends_on out of the workflows that wait for nothing.
    if (pipeline.kind === 'dag' && w.dependsOn.length > 0) entry.depends_on = w.dependsOn;
    return entry;
  });
  const shape: {
    workflows?: WorkflowWire[];
    stages?: { id: string; name: string; workflows: WorkflowWire[] }[];
  } =
    pipeline.kind === 'dag'
      ? { workflows }
      : {
          stages: pipeline.stages.map((stage, s) => ({
            id: stage.id,
            name: stage.name,
            workflows: workflows.filter((_, i) => pipeline.workflows[i]?.stage === s),
          })),
        };
  return {
    abort_reason: times.abortReason ?? '',
    app: { slug: pipeline.app.slug },
    attempts: attempts.map((a, n) => {
      const builds = pipeline.builds.filter((b) => b.pipeline?.attempt === a.number);
      return {
        id: a.id,
        number_in_pipeline_build_scope: a.number,
        // The current attempt's status is the pipeline's; an earlier one's is its own builds'.
        status: n === attempts.length - 1 ? status : world.statusOf(builds),
        triggered_at: isoMicros(a.triggeredUs),
      };
    }),
    credit_cost: times.creditCost,
    current_attempt_id: attempts.at(-1)?.id ?? '',
    finished_at: isoMicrosOrNull(times.finishedMs),
    id: pipeline.id,
    name: pipeline.name,
    number_in_app_scope: pipeline.number,
    put_on_hold_at: isoOrNull(heldMs),
    rebuildable: times.finishedMs !== null,
    started_at: isoMicrosOrNull(times.startedMs),
    status,
    triggered_at: isoMicros(pipeline.triggeredUs),
    trigger_params: triggerParams(pipeline.app, pipeline.trigger),
    triggered_by: pipeline.trigger.triggeredBy ?? '',
    type: pipeline.kind,
    ...shape,
  };
}

export function artifactListItemWire(world: BitriseWorld, artifact: ArtifactPlan) {
  const { build, kind } = artifact;
  const rng = new Random('artifact', artifact.slug);
  const version = `${3 + (build.number % 7)}.${build.number % 20}.0`;
  const app = build.app;
  const base = {
    slug: artifact.slug,
    is_public_page_enabled: world.isPublicPage(artifact.slug),
  };
  switch (kind) {
    case 'apk':
      return {
        ...base,
        title: `${app.repoSlug}-release.apk`,
        artifact_type: 'android-apk',
        file_size_bytes: rng.int(18_000_000, 64_000_000),
        artifact_meta: {
          app_info: {
            app_name: app.title,
            package_name: `com.acme.${app.repoSlug.replace(/-/g, '')}`,
            version_code: String(build.number),
            version_name: version,
            min_sdk_version: '24',
          },
          file_size_bytes: String(rng.int(18_000_000, 64_000_000)),
          module: 'app',
          product_flavour: '',
          build_type: 'release',
        },
        intermediate_file_info: null,
      };
    case 'ipa':
      return {
        ...base,
        title: `${app.repoSlug}.ipa`,
        artifact_type: 'ios-ipa',
        file_size_bytes: rng.int(30_000_000, 120_000_000),
        artifact_meta: {
          app_info: {
            app_title: app.title,
            bundle_id: `com.acme.${app.repoSlug.replace(/-/g, '')}`,
            version,
            build_number: String(build.number),
            min_OS_version: '15.0',
            device_family: 'universal',
          },
          distribution_type: 'development',
          provisioning_info: { creation_date: isoSeconds(Date.UTC(2025, 0, 6)), team_name: 'Acme Inc.' },
        },
        intermediate_file_info: null,
      };
    default:
      return {
        ...base,
        title: {
          'test-results': 'test-results.zip',
          coverage: 'coverage-<report>.html',
          logs: 'ui-test-logs.zip',
        }[kind],
        artifact_type: 'file',
        file_size_bytes: rng.int(20_000, 9_000_000),
        artifact_meta: null,
        intermediate_file_info:
          kind === 'test-results' ? { source_env_key: 'BITRISE_TEST_RESULT_DIR', is_dir: true } : null,
      };
  }
}

export function artifactWire(
  world: BitriseWorld,
  artifact: ArtifactPlan,
  urls: { download: string; page: string },
) {
  return {
    ...artifactListItemWire(world, artifact),
    expiring_download_url: urls.download,
    public_install_page_url: urls.page,
  };
}
