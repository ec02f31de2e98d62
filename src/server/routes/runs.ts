// Runs as the store holds them, in the records `buildlens runs --format json` prints: filtered and paged
// newest first with a cursor.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { runPoints } from '../../metrics/run-points.js';
import { NotFoundError } from '../../store/errors.js';
import { listRunRecords, runRecord, runRecordPage } from '../../store/run-records.js';
import type { RunQuery } from '../../store/runs.js';
import type { Store } from '../../store/store.js';
import type { ServerContext } from '../context.js';
import { resolveFilter } from '../filter.js';
import { runKeyParams, runKeyQuery, runQuery } from '../schema.js';

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

/** The runs the list and the scatter select: the usual filters, status and classification, steps run. */
async function runSelection(
  store: Store,
  query: Omit<z.infer<typeof runQuery>, 'limit' | 'cursor'>,
): Promise<RunQuery> {
  const { status, classification, step, step_status: stepStatus, ...filters } = query;
  const selection: RunQuery = { ...(await resolveFilter(store, filters)), status, classification };
  if (step) selection.step = step;
  if (stepStatus) selection.stepStatus = stepStatus;
  return selection;
}

export const runRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/runs',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary: 'Runs, newest first, with their classification and the rule that set it',
        tags: ['runs'],
        querystring: runQuery,
        response: { 200: runRecordPage },
      },
    },
    async (request) => {
      const { limit, cursor, ...query } = request.query as z.infer<typeof runQuery>;
      return listRunRecords(store, await runSelection(store, query), { limit, cursor });
    },
  );

  app.get(
    '/api/runs/points',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary:
          'Every finished run of the selection as [time, duration, classification], for a scatter of the whole range',
        tags: ['runs'],
        querystring: pointsQuery,
        response: { 200: pointsBody },
      },
    },
    async (request) => {
      const { limit, ...query } = request.query as z.infer<typeof pointsQuery>;
      return runPoints(store, await runSelection(store, query), limit);
    },
  );

  app.get(
    '/api/runs/:key',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary: 'One run, as /api/runs lists it',
        tags: ['runs'],
        params: runKeyParams,
        querystring: runKeyQuery,
        response: { 200: runRecord },
      },
    },
    async (request) => {
      const { key } = request.params as z.infer<typeof runKeyParams>;
      const { connection } = request.query as z.infer<typeof runKeyQuery>;
      const { runs } = await listRunRecords(
        store,
        { run: key, ...(connection ? { connection } : {}) },
        { limit: 1 },
      );
      const [run] = runs;
      if (!run) throw new NotFoundError(`no run "${key}" matches`);
      return run;
    },
  );
};
