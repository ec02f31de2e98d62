// The simulated build history: a pure function of (seed, app, day) and the anchor. Each app-day is
// generated on its own — arrival times with work-day peaks, branches with failures that cluster and get
// fixed, flaky failures retried on the same commit, early exits, rolling-build aborts, timeouts, queues at
// busy hours — so any page of a large history can be served without materializing the rest.
import { Random, uuidOf } from '../random.js';
import { branchName, commitMessage, manualAbortReason, PEOPLE, sha } from '../vocabulary.js';
import { type App, type ArtifactKind, type Catalog, pipelineGraph, type WorkflowProfile } from './catalog.js';
import type { IdCodec } from './ids.js';

export const DAY_MS = 86_400_000;

export type TriggerEvent = 'push' | 'pull-request' | 'tag' | 'manual' | 'schedule' | 'api';

/** Final status codes (ci-apis.md §1.10): 1 success, 2 error, 3 aborted, 4 aborted with success. */
export type FinalStatus = 1 | 2 | 3 | 4;

/** What a trigger carried; shared by the builds of one run. */
export interface TriggerPlan {
  event: TriggerEvent;
  branch: string | null;
  tag: string | null;
  commitHash: string | null;
  commitMessage: string | null;
  pullRequestId: number;
  pullRequestTarget: string | null;
  triggeredBy: string | null;
}

/** A build as planned from its trigger to its end. Times are epoch ms in whole seconds, except the trigger. */
export interface BuildPlan {
  slug: string;
  app: App;
  day: number;
  run: number;
  /** Position of the build inside its pipeline's builds, every attempt's (0 for standalone builds). */
  wf: number;
  /** The run's number: a pipeline's workflow builds all carry the pipeline's. */
  number: number;
  /** A standalone build from before the account's builds had UUIDs, costs and machine types (2017 shape). */
  legacy: boolean;
  workflow: string;
  trigger: TriggerPlan;
  /** Epoch microseconds: Bitrise reports trigger times with microseconds. */
  triggeredUs: number;
  startedMs: number | null;
  preparedMs: number | null;
  finishedMs: number;
  result: FinalStatus;
  abortReason: string | null;
  /** `attempt`: 1, or 2 for the rerun of a failed workflow. */
  pipeline: { id: string; workflowId: string; attempt: number } | null;
  artifacts: readonly ArtifactKind[];
}

/** One workflow of a pipeline: its executions, oldest first (none when a run_if condition skipped it). */
export interface PipelineWorkflowPlan {
  name: string;
  dependsOn: readonly string[];
  /** Index into the pipeline's stages; null in a DAG pipeline. */
  stage: number | null;
  /** The workflow's id in the attempt that did not run it (skipped ones). */
  skippedId: string;
  builds: BuildPlan[];
}

export interface PipelinePlan {
  id: string;
  kind: 'staged' | 'dag';
  app: App;
  day: number;
  run: number;
  number: number;
  name: string;
  trigger: TriggerPlan;
  triggeredUs: number;
  /** Attempt 1, and attempt 2 when a person reran the failed workflow (DESIGN.md "Bitrise pipeline reruns"). */
  attempts: { id: string; number: number; triggeredUs: number }[];
  stages: { id: string; name: string }[];
  workflows: PipelineWorkflowPlan[];
  /** Every build of every attempt, in slug order. */
  builds: BuildPlan[];
}

/** What a person triggers: a standalone build or a pipeline. */
export type RunPlan =
  | { kind: 'build'; triggeredUs: number; build: BuildPlan }
  | { kind: 'pipeline'; triggeredUs: number; pipeline: PipelinePlan };

export interface AppDay {
  app: App;
  day: number;
  /** Oldest first; builds are numbered in this order. */
  runs: RunPlan[];
  builds: BuildPlan[];
}

export interface DayCounts {
  runs: number;
  builds: number;
  pipelines: number;
}

type Lane = 'code' | 'release' | 'nightly';

