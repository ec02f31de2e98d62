// Liveness and readiness in one: answers 200 only when the database answers.
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { ServerContext } from '../context.js';

const health = z.object({ status: z.literal('ok'), version: z.string(), database: z.string() });

export const healthRoutes: FastifyPluginAsync<ServerContext> = async (app, { store, version }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'open' },
      schema: { summary: 'Server and database are up', tags: ['meta'], response: { 200: health } },
    },
    async () => {
      await sql`select 1`.execute(store.db);
      return { status: 'ok' as const, version, database: store.dialect };
    },
  );
};
