// Buildkite payloads → the common model. Pure: the same payload always gives the same rows, so a stored raw
// payload can be normalized again offline. States follow ci-apis.md §5.1 (builds) and §5.2 (jobs);
// durations and queue times DESIGN.md (Buildkite: finished − started, started − created); blocked builds
// DESIGN.md "Blocked build".
import type { Job, Project, Run, RunStatus, Trigger } from '../../domain/model.js';
import { secondsBetween, waitSeconds } from '../time.js';
import { type Build, type Pipeline, rfc3339, type Job as WireJob } from './wire.js';

export function normalizePipeline(orgSlug: string, pipeline: Pipeline): Project {
  return {
    key: pipeline.id,
    name: pipeline.name ?? pipeline.slug,
    owner: orgSlug,
    repoUrl: pipeline.repository ?? null,
    webUrl: pipeline.web_url ?? null,
    defaultBranch: pipeline.default_branch || null,
  };
}

const BUILD_STATUS: Record<string, RunStatus> = {
  creating: 'queued',
  scheduled: 'queued',
  waiting: 'queued',
  running: 'running',
  // Policies of §5.1: a failing build is still running (it will end failed), a canceling one too.
  failing: 'running',
  canceling: 'running',
  passed: 'succeeded',
  failed: 'failed',
  waiting_failed: 'failed',
  canceled: 'aborted',
  skipped: 'skipped',
  not_run: 'skipped',
  blocked: 'blocked',
};

const JOB_STATUS: Record<string, RunStatus> = {
  pending: 'queued',
  waiting: 'queued',
  limiting: 'queued',
  limited: 'queued',
  platform_limiting: 'queued',
  platform_limited: 'queued',
  scheduled: 'queued',
  reserved: 'queued',
  assigned: 'queued',
  accepted: 'queued',
  running: 'running',
  timing_out: 'running',
  canceling: 'running',
  passed: 'succeeded',
  unblocked: 'succeeded',
  failed: 'failed',
  timed_out: 'failed',
  expired: 'failed',
  // Policy: a job that never ran because an earlier step failed did not fail itself (§5.2 allows either).
  waiting_failed: 'skipped',
  blocked_failed: 'skipped',
  unblocked_failed: 'skipped',
  canceled: 'aborted',
  skipped: 'skipped',
  broken: 'skipped',
  blocked: 'blocked',
};

const FINISHED: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'aborted', 'skipped']);

/**
 * Jobs that are gates, not work: wait steps, and block and input steps that wait for a person (§3.14). Every
 * other job (command, trigger, or a type this version does not know) is work and becomes a job.
 */
const GATES: ReadonlySet<string> = new Set(['waiter', 'manual', 'block', 'input']);

/** A time as RFC 3339 (Buildkite also sends `YYYY-MM-DD HH:MM:SS UTC`); null when absent. */
const at = (value: string | null | undefined): string | null => (value ? rfc3339(value) : null);

/** The blocked flag is authoritative: a blocked build keeps reporting its previous state (§3.13). */
export function buildStatus(build: Pick<Build, 'state' | 'blocked'>): RunStatus {
  if (build.blocked) return 'blocked';
  // A state this version does not know is kept as it came (DESIGN.md "Unknown status").
  return BUILD_STATUS[build.state] ?? 'unknown';
}

function trigger(build: Build): Trigger {
  switch (build.source) {
    case 'webhook':
      return pullRequestId(build) ? 'pull_request' : 'push';
    case 'ui':
      return 'manual';
    case 'schedule':
      return 'schedule';
    default:
      // `api` and `trigger_job` (a step of another pipeline): started by automation.
      return 'api';
  }
}

function pullRequestId(build: Build): string | null {
  const id = build.pull_request?.id;
  return id === null || id === undefined || id === '' ? null : String(id);
}

