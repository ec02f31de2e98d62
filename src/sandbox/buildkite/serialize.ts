// The Buildkite REST wire format (ci-apis.md §3.8–3.14) of the simulated objects at one instant. Field
// order is fixed so equal inputs give byte-identical JSON.
import type { CommandStep, Step, TriggerStep } from './catalog.js';
import type { BuildViewOptions } from './filters.js';
import type { Agent, Person } from './plan.js';
import type { TokenGrant } from './tokens.js';
import { type JobView, jobsAt, phaseAt, startedAt } from './view.js';
import { type BuildPlan, type BuildSummary, graphqlId, type Org, type Pipeline } from './world.js';

/** Behaviours the reference leaves unconfirmed, each switchable. */
export interface WireSwitches {
  /**
   * How a build names who canceled it. Not in the REST docs (GraphQL has `canceledBy`): by default a
   * `canceled_by` user object (null for system cancels); `absent` leaves the field out altogether.
   */
  canceler: 'canceled_by' | 'absent';
  /** `pull_request` of a build that is not a PR: `null` (default) or `{}` as in the docs' examples. */
  nonPrPullRequest: 'null' | 'empty';
}

const WEB = 'https://buildkite.com';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `2025-07-16 06:07:42 UTC`: the format of pipeline and access-token times. */
export function utcText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function userJson(person: Person) {
  return {
    id: person.id,
    graphql_id: person.graphqlId,
    name: person.name,
    email: person.email,
    avatar_url: person.avatarUrl,
    created_at: iso(person.createdAt),
  };
}

export function orgJson(api: string, org: Org) {
  const url = `${api}/organizations/${org.slug}`;
  return {
    id: org.id,
    graphql_id: graphqlId('Organization', org.id),
    url,
    web_url: `${WEB}/${org.slug}`,
    name: org.name,
    slug: org.slug,
    pipelines_url: `${url}/pipelines`,
    agents_url: `${url}/agents`,
    emojis_url: `${url}/emojis`,
    created_at: iso(org.createdAt),
  };
}

/**
 * A step's agent targeting as `key=value` rules, as the API shows them in `agent_query_rules`: steps on the
 * default queue usually name no queue at all, so they have no `queue=` rule.
 */
function agentRules(step: CommandStep): string[] {
  return [...(step.queue === 'default' ? [] : [`queue=${step.queue}`]), ...(step.tags ?? [])];
}

function agentsYaml(step: CommandStep): string[] {
  const rules = agentRules(step);
  if (rules.length === 0) return [];
  return ['    agents:', ...rules.map((rule) => `      ${rule.replace('=', ': ')}`)];
}

function stepYaml(step: Step): string {
  if (step.type === 'wait') return '  - wait';
  if (step.type === 'trigger') {
    const lines = [
      `  - trigger: ${step.trigger}`,
      `    label: ${JSON.stringify(step.label)}`,
      `    key: ${step.key}`,
    ];
    if (step.async) lines.push('    async: true');
    if (step.defaultBranchOnly) lines.push('    branches: main');
    return lines.join('\n');
  }
  if (step.type === 'block') {
    const lines = [`  - block: ${JSON.stringify(step.label)}`, `    key: ${step.key}`];
    if (step.defaultBranchOnly) lines.push('    branches: main');
    return lines.join('\n');
  }
  const lines = [
    `  - label: ${JSON.stringify(step.label)}`,
    `    key: ${step.key}`,
    `    command: ${JSON.stringify(step.command)}`,
    ...agentsYaml(step),
  ];
  if (step.parallelism) lines.push(`    parallelism: ${step.parallelism}`);
  if (step.softFail) lines.push('    soft_fail: true');
  if (step.defaultBranchOnly) lines.push('    branches: main');
  if (step.artifactPaths) lines.push(`    artifact_paths: ${JSON.stringify(step.artifactPaths)}`);
  return lines.join('\n');
}

export interface PipelineCounts {
  scheduledBuilds: number;
  runningBuilds: number;
  scheduledJobs: number;
  runningJobs: number;
  waitingJobs: number;
}

