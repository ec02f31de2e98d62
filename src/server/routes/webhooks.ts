// POST /webhooks/{connection}: deliveries from Buildkite and Bitrise. No API token: the route itself
// authenticates each delivery by the connection's webhook secret or signature (access `webhook`), which needs
// the raw body, so this group reads bodies as bytes of any content type.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';

/** Buildkite build payloads run to a few KB; a pipeline with a long message or meta-data more. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const answer = z.union([
  z.object({ status: z.enum(['accepted', 'duplicate']) }),
  z.object({ error: z.string(), message: z.string() }),
]);

export const webhookRoutes: FastifyPluginAsync<ServerContext> = async (app, { webhooks, log }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );
  app.post(
    '/webhooks/:connection',
    {
      config: { access: 'webhook' },
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        summary:
          'A webhook delivery from Buildkite or Bitrise (authenticated by the connection’s webhook secret)',
        tags: ['webhooks'],
        params: z.object({ connection: z.string() }),
        response: { 200: answer, 202: answer, 400: answer, 401: answer },
      },
    },
    async (request, reply) => {
      const { connection } = request.params as { connection: string };
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const receipt = await webhooks.receiver.receive(connection, request.headers, body);
      if (receipt.refusal) log(`webhook delivery for "${connection}" refused: ${receipt.refusal}`);
      return reply.code(receipt.status).send(receipt.body);
    },
  );
};
