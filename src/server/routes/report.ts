// The report, exactly as `buildlens report --format json` gives it, and what the report can offer
// (dimensions, metric fields) so the dashboard picks up new metrics without changes.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CLASSIFICATIONS, PROVIDERS } from '../../domain/model.js';
import { COVERAGE_STATUSES } from '../../metrics/coverage.js';
import { reportDocument } from '../../metrics/report-document.js';
import { DIMENSIONS, METRIC_FIELDS, METRIC_GROUPS } from '../../metrics/vocabulary.js';
import type { ServerContext } from '../context.js';
import { resolveReportFilter } from '../filter.js';
import { filterQuery, repeated, reportOptionsQuery } from '../schema.js';

const reportQuery = filterQuery
  .extend({
    by: repeated(z.enum(DIMENSIONS)).optional(),
    metrics: repeated(z.enum(METRIC_GROUPS))
      .optional()
      .describe('Metric groups beyond counts, duration and queue'),
    compare: z
      .enum(['previous'])
      .optional()
      .describe('Add each group’s figures over the previous period of the same length'),
  })
  .merge(reportOptionsQuery)
  .strict();

const nullableNumber = z.number().nullable();

const figure = z.union([z.number(), z.string(), z.null()]);

/** The fields every report row has; rows carry more with more metric groups and grow with the metrics. */
const reportMetrics = z
  .object({
    runs: z.number(),
    success: z.number(),
    failure: z.number(),
    aborted: z.number(),
    skipped: z.number(),
    running: z.number(),
    blocked: z.number(),
    unknown: z.number(),
    success_rate: nullableNumber,
    duration_s_p50: nullableNumber,
    duration_s_p95: nullableNumber,
    queue_s_p95: nullableNumber,
  })
  .catchall(figure);

const comparison = z
  .object({
    coverage: z
      .enum(COVERAGE_STATUSES)
      .describe('covered: the store holds the whole previous period for the row’s connections'),
    covered_from: z.string().nullable().describe('From when the store holds every run of those connections'),
    note: z.string().nullable().describe('Why there is no change, e.g. "no data before 12 Sep"'),
  })
  .describe('Whether the previous period can be compared; only covered rows carry `previous`');

const reportRow = reportMetrics
  .extend({
    previous: reportMetrics
      .nullable()
      .optional()
      .describe('The same group over the previous period; null: no runs there, or not covered'),
    comparison: comparison.optional(),
  })
  .catchall(figure)
  .describe('Group labels (one field per dimension) and metric fields, snake_case');

const reportBody = z.object({
  by: z.array(z.enum(DIMENSIONS)),
  metrics: z.array(z.enum(METRIC_GROUPS)).optional(),
  filter: z.record(z.string(), z.unknown()),
  previous_filter: z.record(z.string(), z.unknown()).optional(),
  coverage: z
    .object({
      from: z.string().nullable().describe('From when the store holds the runs of every connection below'),
      connections: z.array(z.object({ connection: z.string(), covered_from: z.string().nullable() })),
    })
    .describe('The connections the filter may read and from when the store holds their runs'),
  rows: z.array(reportRow),
  total: reportRow,
});

const meta = z.object({
  version: z.string(),
  dimensions: z.array(z.string()),
  metric_groups: z
    .record(z.string(), z.array(z.string()))
    .describe('Metric fields of each metric group, in order'),
  providers: z.array(z.string()),
  classifications: z.array(z.string()),
});

export const reportRoutes: FastifyPluginAsync<ServerContext> = async (app, { store, version }) => {
  app.get(
    '/api/report',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary: 'Run counts, success rate, duration and queue percentiles per group, plus the total',
        tags: ['metrics'],
        querystring: reportQuery,
        response: { 200: reportBody },
      },
    },
    async (request) => {
      const { by, metrics, compare, exact, all, ...filters } = request.query as z.infer<typeof reportQuery>;
      return reportDocument(store, {
        filter: await resolveReportFilter(store, filters, all),
        by: by ?? [],
        metrics: metrics ?? [],
        ...(compare ? { compare } : {}),
        exact: exact === true,
      });
    },
  );

  app.get(
    '/api/meta',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary: 'What this server can report: dimensions, metric fields, providers, classifications',
        tags: ['meta'],
        response: { 200: meta },
      },
    },
    async () => ({
      version,
      dimensions: [...DIMENSIONS],
      metric_groups: METRIC_FIELDS,
      providers: [...PROVIDERS],
      classifications: [...CLASSIFICATIONS],
    }),
  );
};
