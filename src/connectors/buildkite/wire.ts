// What the Buildkite REST API v2 sends (ci-apis.md §3), validated at the edge. Objects are loose so unknown
// fields pass through untouched (raw payloads keep them); the fields we read are checked. Nothing is
// transformed here: a stored payload is exactly what the API sent.
import { z } from 'zod';

/** RFC 3339 (`2015-05-09T21:05:59.874Z`) or Buildkite's other format (`2025-07-16 06:07:42 UTC`), §3.7. */
export const time = z.string().refine((value) => rfc3339(value) !== null, {
  message: 'expected an RFC 3339 or "YYYY-MM-DD HH:MM:SS UTC" time',
});

/** Either time format as RFC 3339; null when it is neither. */
export function rfc3339(value: string): string | null {
  const utc = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$/.exec(value);
  const iso = utc ? `${utc[1]}T${utc[2]}Z` : value;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(iso) &&
    !Number.isNaN(Date.parse(iso))
    ? iso
    : null;
}

const user = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
});

export const accessToken = z.looseObject({
  uuid: z.string().optional(),
  scopes: z.array(z.string()),
  user: user.nullish(),
});
export type AccessToken = z.infer<typeof accessToken>;

export const organization = z.looseObject({
  id: z.string(),
  slug: z.string().min(1),
  name: z.string(),
  web_url: z.string().nullish(),
});
export type Organization = z.infer<typeof organization>;

export const pipeline = z.looseObject({
  id: z.string().min(1),
  slug: z.string().min(1),
  name: z.string(),
  repository: z.string().nullish(),
  web_url: z.string().nullish(),
  default_branch: z.string().nullish(),
});
export type Pipeline = z.infer<typeof pipeline>;

export const job = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  name: z.string().nullish(),
  step_key: z.string().nullish(),
  state: z.string(),
  web_url: z.string().nullish(),
  soft_failed: z.boolean().nullish(),
  exit_status: z.number().int().nullish(),
  agent: z.looseObject({ name: z.string().nullish(), hostname: z.string().nullish() }).nullish(),
  /** Agent targeting, `key=value` each, e.g. `["queue=macos", "arch=arm64"]` (§3.14). */
  agent_query_rules: z.array(z.string()).nullish(),
  signal_reason: z.string().nullish(),
  broken_reason: z.string().nullish(),
  runnable_at: time.nullish(),
  started_at: time.nullish(),
  finished_at: time.nullish(),
  retried: z.boolean().nullish(),
  retried_in_job_id: z.string().nullish(),
  retry_source: z.looseObject({ job_id: z.string().nullish(), retry_type: z.string().nullish() }).nullish(),
});
export type Job = z.infer<typeof job>;

export const build = z.looseObject({
  id: z.string().min(1),
  url: z.string(),
  web_url: z.string().nullish(),
  number: z.number().int(),
  state: z.string(),
  blocked: z.boolean().nullish(),
  cancel_reason: z.string().nullish(),
  /** Who canceled the build; not in the REST docs, so it may be absent altogether. */
  canceled_by: user.nullish(),
  // Always in a build object, null when empty: one that is missing is a broken response, not an empty value.
  message: z.string().nullable(),
  commit: z.string().nullable(),
  branch: z.string().nullable(),
  source: z.string().nullish(),
  creator: user.nullish(),
  author: user.nullish(),
  jobs: z.array(job).nullish(),
  created_at: time,
  started_at: time.nullable(),
  finished_at: time.nullable(),
  /** `{}` or null when the build is not for a pull request. */
  pull_request: z.looseObject({ id: z.union([z.string(), z.number()]).nullish() }).nullish(),
  pipeline: pipeline.nullish(),
});
export type Build = z.infer<typeof build>;
