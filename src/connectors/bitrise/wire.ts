// What Bitrise API v0.1 sends (ci-apis.md §1, §2), validated at the edge. Objects are loose so unknown
// fields pass through untouched (raw payloads keep them); the fields we read are checked strictly.
// Nullable wrappers of the Go spec arrive as plain values or null (§1.5).
import { z } from 'zod';

const time = z.iso.datetime({ offset: true });
// Bitrise sends a field without a value as null (§1.1): a field that is missing altogether is a broken
// response, not an empty value, and must not be stored as one.
const text = z.string().nullable();

export const paging = z.looseObject({
  total_item_count: z.number().int().optional(),
  page_item_limit: z.number().int().optional(),
  /** Absent (or empty) on the last page. */
  next: z.string().nullish(),
});
export type Paging = z.infer<typeof paging>;

export const app = z.looseObject({
  slug: z.string().min(1),
  title: z.string(),
  project_type: text,
  repo_url: text,
  owner: z.looseObject({ slug: z.string(), name: z.string().nullish() }).nullish(),
});
export type App = z.infer<typeof app>;

/**
 * 0 = not finished (on hold or running), 1 success, 2 error, 3 aborted, 4 aborted with success (§1.10).
 * Any other number is kept: normalize gives it the status `unknown` (DESIGN.md).
 */
export const buildStatus = z.number().int();

export const build = z.looseObject({
  slug: z.string().min(1),
  build_number: z.number().int(),
  status: buildStatus,
  is_on_hold: z.boolean(),
  abort_reason: text,
  branch: text,
  tag: text,
  commit_hash: text,
  commit_message: text,
  /** 0 when the build is not for a pull request. */
  pull_request_id: z.number().int().nullable(),
  triggered_at: time,
  started_on_worker_at: time.nullable(),
  environment_prepare_finished_at: time.nullable(),
  finished_at: time.nullable(),
  triggered_by: text,
  triggered_workflow: z.string(),
  stack_identifier: text,
  machine_type_id: text,
  credit_cost: z.number().nullable(),
  /** Set when the build ran a workflow of a pipeline; empty or absent for standalone builds. */
  pipeline_workflow_id: z.string().nullish(),
});
export type Build = z.infer<typeof build>;

/** The pipelines list mixes pipelines and standalone builds (`is_pipeline: false`), newest first. */
export const pipelineListItem = z.looseObject({
  slug: z.string().min(1),
  is_pipeline: z.boolean(),
  triggered_at: time,
  finished_at: time.nullable(),
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

/** Fields the spec types "any" (§1.5): a string or number when set. */
const loose = z.union([z.string(), z.number()]).nullish();

export const pipelineWorkflow = z.looseObject({
  id: z.string(),
  name: z.string(),
  /** The slug of the build that ran this workflow; empty until it exists. */
  external_id: z.string().nullish(),
  /** Value set unconfirmed (§2.2), so any string; normalize maps the known ones. */
  status: z.string(),
  started_at: time.nullable(),
  finished_at: time.nullable(),
  // Pipelines are less documented than builds (§2): only their times are held to the null rule.
  credit_cost: z.number().nullish(),
  /** Why the workflow's build could not start (camelCase in the API, §2.2). */
  startFailureReason: z.string().nullish(),
});
export type PipelineWorkflow = z.infer<typeof pipelineWorkflow>;

const pipelineShowBody = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  number_in_app_scope: z.number().int().nullish(),
  /** PIPELINE_STATUSES, or a value normalize does not know (status `unknown`, DESIGN.md). */
  status: z.string(),
  abort_reason: text,
  triggered_at: time,
  started_at: time.nullable(),
  finished_at: time.nullable(),
  triggered_by: z.string().nullish(),
  credit_cost: z.number().nullish(),
  trigger_params: z
    // The parameters a pipeline was triggered with: only those that were given are present.
    .looseObject({
      branch: z.string().nullish(),
      commit_hash: z.string().nullish(),
      commit_message: z.string().nullish(),
      tag: loose,
      pull_request_id: loose,
      pull_request_author: z.string().nullish(),
    })
    .nullish(),
  stages: z
    .array(
      z.looseObject({ id: z.string(), name: z.string(), workflows: z.array(pipelineWorkflow).nullish() }),
    )
    .nullish(),
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

export const listOf = <T extends z.ZodType>(item: T) =>
  z.looseObject({ data: z.array(item), paging: paging.nullish() });
export const objectOf = <T extends z.ZodType>(item: T) => z.looseObject({ data: item });

/** The build log endpoint's answer, not wrapped in `data` (§1.12). */
export const buildLog = z.looseObject({
  log_chunks: z.array(z.looseObject({ chunk: z.string(), position: z.number().int() })).nullish(),
  is_archived: z.boolean().nullish(),
  expiring_raw_log_url: z.string().nullish(),
});
export type BuildLog = z.infer<typeof buildLog>;
