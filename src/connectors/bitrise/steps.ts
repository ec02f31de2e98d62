// A Bitrise build's steps from its log summary (`GET /apps/{app}/builds/{build}/log/summary`; real example:
// shared reference get_build_steps.json): every workflow the build ran (before/after-run utility workflows
// included) with its steps in order. Read tolerantly: a step without a readable time keeps null times, one
// of an unknown status is `unknown`, and the whole summary may be absent (null: the provider has none).
// Pure: a stored summary (raw kind `build_steps`, keyed by build slug) is read again the same way offline;
// its run is the build itself, or the pipeline whose job has the build's slug as its key.
import { z } from 'zod';
import type { Job, Run, RunStatus, Step } from '../../domain/model.js';
import type { StepSource } from '../contract.js';
import { identifier } from '../identifier.js';
import { secondsBetween } from '../time.js';

const lenient = <T extends z.ZodType>(schema: T) => schema.nullish().catch(null);
const text = lenient(z.string());
const instant = lenient(z.iso.datetime({ offset: true }));

const step = z.looseObject({
  // Part of the step's key: an id too long to be one reads as none.
  uuid: lenient(identifier),
  step_id: text,
  title: text,
  status: text,
  started_at: instant,
  finished_at: instant,
});

export const logSummary = z.looseObject({
  execution: lenient(
    z.looseObject({
      workflows: lenient(
        z.array(lenient(z.looseObject({ workflow_id: text, steps: lenient(z.array(lenient(step))) }))),
      ),
    }),
  ),
});
export type LogSummary = z.infer<typeof logSummary>;

/**
 * The Bitrise CLI's step run results. `failed_skippable` failed without failing its workflow (like a
 * Buildkite soft fail, it stays a failure of the step); a `run_if` that was false skipped it.
 */
const STEP_STATUS: Record<string, RunStatus> = {
  success: 'succeeded',
  failed: 'failed',
  failed_skippable: 'failed',
  skipped: 'skipped',
  skipped_with_run_if: 'skipped',
  aborted_with_custom_timeout: 'aborted',
  aborted_with_no_output_timeout: 'aborted',
  aborted: 'aborted',
  in_progress: 'running',
  running: 'running',
};

/** The steps of one build's log summary, in the order they ran; none when the provider has no summary. */
export function normalizeBuildSteps(source: StepSource, payload: unknown): Step[] {
  const parsed = logSummary.safeParse(payload);
  if (!parsed.success) return [];
  const steps: Step[] = [];
  for (const workflow of parsed.data.execution?.workflows ?? []) {
    for (const item of workflow?.steps ?? []) {
      if (!item) continue;
      const position = steps.length;
      const status = item.status ?? '';
      steps.push({
        // A step's uuid is unique within its build; a summary without one still orders its steps.
        key: `${source.key}/${item.uuid || position}`,
        runKey: source.runKey,
        jobKey: source.jobKey,
        name: item.title || item.step_id || 'step',
        stepId: item.step_id || null,
        position,
        status: STEP_STATUS[status] ?? 'unknown',
        providerStatus: status,
        startedAt: item.started_at ?? null,
        finishedAt: item.finished_at ?? null,
        durationS: clamp(secondsBetween(item.started_at, item.finished_at)),
      });
    }
  }
  return steps;
}

/** Whole-second starts and millisecond finishes can put a finish a fraction before its start. */
const clamp = (seconds: number | null) => (seconds === null ? null : Math.max(0, seconds));

/**
 * The builds whose summaries a finished run has: a standalone build's own, a pipeline's workflow builds
 * that ran (every attempt's; a workflow the pipeline skipped has no build).
 */
export function stepSourcesOf(run: Run, jobs: readonly Job[]): StepSource[] {
  const of = (key: string, jobKey: string | null) => ({
    key,
    projectKey: run.projectKey,
    runKey: run.key,
    jobKey,
  });
  if (run.kind === 'build') return run.startedAt === null ? [] : [of(run.key, null)];
  return jobs
    .filter((j) => j.runKey === run.key && j.startedAt !== null && j.finishedAt !== null)
    .map((j) => of(j.key, j.key));
}
