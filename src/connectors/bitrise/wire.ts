// What Bitrise API v0.1 sends (ci-apis.md §1, §2, and the real payloads of April 2026), read tolerantly:
// only what identifies a run and orders it in time is required (ids, number, status, triggered time).
// Every other field may be absent, null or of a type we did not expect, and then reads as null: older
// builds lack fields the spec lists, and newer ones carry fields it does not. Objects are loose, and the
// connector keeps each payload as it came, so nothing a lenient field dropped is lost.
import { z } from 'zod';
import { identifier } from '../identifier.js';

const time = z.iso.datetime({ offset: true });

/** A field we read when it is there: absent, null or of another type, it is null. */
const lenient = <T extends z.ZodType>(schema: T) => schema.nullish().catch(null);
const text = lenient(z.string());
const count = lenient(z.number());
const flag = lenient(z.boolean());
const instant = lenient(time);
/** Spec fields typed "any" (§1.5): a string or a number when set. */
const scalar = lenient(z.union([z.string(), z.number()]));

export const paging = z.looseObject({
  /** Absent (or empty) on the last page: a build slug, or the pipelines list's time cursor. */
  next: text,
});
export type Paging = z.infer<typeof paging>;

/** A list answer whose items are read one by one, so one unreadable item cannot hide its page. */
export const listPage = z.looseObject({ data: z.array(z.unknown()), paging: lenient(paging) });

export const app = z.looseObject({
  slug: identifier,
  title: lenient(z.string()),
  project_type: text,
  repo_url: text,
  owner: lenient(z.looseObject({ slug: text, name: text })),
});
export type App = z.infer<typeof app>;

/**
 * 0 = not finished (on hold or running), 1 success, 2 error, 3 aborted, 4 aborted with success (§1.10).
 * Any other number is kept: normalize gives it the status `unknown`.
 */
export const buildStatus = z.number().int();

export const build = z.looseObject({
  slug: identifier,
  build_number: z.number().int(),
  status: buildStatus,
  triggered_at: time,
  is_on_hold: flag,
  abort_reason: text,
  branch: text,
  tag: text,
  commit_hash: text,
  commit_message: text,
  /** 0 when the build is not for a pull request. */
  pull_request_id: scalar,
  started_on_worker_at: instant,
  environment_prepare_finished_at: instant,
  finished_at: instant,
  /** `webhook`, `webhook-github/<user>`, `manual-<user>`, `schedule`, `curl`, null… (value set unconfirmed). */
  triggered_by: text,
  triggered_workflow: text,
  stack_identifier: text,
  /** Absent on older builds, which name their machine in `stack_config_type`. */
  machine_type_id: text,
  stack_config_type: text,
  credit_cost: count,
  /** Set when the build ran a workflow of a pipeline; empty or absent for standalone builds. */
  pipeline_workflow_id: text,
});
export type Build = z.infer<typeof build>;

/** The pipelines list mixes pipelines and standalone builds (`is_pipeline: false`), newest first. */
export const pipelineListItem = z.looseObject({
  slug: identifier,
  triggered_at: time,
  /** Null when the item does not say: the connector then asks for it as a pipeline. */
  is_pipeline: flag,
  finished_at: instant,
});
export type PipelineListItem = z.infer<typeof pipelineListItem>;

export const PIPELINE_STATUSES = [
  'initializing',
  'on_hold',
  'running',
  'succeeded',
  'failed',
  'aborted',
  'succeeded_with_abort',
] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

/** One workflow of a pipeline: inside a stage (staged pipelines) or at the top level (`"type": "dag"`). */
export const pipelineWorkflow = z.looseObject({
  id: lenient(identifier),
  name: lenient(z.string()),
  /** The slug of the build that ran this workflow; "" when it has none (skipped, not started yet). */
  external_id: lenient(identifier),
  /** Value set unconfirmed (§2.2): `succeeded`, `failed`, `skipped` seen; normalize maps what it knows. */
  status: text,
  started_at: instant,
  finished_at: instant,
  credit_cost: count,
  /** DAG pipelines: the names of the workflows this one waited for; absent on the first ones. */
  depends_on: lenient(z.array(z.string())),
  /** Why the workflow's build could not start (camelCase in the API, §2.2). */
  startFailureReason: text,
});
export type PipelineWorkflow = z.infer<typeof pipelineWorkflow>;

/** A rerun of the pipeline; the latest one decides its outcome (DESIGN.md "Bitrise pipeline reruns"). */
export const pipelineAttempt = z.looseObject({
  id: text,
  number_in_pipeline_build_scope: count,
  status: text,
  triggered_at: instant,
});
export type PipelineAttempt = z.infer<typeof pipelineAttempt>;

const pipelineShowBody = z.looseObject({
  id: identifier,
  status: z.string(),
  triggered_at: time,
  number_in_app_scope: lenient(z.number().int()),
  name: text,
  abort_reason: text,
  started_at: instant,
  finished_at: instant,
  triggered_by: text,
  credit_cost: count,
  trigger_params: lenient(
    // The parameters a pipeline was triggered with: plain Go strings, "" when not given.
    z.looseObject({
      branch: text,
      commit_hash: text,
      commit_message: text,
      tag: scalar,
      pull_request_id: scalar,
    }),
  ),
  current_attempt_id: text,
  attempts: lenient(z.array(lenient(pipelineAttempt))),
  stages: lenient(
    z.array(lenient(z.looseObject({ name: text, workflows: lenient(z.array(lenient(pipelineWorkflow))) }))),
  ),
  /** DAG pipelines (`"type": "dag"`) list their workflows here and have no stages. */
  workflows: lenient(z.array(lenient(pipelineWorkflow))),
});

/** Pipeline show: the spec returns it unwrapped, live traffic may wrap it in `data` (§2.2); accept both. */
export const pipelineShow = z.preprocess(
  (body) =>
    body && typeof body === 'object' && 'data' in body && !('id' in body)
      ? (body as { data: unknown }).data
      : body,
  pipelineShowBody,
);
export type PipelineShow = z.infer<typeof pipelineShowBody>;

/** A list whose every item must read (the connection check reads one of each). */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.looseObject({ data: z.array(item), paging: lenient(paging) });
export const objectOf = <T extends z.ZodType>(item: T) => z.looseObject({ data: item });

/** The build log endpoint's answer, not wrapped in `data` (§1.12). */
export const buildLog = z.looseObject({
  log_chunks: lenient(z.array(z.looseObject({ chunk: z.string(), position: z.number().int() }))),
  is_archived: flag,
  expiring_raw_log_url: text,
});
export type BuildLog = z.infer<typeof buildLog>;