/** A build is the run; its pipeline's name is its workflow (Buildkite builds have no other workflow name). */
export function normalizeBuild(
  pipeline: { key: string; name: string },
  build: Build,
): { run: Run; jobs: Job[] } {
  const status = buildStatus(build);
  const createdAt = at(build.created_at) as string;
  const startedAt = at(build.started_at);
  const finishedAt = at(build.finished_at);
  const aborted = status === 'aborted' || build.state === 'canceling';
  const run: Run = {
    key: build.id,
    projectKey: pipeline.key,
    kind: 'build',
    number: build.number,
    workflow: pipeline.name,
    branch: build.branch || null,
    commitSha: build.commit || null,
    message: build.message ?? null,
    trigger: trigger(build),
    prId: pullRequestId(build),
    tag: null,
    actor: build.creator?.name ?? build.author?.name ?? null,
    status,
    // A blocked build's state is what ran before the block (§3.13): the classification reads it.
    providerStatus: build.state,
    reason: aborted ? (build.cancel_reason ?? null) : null,
    abortedBy: aborted ? (build.canceled_by?.name ?? null) : null,
    triggeredAt: createdAt,
    startedAt,
    finishedAt,
    queueS: waitSeconds(createdAt, startedAt),
    // A blocked build's finish time is when it reached the block, so its duration runs up to the block.
    durationS: FINISHED.has(status) || status === 'blocked' ? secondsBetween(startedAt, finishedAt) : null,
    setupS: null,
    cost: null,
    machine: null,
    stack: null,
    agentQueue: null,
    webUrl: build.web_url ?? null,
  };
  const work = (build.jobs ?? []).filter((j): j is WireJob => j !== null && !GATES.has(j.type ?? ''));
  const jobs = work.map((j) => normalizeJob(build.id, j));
  // Trigger jobs run on no agent: a build's queue is where its command jobs ran.
  run.agentQueue = mostCommon(work.filter((j) => j.type === 'script').map(agentQueue));
  return { run, jobs };
}

/**
 * Where a command job without a `queue=` rule runs: Buildkite tags agents started without a queue
 * `queue=default`, and a cluster sends such jobs to its default queue (docs/metrics.md).
 */
const DEFAULT_QUEUE = 'default';

/** A command job's queue from its `queue=` agent query rule (§3.14), else the default queue. */
function agentQueue(job: Pick<WireJob, 'agent_query_rules'>): string {
  const rule = (job.agent_query_rules ?? []).find((r) => r.startsWith('queue='));
  return rule?.slice('queue='.length).trim() || DEFAULT_QUEUE;
}

/** The value most of `values` have; a tie goes to the one that comes first (build order). Null when empty. */
function mostCommon(values: readonly string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [value, count] of counts) if (best === null || count > (counts.get(best) ?? 0)) best = value;
  return best;
}

export function normalizeJob(runKey: string, job: WireJob): Job {
  const state = job.state ?? '';
  const failedSoftly = state === 'failed' && job.soft_failed === true;
  const status = failedSoftly ? 'succeeded' : (JOB_STATUS[state] ?? 'unknown');
  const startedAt = at(job.started_at);
  const finishedAt = at(job.finished_at);
  return {
    key: job.id,
    runKey,
    name: job.name ?? job.label ?? job.step_key ?? job.type ?? job.id,
    status,
    providerStatus: state,
    startedAt,
    finishedAt,
    // Time waiting for an agent once the job could run (§3.15).
    queueS: waitSeconds(at(job.runnable_at), startedAt),
    durationS: FINISHED.has(status) ? secondsBetween(startedAt, finishedAt) : null,
    agent: job.agent?.name ?? null,
    machine: job.agent?.hostname ?? null,
    stack: null,
    agentQueue: job.type === 'script' ? agentQueue(job) : null,
    exitStatus: job.exit_status ?? null,
    softFailed: job.soft_failed === true,
    retried: job.retried === true,
    retryOf: job.retry_source?.job_id ?? null,
    cost: null,
    webUrl: job.web_url ?? null,
    // Why a job was stopped (agent_stop, cancel, …) or never ran (branch_mismatch, conditional_failed, …).
    reason: job.signal_reason ?? job.broken_reason ?? null,
    // Step dependencies are not in the job object.
    dependsOn: null,
  };
}
