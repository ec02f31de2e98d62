// Starting a sync and watching it: POST starts (all connections or the named ones), GET shows progress.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { syncSummaryRecord } from '../../store/sync-state.js';
import type { ServerContext } from '../context.js';
import type { SyncStatus } from '../sync-runner.js';

const connectionSync = z.object({
  connection: z.string(),
  state: z.enum(['waiting', 'running', 'succeeded', 'failed']),
  projects_done: z.number(),
  projects_total: z.number(),
  runs_done: z.number(),
  summary: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('As `buildlens --json sync` prints per connection'),
  error: z.string().nullable(),
});

const syncStatus = z.object({
  running: z.boolean(),
  trigger: z.enum(['api', 'schedule']).nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  connections: z.array(connectionSync),
});

/** What GET and POST /api/sync answer. */
export type SyncStatusRecord = z.infer<typeof syncStatus>;

/** The runner's status under the snake_case names every API record uses. */
function statusRecord(status: SyncStatus): SyncStatusRecord {
  return {
    running: status.running,
    trigger: status.trigger,
    started_at: status.startedAt,
    finished_at: status.finishedAt,
    connections: status.connections.map((c) => ({
      connection: c.connection,
      state: c.state,
      projects_done: c.projectsDone,
      projects_total: c.projectsTotal,
      runs_done: c.runsDone,
      summary: c.summary && syncSummaryRecord(c.summary),
      error: c.error,
    })),
  };
}

const startBody = z
  .object({ connections: z.array(z.string().min(1).max(100)).max(100).default([]) })
  .strict()
  .default({ connections: [] })
  .describe('Connections to sync; empty or absent means all');

export const syncRoutes: FastifyPluginAsync<ServerContext> = async (app, { sync }) => {
  app.get(
    '/api/sync',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Progress of the running sync, or the result of the last one',
        tags: ['sync'],
        response: { 200: syncStatus },
      },
    },
    async () => statusRecord(sync.status()),
  );

  app.post(
    '/api/sync',
    {
      config: { access: 'admin', action: 'sync.start' },
      schema: {
        summary: 'Start a sync of some or all connections (409 while one is running)',
        tags: ['sync'],
        body: startBody,
        response: { 202: syncStatus },
      },
    },
    async (request, reply) => {
      const { connections } = request.body as z.infer<typeof startBody>;
      reply.code(202);
      return statusRecord(await sync.start(connections, 'api'));
    },
  );
};
