// The report, exactly as `buildlens report --format json` gives it, and what the report can offer
// (dimensions, metric fields) so the dashboard picks up new metrics without changes.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CLASSIFICATIONS, PROVIDERS } from '../../domain/model.js';
import { DIMENSIONS, report } from '../../metrics/report.js';
import { reportDocument } from '../../metrics/report-document.js';
import type { ServerContext } from '../context.js';
import { resolveFilter } from '../filter.js';
import { filterQuery, repeated } from '../schema.js';

const reportQuery = filterQuery.extend({ by: repeated(z.enum(DIMENSIONS)).optional() }).strict();

const nullableNumber = z.number().nullable();

/** The fields every report row has today; rows may carry more as the metrics grow. */
const reportRow = z
  .object({
    runs: z.number(),
    success: z.number(),
    failure: z.number(),
    aborted: z.number(),
    skipped: z.number(),
    running: z.number(),
    success_rate: nullableNumber,
    duration_s_p50: nullableNumber,
    duration_s_p95: nullableNumber,
    queue_s_p95: nullableNumber,
  })
  .catchall(z.union([z.number(), z.string(), z.null()]))
  .describe('Group labels (one field per dimension) and metric fields, snake_case');

const reportBody = z.object({
  by: z.array(z.enum(DIMENSIONS)),
  filter: z.record(z.string(), z.unknown()),
  rows: z.array(reportRow),
  total: reportRow,
});

const meta = z.object({
  version: z.string(),
  dimensions: z.array(z.string()),
  metrics: z.array(z.string()).describe('Metric fields of a report row, in order'),
  providers: z.array(z.string()),
  classifications: z.array(z.string()),
  flaky: z.boolean().describe('Whether /api/flaky exists in this version'),
});

export const reportRoutes: FastifyPluginAsync<ServerContext> = async (app, { store, version }) => {
  app.get(
    '/api/report',
    {
      schema: {
        summary: 'Run counts, success rate, duration and queue percentiles per group, plus the total',
        tags: ['metrics'],
        querystring: reportQuery,
        response: { 200: reportBody },
      },
    },
    async (request) => {
      const { by, ...filters } = request.query as z.infer<typeof reportQuery>;
      return reportDocument(store, { filter: await resolveFilter(store, filters), by: by ?? [] });
    },
  );

  let metricFields: string[] | null = null;
  app.get(
    '/api/meta',
    {
      schema: {
        summary: 'What this server can report: dimensions, metric fields, providers, classifications',
        tags: ['meta'],
        response: { 200: meta },
      },
    },
    async () => {
      // The metric fields are whatever the metrics module returns: asked once, from an ungrouped row.
      if (metricFields === null) {
        const [row] = await report(store, { filter: { until: '1970-01-02T00:00:00.000Z' }, by: [] });
        metricFields = Object.keys(row ?? {});
      }
      return {
        version,
        dimensions: [...DIMENSIONS],
        metrics: metricFields,
        providers: [...PROVIDERS],
        classifications: [...CLASSIFICATIONS],
        flaky: false,
      };
    },
  );
};
