// Connection check (ci-apis.md §3.2, §3.5): is the token valid, does it see the organization(s), and may it
// read pipelines and builds there? Every answer is one line a person can act on, with the curl that
// reproduces the failing call.
import { unexpectedResponse } from '../checks.js';
import type { CheckResult } from '../contract.js';
import {
  ApiError,
  HttpError,
  InvalidResponseError,
  RateLimitedError,
  TimeoutError,
  UnreachableError,
} from '../http.js';
import type { BuildkiteApi } from './api.js';

const SCOPE = /the (\w+) scope/;

export async function checkBuildkite(
  api: BuildkiteApi,
  curl: (path: string) => string,
  baseUrl: string,
  org: string | null,
): Promise<CheckResult> {
  const checked: string[] = [];
  try {
    await api.accessToken();
    checked.push('token accepted');
    let slugs = org === null ? [] : [org];
    if (org === null) {
      slugs = (await everyItem(api.organizations())).map((o) => o.slug);
      if (slugs.length === 0) {
        return {
          code: 'no_resources',
          message: 'The token is valid but may read no organization: allow it at least one in its settings.',
          curl: curl('/organizations'),
        };
      }
    }
    // Every pipeline a sync would read, counted; builds are then read where there is a pipeline.
    let pipelines = 0;
    let withPipelines: string | null = null;
    for (const slug of slugs) {
      const count = (await everyItem(api.pipelines(slug))).length;
      pipelines += count;
      if (count > 0) withPipelines ??= slug;
    }
    checked.push(
      `${plural(slugs.length, 'organization')} reachable: ${slugs.map((s) => `"${s}"`).join(', ')}`,
    );
    if (withPipelines === null) {
      const first = slugs[0];
      return {
        code: 'no_resources',
        message: `Organization "${first}" has no pipelines the token can see.`,
        curl: curl(`/organizations/${first}/pipelines`),
      };
    }
    checked.push(`${plural(pipelines, 'pipeline')} visible`);
    // Builds that cannot be runs are the sync's to refuse and count; here only the permission matters.
    const builds = api.builds(withPipelines, { perPage: 1 });
    await builds.next();
    await builds.return(undefined);
    checked.push('builds readable');
    return {
      code: 'ok',
      message:
        slugs.length === 1
          ? `Connected: the token can read organization "${withPipelines}", its pipelines and builds.`
          : `Connected: the token can read ${slugs.length} organizations, their pipelines and builds.`,
      curl: null,
      checked,
    };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return failed(error, baseUrl, org);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function everyItem<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

function failed(error: HttpError, baseUrl: string, org: string | null): CheckResult {
  const curl = error.curl;
  if (error instanceof ApiError && error.status === 401) {
    return {
      code: 'invalid_credentials',
      message:
        'Buildkite refused the token (401): use a valid, unexpired API access token, sent as "Authorization: Bearer <token>".',
      curl,
    };
  }
  if (error instanceof ApiError && error.status === 403) {
    const scope = SCOPE.exec(error.detail ?? '')?.[1];
    return {
      code: 'invalid_permissions',
      message: scope
        ? `The token lacks the ${scope} scope (403): add it to the token (buildlens needs read_pipelines and read_builds, and read_organizations unless an organization is given).`
        : `The token may not read this (403): ${error.detail ?? error.message}`,
      curl,
    };
  }
  if (error instanceof ApiError && error.status === 404 && /organization/i.test(error.detail ?? '')) {
    return {
      code: 'invalid_permissions',
      message: `The token cannot see organization "${org}" (404 No organization found): check the slug and the organizations the token is allowed.`,
      curl,
    };
  }
  if (error instanceof RateLimitedError) {
    return {
      code: 'rate_limited',
      message: 'Buildkite kept answering 429 (rate limited): wait for the minute to pass and try again.',
      curl,
    };
  }
  if (error instanceof UnreachableError || error instanceof TimeoutError) {
    return {
      code: 'unreachable',
      message: `Cannot reach Buildkite at ${baseUrl}: ${error.message}. Check the URL and the network.`,
      curl,
    };
  }
  if (error instanceof InvalidResponseError)
    return unexpectedResponse(error, 'Buildkite REST API', 'https://api.buildkite.com/v2');
  return {
    code: 'unreachable',
    message: `${baseUrl} does not answer like the Buildkite REST API (${error.message}): the URL should be the API root, e.g. https://api.buildkite.com/v2.`,
    curl,
  };
}
