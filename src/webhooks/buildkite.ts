// A Buildkite delivery's own data, merged into the build the store holds (ci-apis.md §4.1). A build event
// carries the REST build object without its jobs, a job event one job beside its build, and a payload may
// already show a later state than its event. So each delivery is folded into the stored build: the build's
// fields from whichever of the two has progressed further, a job from whichever of its two copies has, and
// the jobs the delivery lacks kept. An older event arriving late therefore never moves a build back. Pure.
import { z } from 'zod';
import {
  type Build,
  type Job,
  type Pipeline,
  rfc3339,
  build as wireBuild,
  job as wireJob,
  pipeline as wirePipeline,
} from '../connectors/buildkite/wire.js';
import { epochMicros } from '../connectors/time.js';

export const buildDelivery = z.looseObject({
  build: wireBuild,
  pipeline: wirePipeline.nullish(),
  job: wireJob.nullish(),
});
export type BuildDelivery = z.infer<typeof buildDelivery>;

/** Events that carry a build (and maybe a job); everything else (ping, agent.*) has nothing to store. */
export const isBuildEvent = (event: string) => event.startsWith('build.') || event.startsWith('job.');

const ORG_IN_URL = /\/organizations\/([^/]+)\/pipelines\/([^/]+)/;

/** The organization and pipeline slugs of a delivery: the pipeline object carries no organization field. */
export function deliverySlugs(delivery: BuildDelivery): { org: string; pipeline: string } | null {
  for (const url of [delivery.pipeline?.url, delivery.build.url, delivery.build.pipeline?.url]) {
    const match = typeof url === 'string' ? ORG_IN_URL.exec(url) : null;
    if (match?.[1] && match[2])
      return { org: decodeURIComponent(match[1]), pipeline: decodeURIComponent(match[2]) };
  }
  return null;
}

export function deliveryPipeline(delivery: BuildDelivery): Pipeline | null {
  return delivery.pipeline ?? delivery.build.pipeline ?? null;
}

const micros = (time: string | null | undefined) => {
  const at = time ? rfc3339(time) : null;
  return at === null ? null : epochMicros(at);
};

/** How far a build or job has got: finished, started, or only created; then the time of that step. */
function progress(item: { started_at?: string | null; finished_at?: string | null }): [number, number] {
  const finished = micros(item.finished_at);
  if (finished !== null) return [3, finished];
  const started = micros(item.started_at);
  if (started !== null) return [2, started];
  return [1, 0];
}

/** Within a running build, the states in the order they can follow each other. */
const RUNNING_ORDER = ['running', 'failing', 'canceling'];

function compare(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** Whether `incoming` is at least as far along as `stored` (a tie goes to the newer delivery). */
export function buildNotOlder(incoming: Build, stored: Build): boolean {
  const order = compare(progress(incoming), progress(stored));
  if (order !== 0) return order > 0;
  if (progress(incoming)[0] === 2)
    return RUNNING_ORDER.indexOf(incoming.state) >= RUNNING_ORDER.indexOf(stored.state);
  return true;
}

export function jobNotOlder(incoming: Job, stored: Job): boolean {
  const order = compare(progress(incoming), progress(stored));
  if (order !== 0) return order > 0;
  // A job is marked retried after it finished, with no other change: that mark is never taken back.
  return !(stored.retried === true && incoming.retried !== true);
}

function mergeJob(jobs: readonly Job[], job: Job): Job[] {
  const at = jobs.findIndex((j) => j.id === job.id);
  if (at < 0) return [...jobs, job];
  const stored = jobs[at] as Job;
  return jobNotOlder(job, stored) ? jobs.map((j, i) => (i === at ? job : j)) : [...jobs];
}

/**
 * The build after this delivery: the stored one (with its jobs, as the REST API gave them) updated by the
 * delivery's build and job where those are not older.
 */
export function mergeBuild(stored: Build | null, delivery: BuildDelivery): Build {
  const incoming = delivery.build;
  const base = stored === null || buildNotOlder(incoming, stored) ? incoming : stored;
  const readable = (list: Build['jobs']) => (list ?? []).filter((j): j is Job => j !== null);
  let jobs: Job[] = readable(stored?.jobs);
  // A delivery whose build lists jobs (the REST shape) brings each of them.
  for (const job of readable(incoming.jobs)) jobs = mergeJob(jobs, job);
  if (delivery.job) jobs = mergeJob(jobs, delivery.job);
  return { ...base, jobs };
}

/** A stored raw build, when it still reads as one. */
export function storedBuild(payload: unknown): Build | null {
  const parsed = wireBuild.safeParse(payload);
  return parsed.success ? parsed.data : null;
}
