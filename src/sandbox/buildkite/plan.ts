// How one simulated Buildkite build unfolds in time: its jobs (with agent waits, failures, retries,
// soft fails, block steps, cancels) and the build states it passes through. A plan is computed once from
// a seeded generator; what the API shows at any moment is read off it (view.ts).
import { type Random, uuidOf } from '../random.js';
import type { BlockStep, CommandStep, Step, TriggerStep } from './catalog.js';
import type { BuildState } from './filters.js';

export type Scenario =
  | 'pass'
  | 'fail'
  | 'soft_fail'
  | 'auto_retry'
  | 'manual_retry'
  | 'cancel_manual'
  | 'cancel_auto'
  | 'skipped'
  | 'not_run'
  | 'timed_out'
  | 'expired';

export interface Person {
  id: string;
  graphqlId: string;
  name: string;
  email: string;
  avatarUrl: string;
  createdAt: number;
}

export interface Agent {
  id: string;
  graphqlId: string;
  name: string;
  hostname: string;
  ipAddress: string;
  queue: string;
  version: string;
  createdAt: number;
}

/** A job's state once it is over (for a manual job: released, still blocked, or never reached). */
export type JobFinal =
  | 'passed'
  | 'failed'
  | 'timed_out'
  | 'expired'
  | 'canceled'
  | 'broken'
  | 'skipped'
  | 'waiting_failed'
  | 'blocked_failed'
  | 'blocked'
  | 'unblocked';

export interface JobPlan {
  id: string;
  kind: 'script' | 'waiter' | 'manual' | 'trigger';
  step: CommandStep | BlockStep | TriggerStep | null;
  /** Position of the job's step in the pipeline: jobs are listed in step order. */
  order: number;
  stepId: string;
  name: string | null;
  parallelIndex: number | null;
  parallelTotal: number | null;
  createdAt: number;
  scheduledAt: number;
  runnableAt: number | null;
  startedAt: number | null;
  /** When the job reaches `final`; null while it never will (a block nobody releases, jobs behind it). */
  finishedAt: number | null;
  final: JobFinal;
  exitStatus: number | null;
  softFailed: boolean;
  signal: string | null;
  signalReason: string | null;
  brokenReason: string | null;
  agent: Agent | null;
  /** This job re-runs an earlier one. */
  retryOf: { jobId: string; type: 'manual' | 'automatic' } | null;
  /** This job was replaced by a retry created at `at`. */
  retriedBy: { jobId: string; at: number } | null;
  retriesCount: number | null;
  unblockedAt: number | null;
  unblockedBy: Person | null;
  /** The build a trigger job started (in the pipeline its step names); null for other jobs. */
  triggered: { id: string; number: number } | null;
}

export interface Phase {
  at: number;
  state: BuildState;
  blocked: boolean;
  finishedAt: number | null;
}

export interface Timeline {
  jobs: JobPlan[];
  /** Build states in time order; the build shows the last one whose `at` has passed. */
  phases: Phase[];
  failingAt: number | null;
  cancel: { at: number; reason: string | null; by: Person | null } | null;
}

