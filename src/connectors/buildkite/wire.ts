// What the Buildkite REST API v2 sends (ci-apis.md §3), validated at the edge. A tolerant reader: only what
// identifies and orders a build is required (id, number, state, created time); every other field may be
// absent, null or of an unexpected type, and is then read as null. Objects are loose so unknown fields pass
// through. The parsed value is only read: a stored payload is the item exactly as the API sent it.
import { z } from 'zod';
import { identifier } from '../identifier.js';

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

/** A field buildlens reads but does not need: absent, null or unreadable, it is read as null. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullish().catch(null);

const user = z.looseObject({
  id: maybe(z.string()),
  name: maybe(z.string()),
  email: maybe(z.string()),
});

export const accessToken = z.looseObject({
  uuid: maybe(z.string()),
  scopes: z.array(z.string()),
  user: maybe(user),
});
export type AccessToken = z.infer<typeof accessToken>;

export const organization = z.looseObject({
  id: maybe(z.string()),
  slug: identifier,
  name: maybe(z.string()),
  web_url: maybe(z.string()),
});
export type Organization = z.infer<typeof organization>;

export const pipeline = z.looseObject({
  id: identifier,
  slug: identifier,
  name: maybe(z.string()),
  repository: maybe(z.string()),
  web_url: maybe(z.string()),
  default_branch: maybe(z.string()),
});
export type Pipeline = z.infer<typeof pipeline>;

/**
 * A job of any type (§3.14): `script` (command step), `trigger` (with `triggered_build`), `waiter` (wait
 * step), `manual` / `block` (block and input steps, which may carry only a `label`). Only the id is needed.
 */
export const job = z.looseObject({
  id: identifier,
  type: maybe(z.string()),
  name: maybe(z.string()),
  /** Block and input steps name themselves here (the docs' "Unblock a job" example has no `name`). */
  label: maybe(z.string()),
  step_key: maybe(z.string()),
  state: maybe(z.string()),
  web_url: maybe(z.string()),
  soft_failed: maybe(z.boolean()),
  exit_status: maybe(z.number().int()),
  agent: maybe(z.looseObject({ name: maybe(z.string()), hostname: maybe(z.string()) })),
  /** Agent targeting, `key=value` each, e.g. `["queue=macos", "arch=arm64"]` (§3.14). */
  agent_query_rules: maybe(z.array(z.string())),
  signal_reason: maybe(z.string()),
  broken_reason: maybe(z.string()),
  runnable_at: maybe(time),
  started_at: maybe(time),
  finished_at: maybe(time),
  retried: maybe(z.boolean()),
  retried_in_job_id: maybe(identifier),
  retry_source: maybe(z.looseObject({ job_id: maybe(identifier), retry_type: maybe(z.string()) })),
});
export type Job = z.infer<typeof job>;

export const build = z.looseObject({
  id: identifier,
  number: z.number().int(),
  state: z.string().min(1),
  /** Within 2000–2100 too, or the build is refused (api.ts readBuild). */
  created_at: time,
  /** The API URL, `…/organizations/{org}/pipelines/{slug}/builds/{number}`: lists name no pipeline otherwise. */
  url: maybe(z.string()),
  web_url: maybe(z.string()),
  blocked: maybe(z.boolean()),
  cancel_reason: maybe(z.string()),
  /** Who canceled the build; not in the REST docs, so it may be absent altogether. */
  canceled_by: maybe(user),
  message: maybe(z.string()),
  commit: maybe(z.string()),
  branch: maybe(z.string()),
  source: maybe(z.string()),
  creator: maybe(user),
  author: maybe(user),
  /** A job that cannot be read (no id) is null here and left out; it never stops the build being read. */
  jobs: maybe(z.array(job.nullable().catch(null))),
  started_at: maybe(time),
  finished_at: maybe(time),
  /** `{}` or null when the build is not for a pull request. */
  pull_request: maybe(z.looseObject({ id: maybe(z.union([z.string(), z.number()])) })),
  /** The expanded pipeline (§3.9); lists leave it out (`exclude_pipeline`), webhook deliveries carry it. */
  pipeline: maybe(pipeline),
});
export type Build = z.infer<typeof build>;
