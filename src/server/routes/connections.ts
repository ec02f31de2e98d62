// Provider accounts: list with their last sync, and verify one against its provider. Tokens never leave.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { connectionRecord, listConnectionRecords } from '../../store/connection-records.js';
import { getConnection } from '../../store/connections.js';
import { checkRecord, verifyConnection } from '../../sync/verify.js';
import type { ServerContext } from '../context.js';

const nameParams = z.object({ name: z.string().min(1).max(100) });

export const connectionRoutes: FastifyPluginAsync<ServerContext> = async (app, { store, webhooks }) => {
  app.get(
    '/api/connections',
    {
      config: { access: 'viewer' },
      schema: {
        summary:
          'Connections, their last sync and webhook health, as `buildlens --json connect list` prints them (never a token)',
        tags: ['connections'],
        response: { 200: z.array(connectionRecord) },
      },
    },
    () => listConnectionRecords(store, webhooks.receiver.unstoredRefusals()),
  );

  app.post(
    '/api/connections/:name/verify',
    {
      config: { access: 'admin', action: 'connection.verify' },
      schema: {
        summary: 'Check the connection’s token against its provider',
        tags: ['connections'],
        params: nameParams,
        response: { 200: checkRecord },
      },
    },
    async (request) => {
      const { name } = request.params as z.infer<typeof nameParams>;
      const { connection, token } = await getConnection(store, name);
      return verifyConnection(connection, token, store);
    },
  );
};
