// /metrics for Prometheus: per project and workflow, run counts by class, success rate, duration and queue
// quantiles over a recent window (from the report module); the per project overview with its cap
// (project-metrics.ts); and each connection's last sync.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { report } from '../../metrics/report.js';
import type { ReportRow } from '../../metrics/vocabulary.js';
import { listConnections } from '../../store/connections.js';
import { readSyncState } from '../../store/sync-state.js';
import { alertFamilies } from '../alert-metrics.js';
import type { ServerContext } from '../context.js';
import { type Family, renderExposition, type Sample } from '../exposition.js';
import { cachedOverview } from '../overview-cache.js';
import { DURATION_QUANTILES, projectFamilies, QUEUE_QUANTILES } from '../project-metrics.js';
import { webhookFamilies } from '../webhook-metrics.js';

const WINDOW_DAYS = 30;
const CLASSES = ['success', 'failure', 'aborted', 'skipped', 'running', 'unknown'] as const;

const groupLabels = (row: ReportRow) => ({
  connection: row.connection ?? '',
  project: row.project ?? '',
  workflow: row.workflow ?? '',
});

/** One sample per row (and per extra label value) whose metric is not null. */
function samples(
  rows: ReportRow[],
  pick: (row: ReportRow) => [Record<string, string>, number | null][],
): Sample[] {
  return rows.flatMap((row) =>
    pick(row)
      .filter((entry): entry is [Record<string, string>, number] => entry[1] !== null)
      .map(([labels, value]) => ({ labels: { ...groupLabels(row), ...labels }, value })),
  );
}

export const prometheusRoutes: FastifyPluginAsync<ServerContext> = async (
  app,
  { store, sync, version, webhooks, metricsProjects, now },
) => {
  const overviewAt = cachedOverview(store, metricsProjects);
  app.get(
    '/metrics',
    {
      config: { access: 'viewer' },
      schema: {
        summary: `Prometheus text exposition: per workflow over the last ${WINDOW_DAYS} days, per project over 24 h, 7 d and 30 d (docs/grafana.md), and sync status`,
        tags: ['meta'],
        response: { 200: z.string() },
        produces: 'text/plain; version=0.0.4',
      } as Record<string, unknown>,
    },
    async (_request, reply) => {
      const nowMs = now();
      const since = new Date(nowMs - WINDOW_DAYS * 86_400_000).toISOString();
      const rows = await report(store, { filter: { since }, by: ['project', 'workflow'] });
      const overview = await overviewAt(nowMs);
      const connections = await listConnections(store);
      const states = await Promise.all(connections.map((c) => readSyncState(store, c.id)));
      const failures = sync.failureCounts();
      const window = `runs triggered in the last ${WINDOW_DAYS} days`;
      const families: Family[] = [
        {
          name: 'buildlens_info',
          help: 'buildlens version',
          type: 'gauge',
          samples: [{ labels: { version }, value: 1 }],
        },
        {
          name: 'buildlens_runs',
          help: `Runs by class (running = unfinished, unknown = a status buildlens does not know), ${window}`,
          type: 'gauge',
          samples: samples(rows, (row) => CLASSES.map((c) => [{ class: c }, row[c]])),
        },
        {
          name: 'buildlens_success_ratio',
          help: `success / (success + failure), ${window}`,
          type: 'gauge',
          samples: samples(rows, (row) => [[{}, row.success_rate]]),
        },
        {
          name: 'buildlens_run_duration_seconds',
          help: `Duration quantiles of successful runs, ${window}`,
          type: 'gauge',
          samples: samples(rows, (row) =>
            DURATION_QUANTILES.map(([q, field]) => [{ quantile: q }, row[field]]),
          ),
        },
        {
          name: 'buildlens_queue_seconds',
          help: `Queue time quantiles of started runs, ${window}`,
          type: 'gauge',
          samples: samples(rows, (row) => QUEUE_QUANTILES.map(([q, field]) => [{ quantile: q }, row[field]])),
        },
        {
          name: 'buildlens_last_sync_timestamp_seconds',
          help: 'When the last sync of the connection finished (Unix time)',
          type: 'gauge',
          samples: connections.flatMap((c, i) => {
            const finished = states[i]?.lastFinishedAt;
            return finished ? [{ labels: { connection: c.name }, value: Date.parse(finished) / 1000 }] : [];
          }),
        },
        {
          name: 'buildlens_last_sync_failed',
          help: '1 when the last sync of the connection failed, else 0',
          type: 'gauge',
          samples: connections.flatMap((c, i) =>
            states[i]?.lastFinishedAt
              ? [{ labels: { connection: c.name }, value: states[i]?.lastError ? 1 : 0 }]
              : [],
          ),
        },
        {
          name: 'buildlens_sync_failures_total',
          help: 'Failed syncs of the connection since the server started',
          type: 'counter',
          samples: connections.map((c) => ({
            labels: { connection: c.name },
            value: failures.get(c.name) ?? 0,
          })),
        },
        ...projectFamilies(overview),
        ...(await webhookFamilies(store, webhooks)),
        ...(await alertFamilies(store)),
      ];
      reply.type('text/plain; version=0.0.4; charset=utf-8');
      return renderExposition(families);
    },
  );
};
