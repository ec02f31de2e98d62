// The classification rules in force, in the order they are tried (first match wins): the user's rules file
// (beside the database, or $BUILDLENS_RULES), then the defaults, as the server's syncs apply them.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { rulesForStore } from '../../classify/rules.js';
import { CLASSIFICATIONS } from '../../domain/model.js';
import type { ServerContext } from '../context.js';

const rule = z.object({ order: z.number().int(), name: z.string(), classification: z.enum(CLASSIFICATIONS) });

export const ruleRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/rules',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Classification rules in force (user rules first, then the defaults), in the order tried',
        tags: ['classification'],
        response: { 200: z.array(rule) },
      },
    },
    async () =>
      rulesForStore(store, undefined).rules.map((r, index) => ({
        order: index + 1,
        name: r.name,
        classification: r.classification,
      })),
  );
};
