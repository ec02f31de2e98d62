// The classification rules in force, in the order they are tried (first match wins).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DEFAULT_RULES } from '../../classify/classify.js';
import { CLASSIFICATIONS } from '../../domain/model.js';
import type { ServerContext } from '../context.js';

const rule = z.object({ order: z.number().int(), name: z.string(), classification: z.enum(CLASSIFICATIONS) });

export const ruleRoutes: FastifyPluginAsync<ServerContext> = async (app) => {
  app.get(
    '/api/rules',
    {
      schema: {
        summary: 'Classification rules, in the order they are tried',
        tags: ['classification'],
        response: { 200: z.array(rule) },
      },
    },
    async () =>
      DEFAULT_RULES.map((r, index) => ({ order: index + 1, name: r.name, classification: r.classification })),
  );
};
