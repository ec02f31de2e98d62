// The Buildkite connector: the shared HTTP client set up for Buildkite (Bearer token, §3.2; pacing by the
// RateLimit headers, §3.4), the connection check and the incremental sync.
import type { Connector, ConnectorOptions } from '../contract.js';
import { createHttpClient } from '../http.js';
import { sharedPacing } from '../rate-budget.js';
import { createBuildkiteApi } from './api.js';
import { checkBuildkite } from './check.js';
import { syncBuildkite } from './sync.js';
import { buildkiteReports, buildkiteWindows, createThrottle } from './throttle.js';

export const DEFAULT_BUILDKITE_URL = 'https://api.buildkite.com/v2';

export function createBuildkiteConnector(options: ConnectorOptions): Connector {
  const log = options.log ?? (() => {});
  const throttle = createThrottle(log);
  // With a shared budget (several processes on one database) it paces instead of the per-process throttle.
  const windows = buildkiteWindows(options.baseUrl, options.org, options.token);
  const shared =
    options.budget &&
    sharedPacing(options.budget, windows, (_status, headers) => buildkiteReports(windows, headers), log);
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    token: options.token,
    authScheme: 'Bearer',
    tokenEnv: 'BUILDKITE_TOKEN',
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    rateLimitWaitMs: throttle.waitMs,
    beforeRequest: shared ? shared.beforeRequest : throttle.beforeRequest,
    onResponse: shared ? shared.onResponse : throttle.onResponse,
  });
  const api = createBuildkiteApi(http);
  return {
    provider: 'buildkite',
    check: () => checkBuildkite(api, (path) => http.curl('GET', path), options.baseUrl, options.org),
    sync: (input) => syncBuildkite(api, input, { org: options.org, now: options.now ?? Date.now, log }),
    requests: () => http.requests(),
  };
}
