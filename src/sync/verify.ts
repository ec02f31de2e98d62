// Checking a connection against its provider: the one call `buildlens connect add|verify` and
// POST /api/connections/{name}/verify make, with what the outcome means for the person who asked.
import { z } from 'zod';
import { CHECK_CODES, type CheckCode } from '../connectors/contract.js';
import { createConnector } from '../connectors/registry.js';
import type { Connection } from '../domain/model.js';

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
  unexpected_response:
    'The provider answered with something buildlens cannot read: check the URL is the API root; otherwise the named field differs from what buildlens knows.',
};

export const checkRecord = z.object({
  connection: z.string(),
  code: z.enum(CHECK_CODES),
  message: z.string().describe('One line from the check; never the token'),
  explanation: z.string(),
  curl: z.string().nullable().describe('Reproduces the failing call, the token left as a variable'),
});
export type CheckRecord = z.infer<typeof checkRecord>;

/** A person waits on a verify: fail fast rather than retry for the length of a sync. */
const CHECK_OPTIONS = { maxRetries: 1, timeoutMs: 15_000 };

export async function verifyConnection(connection: Connection, token: string): Promise<CheckRecord> {
  const result = await createConnector(connection, token, CHECK_OPTIONS).check();
  return {
    connection: connection.name,
    code: result.code,
    message: result.message.replaceAll(token, '***'),
    explanation: CHECK_EXPLANATIONS[result.code],
    curl: result.curl,
  };
}
