// Runs as the store holds them, in the records `buildlens runs --format json` prints: filtered and paged
// newest first with a cursor.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { runPoints } from '../../metrics/run-points.js';
import { listRunRecords, runRecordPage } from '../../store/run-records.js';
import type { ServerContext } from '../context.js';
import { resolveFilter } from '../filter.js';
import { runQuery } from '../schema.js';

const pointsQuery = runQuery
  .omit({ cursor: true })
  .extend({ limit: z.coerce.number().int().min(100).max(100_000).default(20_000) })
  .strict();

const pointsBody = z.object({
  total: z.number().describe('finished runs the filter selects'),
  every: z.number().describe('one point per this many runs (1: every run)'),
  points: z
    .array(z.tuple([z.number(), z.number(), z.string()]))
    .describe('[trigger time in epoch milliseconds, duration in seconds, classification], oldest first'),
});

export const runRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/runs',
    {
      schema: {
        summary: 'Runs, newest first, with their classification and the rule that set it',
        tags: ['runs'],
        querystring: runQuery,
        response: { 200: runRecordPage },
      },
    },
    async (request) => {
      const { limit, cursor, status, classification, ...filters } = request.query as z.infer<typeof runQuery>;
      const filter = await resolveFilter(store, filters);
      return listRunRecords(store, { ...filter, status, classification }, { limit, cursor });
    },
  );

  app.get(
    '/api/runs/points',
    {
      schema: {
        summary:
          'Every finished run of the selection as [time, duration, classification], for a scatter of the whole range',
        tags: ['runs'],
        querystring: pointsQuery,
        response: { 200: pointsBody },
      },
    },
    async (request) => {
      const { limit, status, classification, ...filters } = request.query as z.infer<typeof pointsQuery>;
      const filter = await resolveFilter(store, filters);
      return runPoints(store, { ...filter, status, classification }, limit);
    },
  );
};