interface RunShape {
  lane: Lane;
  burst: number;
  /** 0 for the first push of a burst; later pushes follow it on the same branch. */
  position: number;
  pipeline: boolean;
  /** Pipeline workflows a run_if condition skips (indexes into the pipeline's graph). */
  skipped: readonly number[];
  /** A workflow fails and a person reruns it: a second attempt with one more build. */
  rerun: boolean;
  builds: number;
  /** A run in flight at the anchor: keeps "now" lively whatever hour the sandbox starts. */
  live: boolean;
  /** Offset (seconds into the day) fixed by the shape, or null to draw it. */
  atS: number | null;
}

// Relative arrivals per local hour: quiet nights, morning and afternoon peaks, a lunch dip.
const HOURLY = [
  0.05, 0.03, 0.02, 0.02, 0.02, 0.05, 0.15, 0.4, 0.9, 1.4, 1.6, 1.5, 0.9, 1.2, 1.5, 1.6, 1.4, 1.0, 0.6, 0.4,
  0.3, 0.25, 0.15, 0.08,
];
const WEEKEND_FACTOR = 0.12;

export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The generator for one catalog and anchor. */
export class HistoryGenerator {
  constructor(
    private readonly seed: number,
    private readonly catalog: Catalog,
    private readonly ids: IdCodec,
    private readonly anchorMs: number,
  ) {}

  /** Runs and builds of an app-day without generating them: build numbers are prefix sums of these. */
  counts(app: App, day: number): DayCounts {
    const shapes = this.shape(app, day);
    let builds = 0;
    let pipelines = 0;
    for (const run of shapes) {
      builds += run.builds;
      if (run.pipeline) pipelines++;
    }
    return { runs: shapes.length, builds, pipelines };
  }

  private shape(app: App, day: number): RunShape[] {
    const rng = new Random('shape', this.seed, app.index, day);
    const profile = app.profile;
    const weekday = new Date(day * DAY_MS).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    // Some days are busier (release crunch), some quieter; weekends are nearly idle.
    const busy = (weekend ? WEEKEND_FACTOR : 1) * rng.logNormal(1, 0.3) * (rng.chance(0.08) ? 1.7 : 1);
    const graph = profile.pipeline ? pipelineGraph(profile.pipeline) : [];
    // Reruns keep off the last two days, so every rerun lies in the past at the anchor.
    const rerunsAllowed = day < utcDay(this.anchorMs) - 1;
    const runs: RunShape[] = [];
    const add = (lane: Lane, burst: number, position: number, live: boolean, atS: number | null) => {
      const pipeline = lane === 'code' && profile.pipeline !== null;
      const skipped: number[] = [];
      let rerun = false;
      if (pipeline) {
        graph.forEach(({ name }, i) => {
          const share = profile.workflows.find((w) => w.name === name)?.skipShare ?? 0;
          if (share > 0 && rng.chance(share)) skipped.push(i);
        });
        rerun = !live && rerunsAllowed && rng.chance(0.06);
      }
      const builds = pipeline ? graph.length - skipped.length + (rerun ? 1 : 0) : 1;
      runs.push({ lane, burst, position, pipeline, skipped, rerun, builds, live, atS });
    };
    const meanBurst = 1.4;
    const bursts = rng.poisson((app.runsPerWorkday * busy) / meanBurst);
    for (let b = 0; b < bursts; b++) {
      const release = !weekend && rng.chance(0.05);
      const size = release ? 1 : rng.geometric(0.3, 5);
      for (let p = 0; p < size; p++) add(release ? 'release' : 'code', b, p, false, null);
    }
    if (profile.nightlyWorkflow)
      add('nightly', bursts, 0, false, ((((2 - profile.utcOffsetH) % 24) + 24) % 24) * 3600);
    if (day === utcDay(this.anchorMs)) {
      const secondOfDay = (this.anchorMs - day * DAY_MS) / 1000;
      [1500, 540, 40].forEach((ago, i) => {
        add('code', bursts + 1 + i, 0, true, Math.max(0, secondOfDay - ago - rng.int(0, 20)));
      });
    }
    return runs;
  }

