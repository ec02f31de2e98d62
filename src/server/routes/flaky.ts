// Flaky runs behind the report's flaky figures: commits whose same workflow both failed and passed, and
// jobs that passed on a retry of a failed one, with links to the provider's pages.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { flakyList } from '../../metrics/flaky.js';
import type { ServerContext } from '../context.js';
import { resolveFilter } from '../filter.js';
import { filterQuery } from '../schema.js';

const flakyQuery = filterQuery
  .extend({ limit: z.coerce.number().int().min(1).max(500).default(50) })
  .strict();

const link = z.string().nullable();

const flakyBody = z.object({
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
      triggered_at: z.string(),
      failed_url: link,
      passed_url: link,
    }),
  ),
});

export const flakyRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/flaky',
    {
      schema: {
        summary:
          'Flaky commits (failed and passed on the same commit) and jobs that passed on retry, newest first',
        tags: ['metrics'],
        querystring: flakyQuery,
        response: { 200: flakyBody },
      },
    },
    async (request) => {
      const { limit, ...filters } = request.query as z.infer<typeof flakyQuery>;
      return flakyList(store, await resolveFilter(store, filters), limit);
    },
  );
};
