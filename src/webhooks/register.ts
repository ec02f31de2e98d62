// Registering the Bitrise outgoing webhook on every app the token can see (ci-apis.md §4.2:
// POST /apps/{slug}/outgoing-webhooks, Owner/Admin role). Each app is tried on its own; the ones that
// refuse (no admin role, a plan without webhooks) are reported with the provider's reason, never skipped
// silently.
import { createBitriseApi } from '../connectors/bitrise/api.js';
import { ApiError, createHttpClient } from '../connectors/http.js';
import type { Connection } from '../domain/model.js';
import { firstLine } from '../store/errors.js';
import { BITRISE_SECRET_HEADER } from './verify.js';

/** What Bitrise's UI calls "build events"; the API's valid strings are unconfirmed (§4.2). */
export const BITRISE_EVENTS = ['build/triggered', 'build/finished'];

export interface Registration {
  registered: string[];
  failed: { app: string; reason: string }[];
}

export async function registerBitriseWebhooks(
  connection: Connection,
  token: string,
  url: string,
  secret: string,
  options: { timeoutMs?: number; maxRetries?: number } = {},
): Promise<Registration> {
  const http = createHttpClient({
    baseUrl: connection.baseUrl,
    token,
    authScheme: '',
    tokenEnv: 'BITRISE_TOKEN',
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
  });
  const api = createBitriseApi(http, () => {});
  const apps: string[] = [];
  for await (const page of api.apps()) for (const read of page.items) apps.push(read.item.slug);
  const result: Registration = { registered: [], failed: [] };
  for (const app of apps) {
    try {
      await http.request('POST', `/apps/${encodeURIComponent(app)}/outgoing-webhooks`, {
        body: { url, events: BITRISE_EVENTS, secret, headers: { [BITRISE_SECRET_HEADER]: secret } },
      });
      result.registered.push(app);
    } catch (error) {
      const reason =
        error instanceof ApiError ? `${error.status} ${error.detail ?? ''}`.trim() : firstLine(error);
      result.failed.push({ app, reason });
    }
  }
  return result;
}
