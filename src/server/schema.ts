// Route schemas are zod: one definition validates a request and describes the route in OpenAPI.
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { CLASSIFICATIONS, PROVIDERS, RUN_STATUSES, TRIGGERS } from '../domain/model.js';
import { DEFAULT_PERIOD_DAYS, parseInstant } from '../domain/period.js';

/** Issues as one line a person can act on, e.g. `since: must be an ISO 8601 date …; limit: Too big`. */
export function explainIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema }) => {
  return (data: unknown) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: new Error(explainIssues(result.error)) };
  };
};

/** Values one repeated parameter may have: a filter, not a list of every run. */
const MAX_REPEATS = 100;

/** A query parameter that may be repeated (`?branch=a&branch=b`): names may contain commas, so no splitting. */
export const repeated = <T extends z.ZodType<string>>(item: T) =>
  z
    .union([item, z.array(item)])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .refine((values) => values.length <= MAX_REPEATS, `at most ${MAX_REPEATS} values`);

// CI providers hold nothing older; the bounds also keep epoch microseconds well inside a safe integer.
const EARLIEST = '2000-01-01T00:00:00.000Z';
const LATEST = '2100-01-01T00:00:00.000Z';

/** An ISO 8601 date or timestamp, read the way the CLI reads `--since`/`--until`, from 2000 to 2100. */
export const instant = z.string().transform((value, ctx) => {
  try {
    const iso = parseInstant(value);
    if (iso >= EARLIEST && iso <= LATEST) return iso;
    ctx.addIssue({ code: 'custom', message: `must be between 2000-01-01 and 2100-01-01, got "${value}"` });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
  return z.NEVER;
});

/** Filters shared by runs, report and flaky: the CLI's `--connection … --until` plus the provider. */
export const filterQuery = z.object({
  connection: repeated(z.string().min(1)).optional(),
  provider: repeated(z.enum(PROVIDERS)).optional(),
  project: repeated(z.string().min(1)).optional(),
  workflow: repeated(z.string().min(1)).optional(),
  branch: repeated(z.string().min(1)).optional(),
  default_branch: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .describe(
      "true: runs on their project's default branch only (set, the provider's, else inferred); false: the other branches",
    ),
  trigger: repeated(z.enum(TRIGGERS)).optional(),
  pr: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .describe('true: pull-request runs only; false: runs without a pull request'),
  machine: repeated(z.string().min(1)).optional(),
  stack: repeated(z.string().min(1)).optional(),
  agent_queue: repeated(z.string().min(1)).optional().describe('Buildkite agent queue'),
  since: instant.optional(),
  until: instant.optional(),
});
export type FilterQuery = z.infer<typeof filterQuery>;

/** The reports' period and percentile options (`report` and `report --by job|step` alike). */
export const reportOptionsQuery = z.object({
  all: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .describe(`true: every run stored; without since, until or all, the last ${DEFAULT_PERIOD_DAYS} days`),
  exact: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .describe('true: percentiles from every run instead of the rollups’ sketches (within 0.5%)'),
});

export const runQuery = filterQuery
  .extend({
    status: repeated(z.enum(RUN_STATUSES)).optional(),
    classification: repeated(z.enum(CLASSIFICATIONS)).optional(),
    step: repeated(z.string().min(1))
      .optional()
      .describe('runs that executed a step of this name (Bitrise step title, Buildkite step key or label)'),
    step_status: repeated(z.enum(RUN_STATUSES))
      .optional()
      .describe('runs with a step (of `step`, when given) that ended so, e.g. failed'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  // A misspelt parameter must not silently widen the selection.
  .strict();

/** One run by key: `/api/runs/{key}` and its jobs and steps. */
export const runKeyParams = z.object({ key: z.string().min(1).max(200) });
export const runKeyQuery = z
  .object({
    connection: repeated(z.string().min(1)).optional().describe('when a key is in several connections'),
  })
  .strict();

/** The error body of every 4xx/5xx answer. */
export const errorBody = z.object({ error: z.string(), message: z.string() });