  /**
   * Generates one app-day; `firstNumber` is the number of its first run. Pipelines and standalone builds
   * share one sequence, and a pipeline's workflow builds carry its number (as in the live builds list).
   */
  appDay(app: App, day: number, firstNumber: number): AppDay {
    const rng = new Random('day', this.seed, app.index, day);
    const shapes = this.shape(app, day);
    const timed = this.arrivalTimes(app, day, shapes, rng);
    const legacy = day < utcDay(this.anchorMs) - this.catalog.days + 1 + Math.floor(this.catalog.days / 3);
    const plan = new DayPlanner(this.seed, this.catalog, this.ids, app, day, rng, legacy);
    timed.forEach(({ shape, triggeredUs }, run) => {
      plan.run(shape, run, triggeredUs, firstNumber + run);
    });
    // Reruns register their builds later than other runs of the day: builds are listed by trigger time.
    const builds = plan.builds.sort((a, b) => a.triggeredUs - b.triggeredUs);
    return { app, day, runs: plan.runs, builds };
  }

  private arrivalTimes(app: App, day: number, shapes: RunShape[], rng: Random) {
    const offset = app.profile.utcOffsetH;
    const weights = Array.from({ length: 24 }, (_, h) => HOURLY[(((h + offset) % 24) + 24) % 24] ?? 0);
    const burstStart = new Map<number, number>();
    const timed = shapes.map((shape) => {
      let atS = shape.atS;
      if (atS === null) {
        let start = burstStart.get(shape.burst);
        if (start === undefined) {
          start = rng.weighted(weights) * 3600 + rng.uniform(0, 3600);
          burstStart.set(shape.burst, start);
        }
        // Follow-up pushes come minutes apart: the usual fix-up commits after a red build or a review.
        atS = start + shape.position * rng.logNormal(720, 0.7);
      }
      atS = Math.min(atS, 86_399);
      return { shape, triggeredUs: day * DAY_MS * 1000 + Math.floor(atS * 1e6) + rng.int(0, 999) };
    });
    timed.sort((a, b) => a.triggeredUs - b.triggeredUs);
    // Distinct, increasing trigger times keep every ordering (number, time) the same.
    for (let i = 1; i < timed.length; i++) {
      const prev = timed[i - 1]?.triggeredUs ?? 0;
      const cur = timed[i];
      if (cur && cur.triggeredUs < prev + 50_000) cur.triggeredUs = prev + 50_000;
    }
    return timed;
  }
}

interface BranchHealth {
  broken: boolean;
  /** The workflow that fails while the branch is broken. */
  failing: string;
}

interface RetryCandidate {
  run: RunPlan;
  finishedMs: number;
}

const KIND_OF_EVENT: Record<TriggerEvent, 'code' | 'other'> = {
  push: 'code',
  'pull-request': 'code',
  tag: 'other',
  manual: 'other',
  schedule: 'other',
  api: 'other',
};

/** Plans the runs of one app-day in trigger order, carrying the day's state from run to run. */
class DayPlanner {
  readonly runs: RunPlan[] = [];
  readonly builds: BuildPlan[] = [];
  private readonly health = new Map<string, BranchHealth>();
  private readonly lastOnBranch = new Map<string, RunPlan>();
  private readonly burstTrigger = new Map<number, TriggerPlan>();
  private readonly flaky: RetryCandidate[] = [];
  private readonly machines: Machines;

  constructor(
    private readonly seed: number,
    private readonly catalog: Catalog,
    private readonly ids: IdCodec,
    private readonly app: App,
    private readonly day: number,
    private readonly rng: Random,
    /** Standalone builds of this day have the 2017 shape (see BuildPlan.legacy). */
    private readonly legacy: boolean,
  ) {
    this.machines = new Machines(app.concurrency);
  }

