// Checking a connection against its provider: the one call `buildlens connect add|verify` and
// POST /api/connections/{name}/verify make, with what the outcome means for the person who asked.
import { z } from 'zod';
import { CHECK_CODES, type CheckCode } from '../connectors/contract.js';
import { createConnector } from '../connectors/registry.js';
import type { Connection } from '../domain/model.js';
import { fetchesSteps } from '../store/step-settings.js';
import type { Store } from '../store/store.js';
import { listWebhooks } from '../store/webhooks.js';

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
  checked: z
    .array(z.string())
    .describe(
      'When ok: what was checked, one line each (the provider checks, then the connection’s step and webhook settings); empty otherwise',
    ),
});
export type CheckRecord = z.infer<typeof checkRecord>;

/** A person waits on a verify: fail fast rather than retry for the length of a sync. */
const CHECK_OPTIONS = { maxRetries: 1, timeoutMs: 15_000 };

/**
 * Checks the connection against its provider; for a stored connection (`store` given) a success also lists
 * its settings that decide what a sync reads.
 */
export async function verifyConnection(
  connection: Connection,
  token: string,
  store?: Store,
): Promise<CheckRecord> {
  const result = await createConnector(connection, token, CHECK_OPTIONS).check();
  const ok = result.code === 'ok';
  return {
    connection: connection.name,
    code: result.code,
    message: result.message.replaceAll(token, '***'),
    explanation: CHECK_EXPLANATIONS[result.code],
    curl: result.curl,
    checked: ok ? [...(result.checked ?? []), ...(store ? await settingsOf(store, connection) : [])] : [],
  };
}

async function settingsOf(store: Store, connection: Connection): Promise<string[]> {
  const steps =
    connection.provider === 'buildkite'
      ? 'steps: read from the builds’ jobs (no extra requests)'
      : (await fetchesSteps(store, connection.id))
        ? 'step lists: fetched at each sync (one request per finished build)'
        : `step lists: not fetched ("buildlens connect steps ${connection.name} on" fetches them)`;
  const webhook = (await listWebhooks(store)).find((w) => w.connectionId === connection.id);
  return [
    steps,
    webhook
      ? `webhook: set up on ${webhook.createdAt.slice(0, 10)}`
      : `webhook: none, syncs only ("buildlens connect webhook ${connection.name}" sets one up)`,
  ];
}
