// A run's jobs and their steps on one time axis, in seconds from the run's trigger. Pure: the run page
// draws what this returns. Each job's bar is split into queue (waiting for an agent or machine: its
// queue_s before it started), setup (from its start to its first step: Bitrise's build environment
// setup) and work (first step to finish). A Bitrise standalone build has no jobs: the run is its only
// lane. A Buildkite command job is its own only step, so it gets no step lane of its own.
import type { JobRecord, RunRecord, StepRecord } from './api.js';

export interface Span {
  /** Seconds from the run's trigger. */
  from: number;
  to: number;
}

export interface Lane {
  kind: 'job' | 'step';
  key: string;
  name: string;
  /** The run vocabulary: succeeded, failed, skipped, queued… */
  status: string;
  retried: boolean;
  /** On the run's critical path (final job executions only). */
  critical: boolean;
  queue: Span | null;
  setup: Span | null;
  work: Span | null;
  webUrl: string | null;
}

export interface Waterfall {
  /** Epoch ms of second 0: the run's trigger. */
  origin: number;
  /** Seconds the axis spans: up to the last known time of the run, its jobs and its steps. */
  span: number;
  lanes: Lane[];
  /** Names of the critical path's jobs, in order. */
  criticalPath: string[];
}

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/** Queue, setup and work of something that may have started, with its steps (sorted) after its start. */
function spans(
  at: (iso: string | null) => number | null,
  startedAt: string | null,
  finishedAt: string | null,
  queueS: number | null,
  steps: StepRecord[],
): Pick<Lane, 'queue' | 'setup' | 'work'> {
  const start = at(startedAt);
  if (start === null) return { queue: null, setup: null, work: null };
  const end = at(finishedAt);
  const firstStep = steps.map((s) => at(s.started_at)).find((t): t is number => t !== null && t > start);
  const workFrom = firstStep ?? start;
  return {
    queue: queueS !== null && queueS > 0 ? { from: Math.max(0, start - queueS), to: start } : null,
    setup: workFrom > start ? { from: start, to: workFrom } : null,
    work: { from: workFrom, to: end ?? Math.max(workFrom, ...steps.map((s) => at(s.finished_at) ?? 0)) },
  };
}

function stepLane(at: (iso: string | null) => number | null, step: StepRecord): Lane {
  const start = at(step.started_at);
  const end = at(step.finished_at);
  return {
    kind: 'step',
    key: step.key,
    name: step.name,
    status: step.status,
    retried: false,
    critical: false,
    queue: null,
    setup: null,
    work: start === null ? null : { from: start, to: end ?? start },
    webUrl: null,
  };
}

export function waterfall(run: RunRecord, jobs: JobRecord[], steps: StepRecord[]): Waterfall {
  const origin = Date.parse(run.triggered_at);
  const at = (iso: string | null) => {
    const t = ms(iso);
    return t === null || Number.isNaN(t) ? null : Math.max(0, (t - origin) / 1000);
  };
  const byJob = new Map<string | null, StepRecord[]>();
  for (const step of [...steps].sort((a, b) => a.position - b.position))
    byJob.set(step.job_key, [...(byJob.get(step.job_key) ?? []), step]);
  const lanes: Lane[] = [];
  const ownSteps = (key: string | null) => byJob.get(key) ?? [];
  if (jobs.length === 0) {
    lanes.push({
      kind: 'job',
      key: run.key,
      name: run.workflow,
      status: run.status,
      retried: false,
      critical: false,
      ...spans(at, run.started_at, run.finished_at, run.queue_s, ownSteps(null)),
      webUrl: run.web_url,
    });
    lanes.push(...ownSteps(null).map((s) => stepLane(at, s)));
  }
  for (const job of jobs) {
    const mine = ownSteps(job.key);
    lanes.push({
      kind: 'job',
      key: job.key,
      name: job.name,
      status: job.status,
      retried: job.retried,
      critical: job.on_critical_path,
      ...spans(at, job.started_at, job.finished_at, job.queue_s, mine),
      webUrl: job.web_url,
    });
    const itself = mine.length === 1 && mine[0]?.key === job.key;
    if (!itself) lanes.push(...mine.map((s) => stepLane(at, s)));
  }
  const ends = lanes.flatMap((l) => [l.queue?.to, l.setup?.to, l.work?.to]);
  const span = Math.max(1, at(run.finished_at) ?? 0, ...ends.filter((t): t is number => t !== undefined));
  const criticalPath = jobs.filter((j) => j.on_critical_path).map((j) => j.name);
  return { origin, span, lanes, criticalPath };
}
