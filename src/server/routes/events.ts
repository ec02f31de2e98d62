// GET /api/events: server-sent events telling the dashboard when the data behind reports changed, so it
// refreshes the page it shows. Each event carries the store's data version; the first is sent at once, the
// next whenever the version moves (whoever wrote it). Needs the API token like every data route: browsers'
// EventSource cannot send it, so the dashboard reads the stream with fetch.
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';

/** Comment lines at this interval keep proxies and load balancers from closing a quiet stream. */
const KEEP_ALIVE_MS = 20_000;
/** How long a browser's own EventSource waits before reconnecting. */
const RETRY_MS = 3000;

const event = (version: number) => `event: data_version\ndata: ${JSON.stringify({ version })}\n\n`;

export const eventRoutes: FastifyPluginAsync<ServerContext> = async (app, { dataVersions }) => {
  const open = new Set<PassThrough>();
  // An open stream would keep the server from closing.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end();
  });

  app.get(
    '/api/events',
    {
      config: { access: 'viewer' },
      schema: {
        summary:
          'Server-sent events: `data_version` with {"version": N} at once and whenever data behind reports changes',
        tags: ['meta'],
        response: { 200: z.string() },
        produces: 'text/event-stream',
      } as Record<string, unknown>,
    },
    async (request, reply) => {
      let sent = await dataVersions.current();
      const stream = new PassThrough();
      open.add(stream);
      stream.write(`retry: ${RETRY_MS}\n\n${event(sent)}`);
      const unsubscribe = dataVersions.subscribe((version) => {
        if (version === sent) return;
        sent = version;
        stream.write(event(version));
      });
      const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
      const end = () => {
        unsubscribe();
        clearInterval(keepAlive);
        open.delete(stream);
        stream.end();
      };
      request.raw.on('close', end);
      stream.on('close', end);
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('x-accel-buffering', 'no')
        .send(stream);
    },
  );
};
