// The Bitrise connector: the shared HTTP client set up for Bitrise (raw token in Authorization, §1.2),
// the connection check and the incremental sync.
import type { Connector, ConnectorOptions } from '../contract.js';
import { createHttpClient } from '../http.js';
import { sharedPacing, tokenKey, type WindowReport, type WindowSpec } from '../rate-budget.js';
import { createBitriseApi } from './api.js';
import { checkBitrise } from './check.js';
import { normalizeBuildSteps, stepSourcesOf } from './steps.js';
import { syncBitrise } from './sync.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: log chunks carry ANSI colours (§1.12)
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
const stripEscapes = (text: string) => text.replace(ANSI, '');

export const DEFAULT_BITRISE_URL = 'https://api.bitrise.io/v0.1';

/**
 * Bitrise documents no limits (ci-apis.md §1.4): its window only carries back-offs, so when one process
 * meets a 429 every process using the token waits, instead of each drawing its own.
 */
function bitriseWindow(options: ConnectorOptions): WindowSpec {
  const key = `bitrise ${new URL(options.baseUrl).origin} ${tokenKey(options.token)}`;
  return { key, name: 'Bitrise token', limit: null, windowMs: 60_000 };
}

const BACK_OFF_MS = 5000;

function backOffReport(window: WindowSpec, status: number, headers: Headers): Map<string, WindowReport> {
  if (status !== 429) return new Map();
  const retryAfter = Number(headers.get('retry-after'));
  const backOffMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : BACK_OFF_MS;
  return new Map([[window.key, { limit: null, remaining: null, resetMs: null, backOffMs }]]);
}

export function createBitriseConnector(options: ConnectorOptions): Connector {
  const log = options.log ?? (() => {});
  const window = bitriseWindow(options);
  const shared =
    options.budget &&
    sharedPacing(options.budget, [window], (status, headers) => backOffReport(window, status, headers), log);
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    token: options.token,
    authScheme: '',
    tokenEnv: 'BITRISE_TOKEN',
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    beforeRequest: shared?.beforeRequest,
    onResponse: shared?.onResponse,
    log,
  });
  const api = createBitriseApi(http, log);
  return {
    provider: 'bitrise',
    check: () => checkBitrise(http, api, options.baseUrl),
    sync: (input) =>
      syncBitrise(api, input, { concurrency: options.concurrency ?? 4, now: options.now ?? Date.now, log }),
    fetchLog: async (run, jobs) => {
      // A workflow that never started (skipped, refused a start) has no build and so no log.
      const slugs =
        run.kind === 'pipeline' ? jobs.filter((j) => j.startedAt !== null).map((j) => j.key) : [run.key];
      const logs: string[] = [];
      for (const slug of slugs) logs.push(await api.buildLog(run.projectKey, slug));
      return stripEscapes(logs.join('\n'));
    },
    stepSources: stepSourcesOf,
    fetchSteps: async (source) => {
      const payload = await api.buildSteps(source.projectKey, source.key);
      return { payload, steps: normalizeBuildSteps(source, payload) };
    },
    requests: () => http.requests(),
  };
}