export interface TimelineInput {
  rng: Random;
  /** Seed parts for the job ids. */
  idParts: readonly (string | number)[];
  steps: readonly Step[];
  onDefaultBranch: boolean;
  createdAt: number;
  scenario: Scenario;
  /** What happens at a block step: released after this many ms, or never (null). */
  unblockAfterMs: number | null;
  /** Wait for an agent when a job becomes runnable at `t`. */
  agentWaitMs: (t: number) => number;
  pickAgent: (queue: string) => Agent;
  /** Who releases blocks and retries jobs by hand. */
  pickPerson: () => Person;
  cancel: { reason: string | null; by: Person | null } | null;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

interface Target {
  stepKey: string;
  parallelIndex: number;
}

/** Command jobs that will run on this branch, grouped by the wait/block steps between them. */
function runnableGroups(steps: readonly Step[], onDefaultBranch: boolean): Target[][] {
  const groups: Target[][] = [[]];
  for (const step of steps) {
    if (step.type === 'command') {
      if (step.defaultBranchOnly && !onDefaultBranch) continue;
      const group = groups[groups.length - 1] as Target[];
      for (let i = 0; i < (step.parallelism ?? 1); i++) group.push({ stepKey: step.key, parallelIndex: i });
    } else if (step.type === 'trigger') {
      // Runs beside the command steps of its group; a scenario's failure never lands on it.
    } else if (!(step.type === 'block' && step.defaultBranchOnly && !onDefaultBranch)) {
      groups.push([]);
    }
  }
  return groups.filter((g) => g.length > 0);
}

function stepOf(steps: readonly Step[], key: string): CommandStep | undefined {
  return steps.find((s): s is CommandStep => s.type === 'command' && s.key === key);
}

/** The job a scenario's failure lands on, or null when the pipeline has nowhere for it (then it passes). */
function chooseTarget(input: TimelineInput): Target | null {
  const { rng, steps, scenario } = input;
  const groups = runnableGroups(steps, input.onDefaultBranch);
  const all = groups.flat();
  const hard = all.filter((t) => !stepOf(steps, t.stepKey)?.softFail);
  switch (scenario) {
    case 'soft_fail': {
      const soft = all.filter((t) => stepOf(steps, t.stepKey)?.softFail);
      return soft.length > 0 ? rng.pick(soft) : null;
    }
    case 'manual_retry': {
      const last = (groups[groups.length - 1] ?? []).filter((t) => !stepOf(steps, t.stepKey)?.softFail);
      return last.length > 0 ? rng.pick(last) : null;
    }
    case 'fail':
    case 'auto_retry':
    case 'timed_out':
    case 'expired':
      return hard.length > 0 ? rng.pick(hard) : null;
    default:
      return null;
  }
}

const HARD_FAILURES: readonly JobFinal[] = ['failed', 'timed_out', 'expired'];

export function planTimeline(input: TimelineInput): Timeline {
  const { rng, steps, createdAt, scenario } = input;
  let jobCounter = 0;
  const nextJobId = () => uuidOf(...input.idParts, 'job', jobCounter++);

  const scheduledAt = createdAt + rng.int(600, 2500);
  const jobsCreatedAt = scheduledAt + rng.int(200, 1500);
  const phases: Phase[] = [
    { at: createdAt, state: 'creating', blocked: false, finishedAt: null },
    { at: scheduledAt, state: 'scheduled', blocked: false, finishedAt: null },
  ];
  const jobs: JobPlan[] = [];

  // Steps are told apart by position: one template may reuse the same wait step object.
  const baseJob = (step: Step, order: number, kind: JobPlan['kind'], name: string | null): JobPlan => ({
    id: nextJobId(),
    kind,
    step: step.type === 'wait' ? null : step,
    order,
    stepId: uuidOf(...input.idParts, 'step', order),
    name,
    parallelIndex: null,
    parallelTotal: null,
    createdAt: jobsCreatedAt,
    scheduledAt: createdAt,
    runnableAt: null,
    startedAt: null,
    finishedAt: null,
    final: 'passed',
    exitStatus: null,
    softFailed: false,
    signal: null,
    signalReason: null,
    brokenReason: null,
    agent: null,
    retryOf: null,
    retriedBy: null,
    retriesCount: null,
    unblockedAt: null,
    unblockedBy: null,
    triggered: null,
  });

  const commandJobs = (step: CommandStep, order: number): JobPlan[] => {
    const total = step.parallelism ?? 1;
    return Array.from({ length: total }, (_, i) => ({
      ...baseJob(step, order, 'script', total > 1 ? `${step.label} ${i + 1}/${total}` : step.label),
      parallelIndex: total > 1 ? i : null,
      parallelTotal: total > 1 ? total : null,
    }));
  };
  const jobFor = (step: Step, order: number): JobPlan[] =>
    step.type === 'command'
      ? commandJobs(step, order)
      : step.type === 'wait'
        ? [baseJob(step, order, 'waiter', null)]
        : step.type === 'trigger'
          ? [baseJob(step, order, 'trigger', step.label)]
          : [baseJob(step, order, 'manual', step.label)];

  // Builds that never run anything: every step gets its terminal state at once.
  if (scenario === 'skipped' || scenario === 'not_run') {
    const at =
      scenario === 'skipped'
        ? jobsCreatedAt + rng.int(5 * SECOND, 3 * MINUTE)
        : jobsCreatedAt + rng.int(50, 900);
    for (const [order, step] of steps.entries()) {
      for (const job of jobFor(step, order)) {
        job.final = scenario === 'skipped' ? 'skipped' : 'broken';
        job.brokenReason = scenario === 'not_run' ? 'conditional_failed' : null;
        job.finishedAt = at;
        jobs.push(job);
      }
    }
    phases.push({ at, state: scenario, blocked: false, finishedAt: at });
    return { jobs, phases, failingAt: null, cancel: null };
  }

  const target = chooseTarget(input);
  const effective: Scenario =
    target === null && scenario !== 'cancel_manual' && scenario !== 'cancel_auto' ? 'pass' : scenario;
  let cursor = jobsCreatedAt;
  let failedAt: number | null = null;
  let failingAt: number | null = null;
  let stoppedAt: number | null = null;
  let blockedForever = false;
  let group: JobPlan[] = [];

  /** A trigger job starts its build at once and, unless async, waits for it; it never fails here. */
  const runTrigger = (job: JobPlan, runnableAt: number) => {
    const step = job.step as TriggerStep;
    job.runnableAt = runnableAt;
    job.startedAt = runnableAt + rng.int(300, 2500);
    // Not one of the sandbox's own builds: only its reference is shown.
    job.triggered = { id: uuidOf(...input.idParts, 'triggered', job.order), number: rng.int(1, 5000) };
    job.finishedAt = job.startedAt + Math.round(rng.uniform(step.durationS[0], step.durationS[1]) * SECOND);
  };

  const runScript = (job: JobPlan, runnableAt: number) => {
    if (job.kind === 'trigger') return runTrigger(job, runnableAt);
    const step = job.step as CommandStep;
    job.runnableAt = runnableAt;
    const isTarget =
      target !== null && target.stepKey === step.key && target.parallelIndex === (job.parallelIndex ?? 0);
    const duration = Math.round(rng.uniform(step.durationS[0], step.durationS[1]) * SECOND);
    if (isTarget && effective === 'expired') {
      job.final = 'expired';
      job.finishedAt = runnableAt + rng.int(10 * MINUTE, 30 * MINUTE);
      return;
    }
    job.startedAt = runnableAt + input.agentWaitMs(runnableAt);
    job.agent = input.pickAgent(step.queue);
    job.finishedAt = job.startedAt + duration;
    job.exitStatus = 0;
    if (!isTarget) return;
    switch (effective) {
      case 'fail':
      case 'manual_retry':
        job.final = 'failed';
        job.exitStatus = rng.pick([1, 1, 1, 2, 127, 137]);
        job.signal = job.exitStatus === 137 ? 'SIGKILL' : null;
        job.finishedAt = job.startedAt + Math.round(duration * rng.uniform(0.2, 1));
        break;
      case 'soft_fail':
        job.final = 'failed';
        job.exitStatus = 1;
        job.softFailed = true;
        break;
      case 'timed_out':
        job.final = 'timed_out';
        job.exitStatus = -1;
        job.signal = 'SIGTERM';
        job.finishedAt = job.startedAt + Math.round(duration * rng.uniform(2, 3));
        break;
      case 'auto_retry':
        // The agent disappeared mid-job; Buildkite retries exit status -1 automatically.
        job.final = 'failed';
        job.exitStatus = -1;
        job.signalReason = 'agent_stop';
        job.signal = 'SIGTERM';
        job.finishedAt = job.startedAt + Math.round(duration * rng.uniform(0.1, 0.8));
        break;
    }
  };

  const retryOf = (failed: JobPlan, at: number, type: 'manual' | 'automatic'): JobPlan => {
    const step = failed.step as CommandStep;
    const retry: JobPlan = {
      ...failed,
      id: nextJobId(),
      createdAt: at,
      runnableAt: at,
      final: 'passed',
      exitStatus: 0,
      signal: null,
      signalReason: null,
      softFailed: false,
      retryOf: { jobId: failed.id, type },
      retriedBy: null,
      retriesCount: 1,
    };
    retry.startedAt = at + input.agentWaitMs(at);
    retry.agent = input.pickAgent(step.queue);
    retry.finishedAt =
      retry.startedAt + Math.round(rng.uniform(step.durationS[0], step.durationS[1]) * SECOND);
    failed.retriedBy = { jobId: retry.id, at };
    return retry;
  };

  /** Runs the collected command group from `cursor`; returns when the group is over. */
  const flush = () => {
    if (group.length === 0) return;
    for (const job of group) runScript(job, cursor);
    const extra: JobPlan[] = [];
    for (const job of group) {
      if (effective === 'auto_retry' && job.exitStatus === -1 && job.finishedAt !== null) {
        extra.push(retryOf(job, job.finishedAt + rng.int(500, 4000), 'automatic'));
      }
    }
    group.push(...extra);
    const end = Math.max(...group.map((j) => j.finishedAt ?? cursor));
    const hardFailure = group
      .filter((j) => HARD_FAILURES.includes(j.final) && !j.softFailed && j.retriedBy === null)
      .map((j) => j.finishedAt ?? end);
    if (hardFailure.length > 0) {
      const first = Math.min(...hardFailure);
      if (first < end) failingAt = first;
      failedAt = end;
    }
    jobs.push(...group);
    group = [];
    cursor = end;
  };

  for (const [order, step] of steps.entries()) {
    if (stoppedAt !== null || blockedForever) {
      // Behind a failure the remaining steps never run; behind a block nobody releases they keep waiting.
      for (const job of jobFor(step, order)) {
        if (stoppedAt !== null) {
          job.final = job.kind === 'manual' ? 'blocked_failed' : 'waiting_failed';
          job.finishedAt = stoppedAt;
        } else {
          job.finishedAt = null;
          job.final = 'blocked';
        }
        jobs.push(job);
      }
      continue;
    }
    const filteredOut = step.type !== 'wait' && step.defaultBranchOnly === true && !input.onDefaultBranch;
    if (filteredOut) {
      for (const job of jobFor(step, order)) {
        job.final = 'broken';
        job.brokenReason = 'branch_mismatch';
        job.finishedAt = jobsCreatedAt;
        jobs.push(job);
      }
      continue;
    }
    if (step.type === 'command' || step.type === 'trigger') {
      group.push(...jobFor(step, order));
      continue;
    }
    flush();
    if (failedAt !== null) {
      stoppedAt = failedAt;
      const [job] = jobFor(step, order) as [JobPlan];
      job.final = step.type === 'block' ? 'blocked_failed' : 'waiting_failed';
      job.finishedAt = failedAt;
      jobs.push(job);
      continue;
    }
    const [job] = jobFor(step, order) as [JobPlan];
    job.runnableAt = cursor;
    if (step.type === 'wait') {
      job.finishedAt = cursor;
      jobs.push(job);
      continue;
    }
    phases.push({ at: cursor, state: 'passed', blocked: true, finishedAt: cursor });
    if (input.unblockAfterMs === null) {
      job.final = 'blocked';
      blockedForever = true;
    } else {
      job.final = 'unblocked';
      job.unblockedAt = cursor + input.unblockAfterMs;
      job.unblockedBy = input.pickPerson();
      job.finishedAt = job.unblockedAt;
      cursor = job.unblockedAt;
      phases.push({ at: cursor, state: 'running', blocked: false, finishedAt: null });
    }
    jobs.push(job);
  }
  flush();
  if (failedAt !== null && stoppedAt === null) stoppedAt = failedAt;

  const starts = jobs.map((j) => j.startedAt).filter((t): t is number => t !== null);
  if (starts.length > 0)
    phases.push({ at: Math.min(...starts), state: 'running', blocked: false, finishedAt: null });
  if (failingAt !== null) phases.push({ at: failingAt, state: 'failing', blocked: false, finishedAt: null });
  if (stoppedAt !== null) {
    phases.push({ at: stoppedAt, state: 'failed', blocked: false, finishedAt: stoppedAt });
    if (effective === 'manual_retry') {
      const failed = jobs.find((j) => j.final === 'failed' && !j.softFailed) as JobPlan;
      const retry = retryOf(failed, stoppedAt + rng.int(3 * MINUTE, 40 * MINUTE), 'manual');
      jobs.push(retry);
      phases.push({ at: retry.createdAt, state: 'running', blocked: false, finishedAt: null });
      phases.push({
        at: retry.finishedAt as number,
        state: 'passed',
        blocked: false,
        finishedAt: retry.finishedAt,
      });
    }
  } else if (!blockedForever) {
    phases.push({ at: cursor, state: 'passed', blocked: false, finishedAt: cursor });
  }
  phases.sort((a, b) => a.at - b.at);
  jobs.sort((a, b) => a.order - b.order || a.createdAt - b.createdAt);

  if (input.cancel && (effective === 'cancel_manual' || effective === 'cancel_auto')) {
    return cancelTimeline({ jobs, phases, failingAt, cancel: null }, rng, input.cancel);
  }
  return { jobs, phases, failingAt, cancel: null };
}

/** Cuts a timeline short: someone (or something) cancels the build part-way through. */
function cancelTimeline(
  timeline: Timeline,
  rng: Random,
  cancel: { reason: string | null; by: Person | null },
): Timeline {
  const first = timeline.phases[0]?.at ?? 0;
  const end = Math.max(...timeline.phases.map((p) => p.at));
  const at = Math.round(first + 2 * SECOND + rng.next() * Math.max(1, end - first - 2 * SECOND));
  const done = at + rng.int(800, 4000);
  const jobs = timeline.jobs
    .filter((job) => job.createdAt <= at)
    .map((job): JobPlan => {
      const retriedBy = job.retriedBy && job.retriedBy.at <= at ? job.retriedBy : null;
      if (job.finishedAt !== null && job.finishedAt <= at) return { ...job, retriedBy };
      const started = job.startedAt !== null && job.startedAt <= at;
      return {
        ...job,
        retriedBy,
        final: 'canceled',
        runnableAt: job.runnableAt !== null && job.runnableAt <= at ? job.runnableAt : null,
        startedAt: started ? job.startedAt : null,
        agent: started ? job.agent : null,
        finishedAt: done,
        exitStatus: started ? -1 : null,
        signal: started ? 'SIGTERM' : null,
        signalReason: started ? 'cancel' : null,
        unblockedAt: null,
        unblockedBy: null,
      };
    });
  const phases = timeline.phases.filter((p) => p.at <= at);
  phases.push({ at, state: 'canceling', blocked: false, finishedAt: null });
  phases.push({ at: done, state: 'canceled', blocked: false, finishedAt: done });
  return {
    jobs,
    phases,
    failingAt: timeline.failingAt !== null && timeline.failingAt <= at ? timeline.failingAt : null,
    cancel: { at, ...cancel },
  };
}
