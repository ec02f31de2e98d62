// What a build plan looks like at one instant of the sandbox clock: the build's state and the state and
// visible times of each job. Pure; the wire format is serialize.ts's business.
import type { FilterableBuild } from './filters.js';
import type { JobPlan, Phase, Timeline } from './plan.js';

/** The part of a build plan its state depends on, plus what the list filters read. */
export interface PlannedBuild extends Pick<Timeline, 'phases'> {
  createdAt: number;
  branch: string;
  commit: string;
  creatorId: string | null;
  metaData: Readonly<Record<string, string>>;
}

export function phaseAt(build: Pick<Timeline, 'phases'>, now: number): Phase {
  let current = build.phases[0] as Phase;
  for (const phase of build.phases) {
    if (phase.at > now) break;
    current = phase;
  }
  return current;
}

export function filterableAt(build: PlannedBuild, now: number): FilterableBuild {
  const phase = phaseAt(build, now);
  return {
    createdAt: build.createdAt,
    finishedAt: phase.finishedAt,
    filterState: phase.blocked ? 'blocked' : phase.state,
    branch: build.branch,
    commit: build.commit,
    creatorId: build.creatorId,
    metaData: build.metaData,
  };
}

export interface JobView {
  job: JobPlan;
  state: string;
  retried: boolean;
  runnableAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  unblockedAt: number | null;
}

const seen = (t: number | null, now: number) => (t !== null && t <= now ? t : null);

export function jobStateAt(job: JobPlan, now: number, cancelAt: number | null): string {
  if (job.finishedAt !== null && now >= job.finishedAt) return job.final;
  if (job.startedAt !== null && now >= job.startedAt) {
    return job.final === 'canceled' && cancelAt !== null && now >= cancelAt ? 'canceling' : 'running';
  }
  if (job.runnableAt !== null && now >= job.runnableAt)
    return job.kind === 'manual' ? 'blocked' : 'scheduled';
  return 'waiting';
}

/** Jobs that exist at `now`; without `includeRetried`, only the newest execution of each job. */
export function jobsAt(build: Timeline, now: number, includeRetried: boolean): JobView[] {
  const views: JobView[] = [];
  for (const job of build.jobs) {
    if (job.createdAt > now) continue;
    const retried = job.retriedBy !== null && job.retriedBy.at <= now;
    if (retried && !includeRetried) continue;
    views.push({
      job,
      state: jobStateAt(job, now, build.cancel?.at ?? null),
      retried,
      runnableAt: seen(job.runnableAt, now),
      startedAt: seen(job.startedAt, now),
      finishedAt: seen(job.finishedAt, now),
      unblockedAt: seen(job.unblockedAt, now),
    });
  }
  return views;
}

/** The build's started_at: when its first job started, once that has happened. */
export function startedAt(build: Timeline, now: number): number | null {
  let first: number | null = null;
  for (const job of build.jobs) {
    if (job.startedAt !== null && job.startedAt <= now && (first === null || job.startedAt < first)) {
      first = job.startedAt;
    }
  }
  return first;
}
