// Provider accounts: list with their last sync, and verify one against its provider. Tokens never leave.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CheckCode } from '../../connectors/contract.js';
import { createConnector } from '../../connectors/registry.js';
import { connectionRecord, listConnectionRecords } from '../../store/connection-records.js';
import { getConnection } from '../../store/connections.js';
import type { ServerContext } from '../context.js';

const CHECK_CODES = [
  'ok',
  'invalid_credentials',
  'invalid_permissions',
  'no_resources',
  'unreachable',
  'rate_limited',
] as const satisfies readonly CheckCode[];

/** What each check code means for the person looking at it, and what to do next. */
export const CHECK_EXPLANATIONS: Record<CheckCode, string> = {
  ok: 'The token works and can read builds.',
  invalid_credentials:
    'The provider rejected the token: it is wrong, expired or revoked. Create a new one and reconnect.',
  invalid_permissions:
    'The token is valid but lacks a scope needed to read builds (Buildkite: read_builds, read_pipelines).',
  no_resources:
    'The token works but sees no apps or pipelines: check the organization or the token’s access.',
  unreachable: 'The provider’s API did not answer: check the URL, the network or a proxy.',
  rate_limited: 'The provider is rate limiting this token; try again after a few minutes.',
};

const checkResult = z.object({
  connection: z.string(),
  code: z.enum(CHECK_CODES),
  message: z.string(),
  explanation: z.string(),
  curl: z.string().nullable(),
});

const nameParams = z.object({ name: z.string().min(1).max(100) });

/** A person waits on a verify: fail fast rather than retry for the length of a sync. */
const CHECK_OPTIONS = { maxRetries: 1, timeoutMs: 15_000 };

export const connectionRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/connections',
    {
      schema: {
        summary:
          'Connections and their last sync, as `buildlens --json connect list` prints them (never a token)',
        tags: ['connections'],
        response: { 200: z.array(connectionRecord) },
      },
    },
    () => listConnectionRecords(store),
  );

  app.post(
    '/api/connections/:name/verify',
    {
      schema: {
        summary: 'Check the connection’s token against its provider',
        tags: ['connections'],
        params: nameParams,
        response: { 200: checkResult },
      },
    },
    async (request) => {
      const { name } = request.params as z.infer<typeof nameParams>;
      const { connection: found, token } = await getConnection(store, name);
      const result = await createConnector(found, token, CHECK_OPTIONS).check();
      return {
        connection: found.name,
        code: result.code,
        message: result.message.replaceAll(token, '***'),
        explanation: CHECK_EXPLANATIONS[result.code],
        curl: result.curl,
      };
    },
  );
};
