// A run's jobs and steps, in the records `buildlens jobs|steps --run KEY --json` print.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { LEVELS, levelReport, levelReportDocument } from '../../metrics/level-report.js';
import { jobRecord, listJobRecords } from '../../store/job-records.js';
import { listStepRecords, stepRecord } from '../../store/step-records.js';
import type { ServerContext } from '../context.js';
import { resolveReportFilter } from '../filter.js';
import { filterQuery, reportOptionsQuery, runKeyParams, runKeyQuery } from '../schema.js';

/** Every job of one run is returned: a run has hundreds of jobs at most, not millions. */
const ALL = 1_000_000;

const levelQuery = filterQuery
  .extend({ level: z.enum(LEVELS) })
  .merge(reportOptionsQuery)
  .strict();

export const levelRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/runs/:key/jobs',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary: 'A run’s jobs in the order they started, with the critical path marked',
        tags: ['runs'],
        params: runKeyParams,
        querystring: runKeyQuery,
        response: { 200: jobRecord.array() },
      },
    },
    async (request) => {
      const { key } = request.params as z.infer<typeof runKeyParams>;
      const { connection } = request.query as z.infer<typeof runKeyQuery>;
      return listJobRecords(store, { run: key, ...(connection ? { connection } : {}) }, ALL);
    },
  );

  app.get(
    '/api/runs/:key/steps',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary: 'A run’s steps, job by job, in the order they ran',
        tags: ['runs'],
        params: runKeyParams,
        querystring: runKeyQuery,
        response: { 200: stepRecord.array() },
      },
    },
    async (request) => {
      const { key } = request.params as z.infer<typeof runKeyParams>;
      const { connection } = request.query as z.infer<typeof runKeyQuery>;
      return listStepRecords(store, { run: key, ...(connection ? { connection } : {}) }, ALL);
    },
  );

  app.get(
    '/api/report/levels',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary: 'Where the selected runs’ time goes, per job or step (report --by job|step)',
        tags: ['report'],
        querystring: levelQuery,
        response: { 200: levelReportDocument },
      },
    },
    async (request) => {
      const { level, all, exact, ...filters } = request.query as z.infer<typeof levelQuery>;
      return levelReport(store, await resolveReportFilter(store, filters, all), level, {
        exact: exact === true,
      });
    },
  );
};
