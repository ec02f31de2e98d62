// Runs as the store holds them, in the records `buildlens runs --format json` prints: filtered and paged
// newest first with a cursor.
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { listRunRecords, runRecordPage } from '../../store/run-records.js';
import type { ServerContext } from '../context.js';
import { resolveFilter } from '../filter.js';
import { runQuery } from '../schema.js';

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
};
