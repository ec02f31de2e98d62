// The list filters of the builds and pipelines endpoints (ci-apis.md §1.9, §2.1), as predicates over
// builds and runs at the current clock, plus the time bounds that let a walk stop early.
import type { BuildPlan, RunPlan, TriggerPlan } from './generate.js';
import { badRequest, boolParam, intParam, oneOf, textParam, timeParam } from './query.js';
import { buildPipelineStatus } from './wire.js';
import type { BitriseWorld, PipelineStatus } from './world.js';

export interface Filter<T> {
  keep: (item: T) => boolean;
  /** True when the query narrows the list at all (for `total_item_count`). */
  narrowed: boolean;
  /** Newest trigger time (µs, inclusive) and oldest (µs, inclusive) an item may have. */
  fromUs: number;
  downToUs: number;
}

const EVENT_TYPES = ['push', 'pull-request', 'tag'] as const;
const PIPELINE_STATUSES: readonly PipelineStatus[] = [
  'initializing',
  'on_hold',
  'running',
  'succeeded',
  'failed',
  'aborted',
  'succeeded_with_abort',
];

function textMatches(world: BitriseWorld, value: string | null, wanted: string): boolean {
  if (value === null) return false;
  return world.switches.commitMessageMatch === 'exact' ? value === wanted : value.includes(wanted);
}

function triggerChecks(world: BitriseWorld, query: URLSearchParams): ((t: TriggerPlan) => boolean)[] {
  const checks: ((t: TriggerPlan) => boolean)[] = [];
  const branch = textParam(query, 'branch');
  if (branch !== undefined) checks.push((t) => t.branch === branch);
  const event = oneOf(query, 'trigger_event_type', EVENT_TYPES);
  if (event !== undefined) checks.push((t) => t.event === event);
  const message = textParam(query, 'commit_message');
  if (message !== undefined) checks.push((t) => textMatches(world, t.commitMessage, message));
  return checks;
}

/** `GET /apps/{slug}/builds` and `GET /builds` filters. `after`/`before` are Unix seconds, inclusive. */
export function buildFilter(world: BitriseWorld, query: URLSearchParams): Filter<BuildPlan> {
  const checks: ((b: BuildPlan) => boolean)[] = triggerChecks(world, query).map(
    (check) => (b) => check(b.trigger),
  );
  const status = intParam(query, 'status');
  if (status !== undefined) {
    if (status < 0 || status > 4) throw badRequest('Invalid status: must be between 0 and 4');
    checks.push((b) => world.state(b).status === status);
  }
  const onHold = boolParam(query, 'is_on_hold');
  if (onHold !== undefined) checks.push((b) => world.state(b).onHold === onHold);
  const workflow = textParam(query, 'workflow');
  if (workflow !== undefined) checks.push((b) => b.workflow === workflow);
  const pr = intParam(query, 'pull_request_id');
  if (pr !== undefined) checks.push((b) => b.trigger.pullRequestId === pr);
  const number = intParam(query, 'build_number');
  if (number !== undefined) checks.push((b) => b.number === number);
  const inPipeline = boolParam(query, 'is_pipeline_build');
  if (inPipeline !== undefined) checks.push((b) => (b.pipeline !== null) === inPipeline);
  const after = intParam(query, 'after');
  const before = intParam(query, 'before');
  return {
    keep: (b) => checks.every((check) => check(b)),
    narrowed: checks.length > 0 || after !== undefined || before !== undefined,
    fromUs: before === undefined ? Number.POSITIVE_INFINITY : (before + 1) * 1_000_000 - 1,
    downToUs: after === undefined ? 0 : after * 1_000_000,
  };
}

export function runStatus(world: BitriseWorld, run: RunPlan): PipelineStatus {
  return run.kind === 'pipeline'
    ? world.pipelineStatus(run.pipeline)
    : buildPipelineStatus(world.state(run.build));
}

/**
 * Pipelines-list filters. `before` (or the deprecated `next`) is the paging cursor, exclusive or inclusive
 * by switch (unconfirmed); `after` is exclusive ("run after this time").
 */
export function runFilter(world: BitriseWorld, query: URLSearchParams): Filter<RunPlan> {
  const checks: ((r: RunPlan) => boolean)[] = triggerChecks(world, query).map(
    (check) => (r) => check(r.kind === 'build' ? r.build.trigger : r.pipeline.trigger),
  );
  const environment = oneOf(query, 'build_environment', ['ci', 'local', 'all'] as const);
  // Every simulated build ran on Bitrise's machines: nothing is a local build.
  if (environment === 'local') checks.push(() => false);
  const number = intParam(query, 'build_number');
  if (number !== undefined) {
    checks.push((r) => (r.kind === 'build' ? r.build.number : r.pipeline.number) === number);
  }
  const pipeline = textParam(query, 'pipeline');
  if (pipeline !== undefined) checks.push((r) => r.kind === 'pipeline' && r.pipeline.name === pipeline);
  const workflow = textParam(query, 'workflow');
  if (workflow !== undefined) {
    checks.push((r) =>
      r.kind === 'build'
        ? r.build.workflow === workflow
        : r.pipeline.builds.some((b) => b.workflow === workflow),
    );
  }
  const status = oneOf(query, 'status', PIPELINE_STATUSES);
  if (status !== undefined) checks.push((r) => runStatus(world, r) === status);
  const before = timeParam(query, 'before') ?? timeParam(query, 'next');
  const after = timeParam(query, 'after');
  return {
    keep: (r) => checks.every((check) => check(r)),
    narrowed: checks.length > 0 || after !== undefined,
    fromUs:
      before === undefined
        ? Number.POSITIVE_INFINITY
        : before - (world.switches.pipelinesBefore === 'inclusive' ? 0 : 1),
    downToUs: after === undefined ? 0 : after + 1,
  };
}
