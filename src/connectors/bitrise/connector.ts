// The Bitrise connector: the shared HTTP client set up for Bitrise (raw token in Authorization, §1.2),
// the connection check and the incremental sync.
import type { Connector, ConnectorOptions } from '../contract.js';
import { createHttpClient } from '../http.js';
import { createBitriseApi } from './api.js';
import { checkBitrise } from './check.js';
import { syncBitrise } from './sync.js';

export const DEFAULT_BITRISE_URL = 'https://api.bitrise.io/v0.1';

export function createBitriseConnector(options: ConnectorOptions): Connector {
  const log = options.log ?? (() => {});
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    token: options.token,
    authScheme: '',
    tokenEnv: 'BITRISE_TOKEN',
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    log,
  });
  const api = createBitriseApi(http, log);
  return {
    provider: 'bitrise',
    check: () => checkBitrise(http, options.baseUrl),
    sync: (input) =>
      syncBitrise(api, input, { concurrency: options.concurrency ?? 4, now: options.now ?? Date.now, log }),
    requests: () => http.requests(),
  };
}