export function pipelineJson(api: string, pipeline: Pipeline, counts: PipelineCounts) {
  const url = `${api}/organizations/${pipeline.orgSlug}/pipelines/${pipeline.slug}`;
  const repo = pipeline.repository.replace(/^git@github\.com:/, '').replace(/\.git$/, '');
  return {
    id: pipeline.id,
    graphql_id: graphqlId('Pipeline', pipeline.id),
    url,
    web_url: `${WEB}/${pipeline.orgSlug}/${pipeline.slug}`,
    name: pipeline.name,
    description: pipeline.template.description,
    slug: pipeline.slug,
    repository: pipeline.repository,
    cluster_id: null,
    branch_configuration: null,
    clone_mirror_url: null,
    default_branch: pipeline.defaultBranch,
    skip_queued_branch_builds: true,
    skip_queued_branch_builds_filter: `!${pipeline.defaultBranch}`,
    cancel_running_branch_builds: true,
    cancel_running_branch_builds_filter: `!${pipeline.defaultBranch}`,
    allow_rebuilds: true,
    provider: {
      id: 'github',
      webhook_url: '',
      settings: {
        repository: repo,
        trigger_mode: 'code',
        build_pull_requests: true,
        build_branches: true,
        build_tags: false,
        publish_commit_status: true,
      },
    },
    builds_url: `${url}/builds`,
    badge_url: `https://badge.buildkite.com/${pipeline.id.replaceAll('-', '')}.svg`,
    created_by: userJson(pipeline.createdBy),
    created_at: utcText(pipeline.createdAt),
    archived_at: null,
    env: {},
    scheduled_builds_count: counts.scheduledBuilds,
    running_builds_count: counts.runningBuilds,
    scheduled_jobs_count: counts.scheduledJobs,
    running_jobs_count: counts.runningJobs,
    waiting_jobs_count: counts.waitingJobs,
    visibility: 'private',
    configuration: `steps:\n${pipeline.template.steps.map(stepYaml).join('\n')}\n`,
    tags: null,
  };
}

function agentJson(api: string, orgSlug: string, agent: Agent) {
  return {
    id: agent.id,
    graphql_id: agent.graphqlId,
    url: `${api}/organizations/${orgSlug}/agents/${agent.id}`,
    web_url: `${WEB}/organizations/${orgSlug}/agents/${agent.id}`,
    name: agent.name,
    connection_state: 'connected',
    hostname: agent.hostname,
    ip_address: agent.ipAddress,
    user_agent: `buildkite-agent/${agent.version}.${agent.id.slice(0, 4)} (${agent.queue === 'macos' ? 'darwin; arm64' : 'linux; amd64'})`,
    creator: null,
    created_at: iso(agent.createdAt),
  };
}

function jobJson(api: string, build: BuildPlan, buildUrl: string, view: JobView) {
  const { job } = view;
  const base = {
    id: job.id,
    graphql_id: graphqlId('Job', job.id),
    type: job.kind,
  };
  const webUrl = `${WEB}/${build.org.slug}/${build.pipeline.slug}/builds/${build.number}#${job.id}`;
  const times = {
    created_at: iso(job.createdAt),
    scheduled_at: iso(job.scheduledAt),
    runnable_at: iso(view.runnableAt),
    started_at: iso(view.startedAt),
    finished_at: iso(view.finishedAt),
  };
  if (job.kind === 'waiter') {
    return { ...base, name: null, step_key: null, step: { id: job.stepId }, state: view.state, ...times };
  }
  // Block steps name themselves by `label` only, with no times (the docs' "Unblock a job" example).
  if (job.kind === 'manual') {
    return {
      ...base,
      label: job.name,
      state: view.state,
      web_url: webUrl,
      unblocked_by: view.unblockedAt !== null && job.unblockedBy ? userJson(job.unblockedBy) : null,
      unblocked_at: iso(view.unblockedAt),
      unblockable: view.state === 'blocked',
      unblock_url: webUrl,
    };
  }
  // The docs' trigger job (under "Get a build"): no agent, no command, the build it started once it has.
  if (job.kind === 'trigger') {
    const step = job.step as TriggerStep;
    const triggered = view.startedAt !== null ? job.triggered : null;
    const triggeredUrl =
      triggered &&
      `${api}/organizations/${build.org.slug}/pipelines/${step.trigger}/builds/${triggered.number}`;
    return {
      ...base,
      name: job.name,
      step_key: step.key,
      state: view.state,
      async: step.async === true,
      web_url: webUrl,
      ...times,
      triggered_build: triggered && {
        id: triggered.id,
        number: triggered.number,
        url: triggeredUrl,
        web_url: `${WEB}/${build.org.slug}/${step.trigger}/builds/${triggered.number}`,
      },
    };
  }
  const step = job.step as CommandStep;
  const jobUrl = `${buildUrl}/jobs/${job.id}`;
  const over = view.finishedAt !== null;
  const started = view.startedAt !== null;
  return {
    ...base,
    name: job.name,
    step_key: step.key,
    group_key: null,
    step: { id: job.stepId, signature: null },
    priority: { number: 0 },
    agent_query_rules: agentRules(step),
    state: view.state,
    build_url: buildUrl,
    web_url: webUrl,
    log_url: `${jobUrl}/log`,
    raw_log_url: `${jobUrl}/log.txt`,
    artifacts_url: `${jobUrl}/artifacts`,
    command: step.command,
    soft_failed: over && job.softFailed,
    exit_status: over && started ? job.exitStatus : null,
    signal: over ? job.signal : null,
    signal_reason: over ? job.signalReason : null,
    broken_reason: over ? job.brokenReason : null,
    artifact_paths: step.artifactPaths ?? '',
    agent: started && job.agent ? agentJson(api, build.org.slug, job.agent) : null,
    ...times,
    expired_at: job.final === 'expired' ? iso(view.finishedAt) : null,
    retried: view.retried,
    retried_in_job_id: view.retried ? (job.retriedBy?.jobId ?? null) : null,
    retries_count: job.retriesCount,
    retry_source: job.retryOf ? { job_id: job.retryOf.jobId, retry_type: job.retryOf.type } : null,
    retry_type: job.retryOf?.type ?? null,
    parallel_group_index: job.parallelIndex,
    parallel_group_total: job.parallelTotal,
    matrix: null,
    cluster_id: null,
    cluster_url: null,
    cluster_queue_id: null,
    cluster_queue_url: null,
    concurrency_wait_time_ms: null,
  };
}

