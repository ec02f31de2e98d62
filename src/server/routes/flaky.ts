// Flaky runs behind the report's flaky figures: commits whose same workflow both failed and passed, and
// jobs that passed on a retry of a failed one, with links to the provider's pages; with `by=job|workflow`,
// jobs or workflows ranked by flake rate (as `buildlens flaky --by … --format json` prints them). Over the
// last 30 days unless a period or `all` is given, as the report.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { flakyDocument } from '../../metrics/flaky-document.js';
import { FLAKY_RANKINGS } from '../../metrics/flaky-ranking.js';
import type { ServerContext } from '../context.js';
import { resolveReportFilter } from '../filter.js';
import { filterQuery, reportOptionsQuery } from '../schema.js';

const flakyQuery = filterQuery
  .extend({
    all: reportOptionsQuery.shape.all,
    limit: z.coerce.number().int().min(1).max(500).default(50),
    by: z.enum(FLAKY_RANKINGS).optional().describe('rank jobs or workflows by flake rate'),
    bucket: z
      .enum(['day', 'week'])
      .optional()
      .describe("with `by`: each entry's executions and flaky ones per day or ISO week"),
  })
  .strict();

const link = z.string().nullable();

/** The filter the answer covers, its period included (snake_case, as the report's). */
const filter = z.record(z.string(), z.unknown());

const flakyBody = z.object({
  filter,
  commits: z.array(
    z.object({
      connection: z.string(),
      project: z.string(),
      workflow: z.string(),
      commit_sha: z.string(),
      branch: z.string().nullable(),
      failures: z.number(),
      successes: z.number(),
      last_triggered_at: z.string(),
      failed_url: link,
      passed_url: link,
    }),
  ),
  jobs: z.array(
    z.object({
      connection: z.string(),
      project: z.string(),
      workflow: z.string(),
      run_number: z.number().nullable(),
      job: z.string(),
      times: z.number(),
      triggered_at: z.string(),
      failed_url: link,
      passed_url: link,
    }),
  ),
});

const rankingBody = z.object({
  filter,
  by: z.enum(FLAKY_RANKINGS),
  ranks: z.array(
    z.object({
      connection: z.string(),
      project: z.string(),
      workflow: z.string(),
      job: z.string().nullable(),
      executions: z.number(),
      flaky: z.number(),
      flake_rate: z.number(),
      time_lost_s: z.number(),
      last_seen_at: z.string(),
      examples: z.array(
        z.object({
          run_number: z.number().nullable(),
          triggered_at: z.string(),
          failed_url: link,
          passed_url: link,
        }),
      ),
      trend: z.array(z.object({ bucket: z.string(), executions: z.number(), flaky: z.number() })).optional(),
    }),
  ),
});

export const flakyRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/flaky',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary:
          'Flaky commits (failed and passed on the same commit) and jobs that passed on retry, newest first; with `by`, jobs or workflows ranked by flake rate',
        tags: ['metrics'],
        querystring: flakyQuery,
        response: { 200: z.union([flakyBody, rankingBody]) },
      },
    },
    async (request) => {
      const { limit, by, bucket, all, ...filters } = request.query as z.infer<typeof flakyQuery>;
      return flakyDocument(store, await resolveReportFilter(store, filters, all), { limit, by, bucket });
    },
  );
};
