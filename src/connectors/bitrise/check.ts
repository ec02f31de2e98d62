// Connection check (ci-apis.md §1.2, §2.6): can the token list apps, and read builds and pipelines of one?
// Every answer is one line a person can act on, with the curl that reproduces the failing call.
import { unexpectedResponse } from '../checks.js';
import type { CheckResult } from '../contract.js';
import {
  ApiError,
  type HttpClient,
  HttpError,
  InvalidResponseError,
  RateLimitedError,
  TimeoutError,
  UnreachableError,
} from '../http.js';
import type { BitriseApi } from './api.js';
import { app, build, listOf, pipelineListItem } from './wire.js';

export async function checkBitrise(http: HttpClient, api: BitriseApi, baseUrl: string): Promise<CheckResult> {
  try {
    const apps = await http.getParsed(listOf(app), '/apps', { limit: 1 });
    const first = apps.data[0];
    if (!first) {
      return {
        code: 'no_resources',
        message:
          'The token is valid but sees no apps: give its user or workspace access to at least one app.',
        curl: http.curl('GET', '/apps', { query: { limit: 1 } }),
      };
    }
    const appPath = `/apps/${encodeURIComponent(first.slug)}`;
    for (const [resource, schema] of [
      ['builds', build],
      ['pipelines', pipelineListItem],
    ] as const) {
      try {
        await http.getParsed(listOf(schema), `${appPath}/${resource}`, { limit: 1 });
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 403)) throw error;
        return {
          code: 'invalid_permissions',
          message: `The token sees app "${first.title}" but may not read its ${resource} (403): give it at least the Viewer role on the app.`,
          curl: error.curl,
        };
      }
    }
    // Counted through the sync's own paging, so the number is the apps a sync would read.
    let visible = 0;
    for await (const page of api.apps()) visible += page.items.length;
    return {
      code: 'ok',
      message: `Connected: the token can read apps, builds and pipelines.`,
      curl: null,
      checked: [
        'token accepted',
        `${visible} app${visible === 1 ? '' : 's'} visible`,
        `builds and pipelines readable (app "${first.title}")`,
      ],
    };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return failed(error, baseUrl);
  }
}

function failed(error: HttpError, baseUrl: string): CheckResult {
  const curl = error.curl;
  if (error instanceof ApiError && error.status === 401) {
    return {
      code: 'invalid_credentials',
      message:
        'Bitrise refused the token (401): use a valid, unexpired personal access or workspace API token, sent as is (no "Bearer").',
      curl,
    };
  }
  if (error instanceof ApiError && error.status === 403) {
    return {
      code: 'invalid_permissions',
      message: `The token may not list apps (403): ${error.message}`,
      curl,
    };
  }
  if (error instanceof RateLimitedError) {
    return {
      code: 'rate_limited',
      message: 'Bitrise kept answering 429 (rate limited): wait a minute and try again.',
      curl,
    };
  }
  if (error instanceof UnreachableError || error instanceof TimeoutError) {
    return {
      code: 'unreachable',
      message: `Cannot reach Bitrise at ${baseUrl}: ${error.message}. Check the URL and the network.`,
      curl,
    };
  }
  if (error instanceof InvalidResponseError)
    return unexpectedResponse(error, 'Bitrise API', 'https://api.bitrise.io/v0.1');
  // A 404 or another refusal: most likely a URL that is not the API root.
  return {
    code: 'unreachable',
    message: `${baseUrl} does not answer like the Bitrise API (${error.message}): the URL should be the API root, e.g. https://api.bitrise.io/v0.1.`,
    curl,
  };
}