  run(shape: RunShape, run: number, triggeredUs: number, number: number): RunPlan {
    const rng = this.rng;
    const profile = this.app.profile;
    const retry = shape.lane === 'code' && shape.position === 0 ? this.takeRetry(triggeredUs) : null;
    const trigger = retry ? this.retryTrigger(retry.run) : this.trigger(shape, run);
    const branchKey = `${shape.lane}|${trigger.branch ?? trigger.tag ?? ''}`;
    const pipelineProfile = shape.pipeline ? profile.pipeline : null;
    const graph = pipelineProfile
      ? pipelineGraph(pipelineProfile)
      : [{ name: this.workflowsOf(shape)[0] ?? 'primary', dependsOn: [] as readonly string[], stage: null }];
    const waitedFor = new Set(graph.flatMap((w) => w.dependsOn));
    // Only workflows nothing waits for fail: the ones a run_if condition did not skip.
    const candidates = graph
      .filter((w, i) => !waitedFor.has(w.name) && !shape.skipped.includes(i))
      .map((w) => w.name);
    // Retries flip a flaky failure to green; runs in flight at the anchor are kept plain so they stay running.
    let outcome: Outcome = { kind: 'success' };
    if (shape.rerun) outcome = { kind: 'flaky', workflow: rng.pick(candidates) };
    else if (!retry && !shape.live) outcome = this.outcome(shape, trigger, candidates);

    const pipelineId = pipelineProfile
      ? this.ids.encodeUuid({ kind: 'pipeline', app: this.app.index, day: this.day, run, sub: 0 })
      : null;
    const attemptId = (n: number) => (pipelineId ? uuidOf('attempt', pipelineId, n) : '');
    const workflowId = (attempt: number, i: number) =>
      pipelineId ? uuidOf('pipeline-workflow', pipelineId, attempt, i) : '';
    const builds: BuildPlan[] = [];
    const newBuild = (name: string, at: number, attempt: number, i: number): BuildPlan => {
      const wf = builds.length;
      const fields = { kind: 'build' as const, app: this.app.index, day: this.day, run, sub: wf };
      const legacy = this.legacy && !pipelineId;
      const build: BuildPlan = {
        slug: legacy ? this.ids.encode(fields) : this.ids.encodeUuid(fields),
        app: this.app,
        day: this.day,
        run,
        wf,
        number,
        legacy,
        workflow: name,
        trigger,
        triggeredUs: at + wf * 1000,
        startedMs: null,
        preparedMs: null,
        finishedMs: 0,
        result: 1,
        abortReason: null,
        pipeline: pipelineId ? { id: pipelineId, workflowId: workflowId(attempt, i), attempt } : null,
        artifacts: this.workflowProfile(name).artifacts,
      };
      builds.push(build);
      return build;
    };

    // Attempt 1: each workflow once what it waits for has finished (a skipped one waits for nothing).
    const startMs = triggeredUs / 1000 + (shape.live ? rng.uniform(60, 150) * 1000 : 0);
    const finishedAt = new Map<string, number>();
    const workflows: PipelineWorkflowPlan[] = graph.map((node, i) => {
      const plan: PipelineWorkflowPlan = { ...node, skippedId: workflowId(1, i), builds: [] };
      if (shape.skipped.includes(i)) return plan;
      const readyMs = Math.max(startMs, ...node.dependsOn.map((name) => finishedAt.get(name) ?? startMs));
      const build = newBuild(node.name, triggeredUs, 1, i);
      this.execute(build, this.workflowProfile(node.name), readyMs, outcome, shape);
      finishedAt.set(node.name, build.finishedMs);
      plan.builds.push(build);
      return plan;
    });
    if (outcome.kind === 'manual-abort') {
      const first = builds[0] as BuildPlan;
      const end = Math.max(...builds.map((b) => b.finishedMs));
      const at = first.triggeredUs / 1000 + rng.uniform(0.05, 0.9) * (end - first.triggeredUs / 1000);
      const reason = `User ${outcome.by} requested to abort this build with reason: ${outcome.reason}`;
      for (const b of builds) if (b.finishedMs > at) abortAt(b, at, reason);
    }
    const attempts = [{ id: attemptId(1), number: 1, triggeredUs }];
    if (shape.rerun) {
      // Someone reruns the failed workflow minutes later; most reruns pass.
      const failed = workflows.find((w) => w.name === (outcome as { workflow: string }).workflow);
      const endMs = Math.max(...builds.map((b) => b.finishedMs));
      const rerunUs = Math.floor((endMs + rng.logNormal(8 * 60_000, 0.5)) * 1000);
      attempts.push({ id: attemptId(2), number: 2, triggeredUs: rerunUs });
      if (failed) {
        const build = newBuild(failed.name, rerunUs, 2, workflows.indexOf(failed));
        const second: Outcome = rng.chance(0.8)
          ? { kind: 'success' }
          : { kind: 'fail', workflow: failed.name };
        this.execute(build, this.workflowProfile(failed.name), rerunUs / 1000, second, shape);
        failed.builds.push(build);
      }
    }

    const planned: RunPlan = pipelineId
      ? {
          kind: 'pipeline',
          triggeredUs,
          pipeline: {
            id: pipelineId,
            kind: pipelineProfile?.kind ?? 'staged',
            app: this.app,
            day: this.day,
            run,
            number,
            name: pipelineProfile?.name ?? '',
            trigger,
            triggeredUs,
            attempts,
            stages:
              pipelineProfile?.kind === 'staged'
                ? pipelineProfile.stages.map((stage, i) => ({
                    id: uuidOf('stage', pipelineId, i),
                    name: stage.name,
                  }))
                : [],
            workflows,
            builds,
          },
        }
      : { kind: 'build', triggeredUs, build: builds[0] as BuildPlan };

    this.applyRollingBuilds(branchKey, trigger, planned, triggeredUs, number);
    if (outcome.kind === 'flaky' && !shape.rerun && KIND_OF_EVENT[trigger.event] === 'code') {
      this.flaky.push({ run: planned, finishedMs: Math.max(...builds.map((b) => b.finishedMs)) });
    }
    this.runs.push(planned);
    this.builds.push(...builds);
    return planned;
  }

