// Starting a sync and watching it: POST starts (all connections or the named ones), GET shows progress.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';

const connectionSync = z.object({
  connection: z.string(),
  state: z.enum(['waiting', 'running', 'succeeded', 'failed']),
  projectsDone: z.number(),
  projectsTotal: z.number(),
  runsDone: z.number(),
  summary: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
});

const syncStatus = z.object({
  running: z.boolean(),
  trigger: z.enum(['api', 'schedule']).nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  connections: z.array(connectionSync),
});

const startBody = z
  .object({ connections: z.array(z.string().min(1).max(100)).max(100).default([]) })
  .strict()
  .default({ connections: [] })
  .describe('Connections to sync; empty or absent means all');

export const syncRoutes: FastifyPluginAsync<ServerContext> = async (app, { sync }) => {
  app.get(
    '/api/sync',
    {
      schema: {
        summary: 'Progress of the running sync, or the result of the last one',
        tags: ['sync'],
        response: { 200: syncStatus },
      },
    },
    async () => sync.status(),
  );

  app.post(
    '/api/sync',
    {
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
      return sync.start(connections, 'api');
    },
  );
};