export function buildUrlOf(api: string, build: Pick<BuildPlan, 'number'> & { pipeline: Pipeline }): string {
  return `${api}/organizations/${build.pipeline.orgSlug}/pipelines/${build.pipeline.slug}/builds/${build.number}`;
}

export function buildJson(
  api: string,
  build: BuildPlan,
  now: number,
  view: BuildViewOptions,
  switches: WireSwitches,
  counts: (pipeline: Pipeline) => PipelineCounts,
) {
  const phase = phaseAt(build, now);
  const url = buildUrlOf(api, build);
  const cancelShown = build.cancel !== null && build.cancel.at <= now;
  const json: Record<string, unknown> = {
    id: build.id,
    graphql_id: graphqlId('Build', build.id),
    url,
    web_url: `${WEB}/${build.org.slug}/${build.pipeline.slug}/builds/${build.number}`,
    number: build.number,
    state: phase.state,
    blocked: phase.blocked,
    cancel_reason: cancelShown ? (build.cancel?.reason ?? null) : null,
    message: build.message,
    commit: build.commit,
    branch: build.branch,
    env: build.env,
    source: build.source,
    creator: build.creator ? userJson(build.creator) : null,
  };
  if (switches.canceler === 'canceled_by') {
    json.canceled_by = cancelShown && build.cancel?.by ? userJson(build.cancel.by) : null;
  }
  if (build.author) json.author = build.author;
  if (!view.excludeJobs) {
    json.jobs = jobsAt(build, now, view.includeRetriedJobs).map((j) => jobJson(api, build, url, j));
  }
  Object.assign(json, {
    created_at: iso(build.createdAt),
    scheduled_at: iso(build.createdAt),
    started_at: iso(startedAt(build, now)),
    failing_at: iso(build.failingAt !== null && build.failingAt <= now ? build.failingAt : null),
    finished_at: iso(phase.finishedAt),
    meta_data: build.metaData,
    pull_request: build.pullRequest ?? (switches.nonPrPullRequest === 'empty' ? {} : null),
    merge_queue: null,
    rebuilt_from: build.rebuiltFrom
      ? {
          id: build.rebuiltFrom.id,
          number: build.rebuiltFrom.number,
          url: buildUrlOf(api, { number: build.rebuiltFrom.number, pipeline: build.pipeline }),
        }
      : null,
  });
  if (!view.excludePipeline) json.pipeline = pipelineJson(api, build.pipeline, counts(build.pipeline));
  return json;
}

/** Builds and jobs of a pipeline waiting or running at `now` (the pipeline object reports them). */
export function countsAt(
  recent: readonly BuildSummary[],
  plans: (s: BuildSummary) => BuildPlan,
  now: number,
): PipelineCounts {
  const counts: PipelineCounts = {
    scheduledBuilds: 0,
    runningBuilds: 0,
    scheduledJobs: 0,
    runningJobs: 0,
    waitingJobs: 0,
  };
  for (const summary of recent) {
    const { state } = phaseAt(summary, now);
    if (state === 'scheduled' || state === 'creating') counts.scheduledBuilds++;
    else if (state === 'running' || state === 'failing' || state === 'canceling') counts.runningBuilds++;
    else continue;
    for (const job of jobsAt(plans(summary), now, false)) {
      if (job.state === 'scheduled') counts.scheduledJobs++;
      else if (job.state === 'running') counts.runningJobs++;
      else if (job.state === 'waiting') counts.waitingJobs++;
    }
  }
  return counts;
}

export function accessTokenJson(grant: TokenGrant) {
  return {
    uuid: grant.uuid,
    scopes: grant.scopes,
    description: grant.description,
    created_at: utcText(grant.createdAt),
    expires_at: null,
    user: { name: grant.user.name, email: grant.user.email },
  };
}