  private workflowsOf(shape: RunShape): string[] {
    const profile = this.app.profile;
    if (shape.lane === 'release') return [profile.releaseWorkflow];
    if (shape.lane === 'nightly') return [profile.nightlyWorkflow ?? profile.releaseWorkflow];
    return [profile.workflows[0]?.name ?? 'primary'];
  }

  private workflowProfile(name: string): WorkflowProfile {
    return (
      this.app.profile.workflows.find((w) => w.name === name) ?? {
        name,
        medianS: 600,
        sigma: 0.3,
        artifacts: [],
      }
    );
  }

  /** The branch, tag, commit and event of a new run; pushes of one burst share branch and event. */
  private trigger(shape: RunShape, run: number): TriggerPlan {
    const rng = this.rng;
    const profile = this.app.profile;
    const person = rng.pick(PEOPLE);
    const commit = () => ({ commitHash: sha(rng), commitMessage: commitMessage(rng) });
    const base = {
      tag: null,
      pullRequestId: 0,
      pullRequestTarget: null,
      // Current GitHub webhooks name the git host's user after the source (live payloads).
      triggeredBy: profile.provider === 'github' ? `webhook-github/${person.username}` : 'webhook',
      branch: profile.defaultBranch,
    };
    if (shape.lane === 'nightly') {
      return { ...base, ...commit(), event: 'schedule', commitMessage: null, triggeredBy: 'schedule' };
    }
    if (shape.lane === 'release') {
      if (rng.chance(0.6)) {
        const week = Math.floor(this.day / 7);
        const tag = `v${3 + Math.floor(week / 26)}.${week % 26}.${run % 10}`;
        return { ...base, ...commit(), event: 'tag', branch: null, tag };
      }
      return {
        ...base,
        event: 'manual',
        commitHash: null,
        commitMessage: null,
        triggeredBy: `manual-${person.username}`,
      };
    }
    const first = this.burstTrigger.get(shape.burst);
    if (first) return { ...first, ...commit() };
    const r = rng.next();
    let trigger: TriggerPlan;
    if (r < 0.22) trigger = { ...base, ...commit(), event: 'push' };
    else if (r < 0.8) {
      const pr = this.featureBranch();
      trigger = {
        ...base,
        ...commit(),
        event: 'pull-request',
        branch: pr.branch,
        pullRequestId: pr.number,
        pullRequestTarget: profile.defaultBranch,
      };
    } else if (r < 0.92)
      trigger = { ...base, ...commit(), event: 'push', branch: this.featureBranch().branch };
    else if (r < 0.97) {
      trigger = {
        ...base,
        event: 'manual',
        commitHash: null,
        commitMessage: rng.chance(0.5) ? commitMessage(rng) : null,
        triggeredBy: `manual-${person.username}`,
      };
    } else trigger = { ...base, ...commit(), event: 'api', triggeredBy: 'curl' };
    // Only pushes come in bursts of follow-up commits; a manual or API trigger stands alone.
    if (KIND_OF_EVENT[trigger.event] === 'code') this.burstTrigger.set(shape.burst, trigger);
    return trigger;
  }

  /** Feature branches live for a week, so failures and fixes on them span several days. */
  private featureBranch(): { branch: string; number: number } {
    const week = Math.floor((this.day + 3) / 7);
    const perWeek = Math.min(12, Math.max(2, Math.round(this.app.runsPerWorkday / 2)));
    const k = this.rng.int(0, perWeek - 1);
    const rng = new Random('branch', this.seed, this.app.index, week, k);
    return { branch: branchName(rng), number: this.app.firstPullRequest + (week % 520) * perWeek + k };
  }

  private takeRetry(triggeredUs: number): RetryCandidate | null {
    const nowMs = triggeredUs / 1000;
    const i = this.flaky.findIndex((c) => c.finishedMs < nowMs && nowMs - c.finishedMs < 6 * 3_600_000);
    if (i < 0 || !this.rng.chance(0.6)) return null;
    const [candidate] = this.flaky.splice(i, 1);
    return candidate ?? null;
  }

  /** A rebuild of the same commit by a person. */
  private retryTrigger(run: RunPlan): TriggerPlan {
    const original = run.kind === 'build' ? run.build.trigger : run.pipeline.trigger;
    return { ...original, triggeredBy: `manual-${this.rng.pick(PEOPLE).username}` };
  }

  /** How a run ends; `candidates` are the workflows that may fail. */
  private outcome(shape: RunShape, trigger: TriggerPlan, candidates: string[]): Outcome {
    const rng = this.rng;
    const profile = this.app.profile;
    if (shape.lane !== 'code') {
      if (rng.chance(shape.lane === 'nightly' ? 0.03 : 0.01))
        return { kind: 'timeout', workflow: candidates[0] ?? '' };
      return rng.chance(shape.lane === 'nightly' ? 0.15 : 0.08)
        ? { kind: 'fail', workflow: candidates[0] ?? '' }
        : { kind: 'success' };
    }
    if (profile.packages && KIND_OF_EVENT[trigger.event] === 'code' && rng.chance(0.18)) {
      return { kind: 'no-changes', package: rng.pick(profile.packages), withSuccess: rng.chance(0.5) };
    }
    const branch = trigger.branch ?? '';
    const health = this.health.get(branch) ?? { broken: false, failing: '' };
    if (health.broken) {
      if (rng.chance(0.45)) health.broken = false;
    } else if (rng.chance(branch === profile.defaultBranch ? 0.05 : 0.16)) {
      health.broken = true;
      health.failing = rng.pick(candidates);
    }
    this.health.set(branch, health);
    if (rng.chance(0.012)) return { kind: 'timeout', workflow: rng.pick(candidates) };
    if (rng.chance(0.02)) {
      return { kind: 'manual-abort', by: rng.pick(PEOPLE).username, reason: manualAbortReason(rng) };
    }
    if (health.broken) return { kind: 'fail', workflow: health.failing };
    if (rng.chance(0.06)) return { kind: 'flaky', workflow: rng.pick(candidates) };
    return { kind: 'success' };
  }

  /** Queues the build for a machine and plans its timeline and end. */
  private execute(
    build: BuildPlan,
    workflow: WorkflowProfile,
    readyMs: number,
    outcome: Outcome,
    shape: RunShape,
  ) {
    const rng = this.rng;
    const mac = this.app.profile.stack.startsWith('osx');
    const dispatchMs = rng.logNormal(6000, 0.6);
    const setupMs = ceilSecond(rng.logNormal(mac ? 45_000 : 20_000, 0.3));
    let execMs = rng.logNormal(workflow.medianS * 1000, workflow.sigma);
    if (shape.live) execMs = Math.max(execMs, 15 * 60_000);
    const limitMs = this.app.profile.timeoutMin * 60_000;
    const mine = 'workflow' in outcome && outcome.workflow === workflow.name;
    let busyMs: number;
    if (outcome.kind === 'timeout' && mine) {
      busyMs = limitMs;
      build.result = 3;
      build.abortReason = `Build timed out: it ran longer than the ${this.app.profile.timeoutMin} minute build time limit`;
    } else if (outcome.kind === 'no-changes') {
      busyMs = ceilSecond(setupMs + rng.uniform(12_000, 50_000));
      build.result = outcome.withSuccess ? 4 : 3;
      build.abortReason = `User ${this.catalog.bot} requested to abort this build with reason: No changes in ${outcome.package}, skipping build`;
    } else {
      if ((outcome.kind === 'fail' || outcome.kind === 'flaky') && mine) {
        execMs *= rng.uniform(0.25, 0.95);
        build.result = 2;
      }
      busyMs = ceilSecond(setupMs + Math.min(execMs, limitMs - setupMs - 1000));
    }
    const startedMs = this.machines.reserve(ceilSecond(readyMs + dispatchMs), busyMs);
    build.startedMs = startedMs;
    build.preparedMs = startedMs + setupMs;
    build.finishedMs = startedMs + busyMs;
  }

  /** Rolling builds: a newer run on the same branch aborts the older one if it is still going. */
  private applyRollingBuilds(
    key: string,
    trigger: TriggerPlan,
    run: RunPlan,
    triggeredUs: number,
    number: number,
  ) {
    const previous = this.lastOnBranch.get(key);
    this.lastOnBranch.set(key, run);
    const profile = this.app.profile;
    if (!previous || !profile.rollingBuilds || KIND_OF_EVENT[trigger.event] !== 'code') return;
    if (trigger.branch === profile.defaultBranch) return;
    const at = triggeredUs / 1000;
    const reason = `Aborted by Rolling Builds: a newer build (#${number}) was triggered on branch ${trigger.branch ?? ''}`;
    const builds = previous.kind === 'build' ? [previous.build] : previous.pipeline.builds;
    for (const b of builds) if (b.finishedMs > at) abortAt(b, at, reason);
  }
}

type Outcome =
  | { kind: 'success' }
  | { kind: 'fail'; workflow: string }
  | { kind: 'flaky'; workflow: string }
  | { kind: 'timeout'; workflow: string }
  | { kind: 'no-changes'; package: string; withSuccess: boolean }
  | { kind: 'manual-abort'; by: string; reason: string };

/**
 * The app's build machines as busy intervals. A build takes the earliest gap that fits it, so a pipeline
 * stage booked ahead does not keep a machine idle until then.
 */
class Machines {
  private readonly busy: { from: number; to: number }[][];

  constructor(count: number) {
    this.busy = Array.from({ length: count }, () => []);
  }

  /** Books `durationMs` on the machine that can start first at or after `readyMs`; returns the start. */
  reserve(readyMs: number, durationMs: number): number {
    let best = { machine: 0, start: Number.POSITIVE_INFINITY, index: 0 };
    this.busy.forEach((intervals, machine) => {
      let start = readyMs;
      let index = 0;
      for (; index < intervals.length; index++) {
        const slot = intervals[index] as { from: number; to: number };
        if (slot.to <= start) continue;
        if (slot.from >= start + durationMs) break;
        start = slot.to;
      }
      if (start < best.start) best = { machine, start, index };
    });
    const intervals = this.busy[best.machine] as { from: number; to: number }[];
    intervals.splice(best.index, 0, { from: best.start, to: best.start + durationMs });
    return best.start;
  }
}

/** Ends a build at `atMs` with an abort: times not reached by then stay null (ci-apis.md §1.11). */
export function abortAt(build: BuildPlan, atMs: number, reason: string, status: 3 | 4 = 3) {
  const at = Math.floor(atMs / 1000) * 1000;
  if (build.startedMs !== null && build.startedMs > at) build.startedMs = null;
  if (build.startedMs === null || (build.preparedMs !== null && build.preparedMs > at))
    build.preparedMs = null;
  build.finishedMs = Math.max(at, build.startedMs ?? 0, build.preparedMs ?? 0);
  build.result = status;
  build.abortReason = reason;
}

function ceilSecond(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}
