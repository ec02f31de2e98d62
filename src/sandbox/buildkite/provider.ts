// The simulated Buildkite REST API v2, mounted under /buildkite: bearer tokens with scopes, organizations,
// pipelines and builds in all three scopes with every list filter, page-number paging with Link headers,
// and the organization and per-user rate limits with their headers (ci-apis.md §3, simulator checklist §6).
import type { ProviderContext, ProviderMount } from '../provider.js';
import { Router, type SandboxRequest, type SandboxResponse } from '../router.js';
import {
  type BuildViewOptions,
  matchesBuildFilter,
  onlyCreationTime,
  parseBuildFilter,
  parseBuildViewOptions,
  QueryError,
} from './filters.js';
import { linkHeader, type PageRequest, type PagingOptions, pageOffset, parsePageRequest } from './paging.js';
import { createRateLimiter } from './rate-limit.js';
import {
  accessTokenJson,
  buildJson,
  countsAt,
  orgJson,
  type PipelineCounts,
  pipelineJson,
  type WireSwitches,
} from './serialize.js';
import { createTokens, type RequiredScope, type TokenGrant, type TokenName } from './tokens.js';
import { filterableAt, jobsAt } from './view.js';
import {
  type BuildkiteWorld,
  type BuildSummary,
  createBuildkiteWorld,
  DAY,
  type Org,
  type Pipeline,
} from './world.js';

/** Behaviours and limits a test can change; defaults follow ci-apis.md. */
export interface BuildkiteSwitches extends WireSwitches, PagingOptions {
  /** Organization requests per window (Buildkite: 200 per minute). */
  rateLimitPerOrg: number;
  /**
   * Per-user requests per window (documented from April 2026: 50, the limit one token meets first); null
   * leaves the user limit and its headers out, as on older accounts.
   */
  rateLimitPerUser: number | null;
  /** Length of a rate-limit window on the sandbox clock. */
  rateLimitWindowMs: number;
  /**
   * Rate-limit windows follow the wall clock instead of the sandbox clock: a test that moves the sandbox
   * clock by hand (or holds it still) still sees windows reopen as a real account would.
   */
  rateLimitRealTime: boolean;
  /** Organizations; by default the size's two. */
  organizations: number | null;
  /** A builds list answers 400 "too deep" once a page starts this many results in (limit unconfirmed). */
  maxListDepth: number;
  /** Accept `?access_token=` as older docs describe (live support unconfirmed; default false). */
  acceptQueryToken: boolean;
}

export const DEFAULT_BUILDKITE_SWITCHES: BuildkiteSwitches = {
  canceler: 'canceled_by',
  nonPrPullRequest: 'null',
  perPageOverMax: 'clamp',
  rateLimitPerOrg: 200,
  rateLimitPerUser: 50,
  rateLimitWindowMs: 60_000,
  rateLimitRealTime: false,
  organizations: null,
  maxListDepth: 10_000,
  acceptQueryToken: false,
};

/** Ground truth at the sandbox clock, for tests. */
export interface BuildkiteTruth {
  model: BuildkiteWorld;
  /**
   * Every build visible now, newest first, exactly as a builds list with `include_retried_jobs=true` and
   * `exclude_pipeline=true` serializes it under the API base `apiUrl`; optionally one organization or
   * pipeline, and only those created from `createdFrom` (epoch ms): a medium history is big to serialize.
   */
  builds(
    apiUrl: string,
    scope?: { org?: string; pipeline?: string; createdFrom?: number },
  ): Record<string, unknown>[];
}

export interface BuildkiteSandbox {
  /** The token with every read scope for every organization. */
  token: string;
  /** Slug of the first organization. */
  org: string;
  tokens: Record<TokenName, string>;
  /** Per organization slug: a token for it alone, whose user is its own (so its per-user window too). */
  orgTokens: Record<string, string>;
  world: BuildkiteTruth;
  /** Responses served so far, by status. */
  served(): Record<number, number>;
}

export const AUTH_REQUIRED =
  'Authentication required. Please supply a valid API Access Token: https://buildkite.com/docs/apis/rest-api#authentication';
export const TOO_DEEP =
  'Listing builds this deep is not supported. Please narrow your query using filters such as branch or created_from.';

interface Call {
  req: SandboxRequest;
  grant: TokenGrant;
  api: string;
  now: number;
}

interface CallRequest extends SandboxRequest {
  call: Call;
}

type Answer = SandboxResponse;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  json: body,
  headers,
});
const message = (status: number, text: string) => json(status, { message: text });

class Refusal extends Error {
  constructor(readonly answer: Answer) {
    super('refused');
  }
}

export function createBuildkite(
  context: ProviderContext,
  overrides: Partial<BuildkiteSwitches>,
): { mount: ProviderMount; sandbox: BuildkiteSandbox } {
  const switches: BuildkiteSwitches = { ...DEFAULT_BUILDKITE_SWITCHES, ...overrides };
  const world = createBuildkiteWorld(
    context.seed,
    context.size,
    context.anchorMs,
    switches.organizations ?? undefined,
  );
  const tokens = createTokens(context.seed, world.orgs, context.anchorMs);
  const limiter = createRateLimiter(
    {
      orgLimit: switches.rateLimitPerOrg,
      userLimit: switches.rateLimitPerUser,
      windowMs: switches.rateLimitWindowMs,
    },
    switches.rateLimitRealTime ? Date.now : () => context.clock.now(),
  );
  const served: Record<number, number> = {};

  const need = (call: Call, scope: RequiredScope) => {
    if (!call.grant.scopes.includes(scope)) {
      throw new Refusal(message(403, `Your access token doesn't have the ${scope} scope`));
    }
  };
  const orgOf = (call: Call, slug: string): Org => {
    const org = world.org(slug);
    if (!org || !call.grant.orgs.includes(slug)) throw new Refusal(message(404, 'No organization found'));
    return org;
  };
  const pipelineOf = (org: Org, slug: string): Pipeline => {
    const pipeline = world.pipeline(org.slug, slug);
    if (!pipeline) throw new Refusal(message(404, 'No pipeline found'));
    return pipeline;
  };

  /** One page of a list of `total` items; `items` are the page's own. */
  function pageAnswer<T>(
    call: Call,
    page: PageRequest,
    total: number,
    items: readonly T[],
    render: (item: T) => unknown,
  ): Answer {
    const link = linkHeader(requestUrl(call), page, total);
    return json(200, items.map(render), link ? { Link: link } : {});
  }

  function paged<T>(call: Call, items: readonly T[], render: (item: T) => unknown): Answer {
    const page = parsePageRequest(call.req.query, switches);
    const offset = pageOffset(page);
    return pageAnswer(call, page, items.length, items.slice(offset, offset + page.perPage), render);
  }

  /** Pipelines report their waiting and running work; computed once per pipeline per request. */
  function countsFor(now: number) {
    const memo = new Map<Pipeline, PipelineCounts>();
    return (pipeline: Pipeline) => {
      let counts = memo.get(pipeline);
      if (!counts) {
        counts = countsAt(world.summaries([pipeline], now - 2 * DAY, now + 1), world.plan, now);
        memo.set(pipeline, counts);
      }
      return counts;
    };
  }

  function listBuilds(call: Call, pipelines: readonly Pipeline[]): Answer {
    const filter = parseBuildFilter(call.req.query);
    const view = parseBuildViewOptions(call.req.query);
    const page = parsePageRequest(call.req.query, switches);
    if (pageOffset(page) >= switches.maxListDepth) throw new Refusal(message(400, TOO_DEEP));
    const to = Math.min(filter.createdTo ?? Number.POSITIVE_INFINITY, call.now + 1);
    const from = filter.createdFrom ?? 0;
    const offset = pageOffset(page);
    let total = 0;
    let items: BuildSummary[] = [];
    if (from < to && onlyCreationTime(filter)) {
      // The connector's backfill: only the days this page and the window's bounds touch are generated.
      total = world.count(pipelines, from, to);
      items = world.slice(pipelines, from, to, offset, page.perPage);
    } else if (from < to) {
      const matches = world
        .summaries(pipelines, from, to)
        .filter((s) => matchesBuildFilter(filterableAt(s, call.now), filter));
      total = matches.length;
      items = matches.slice(offset, offset + page.perPage);
    }
    const counts = countsFor(call.now);
    return pageAnswer(call, page, total, items, (s) =>
      buildJson(call.api, world.plan(s), call.now, view, switches, counts),
    );
  }

  const router = new Router();
  // Handlers see the authenticated call; answer() is the only caller and always attaches it.
  const on = (pattern: string, handler: (call: Call) => Answer | Promise<Answer>) =>
    router.add('GET', pattern, (req) => handler((req as CallRequest).call));

  on('/v2/access-token', (call) => json(200, accessTokenJson(call.grant)));
  on('/v2/organizations', (call) => {
    need(call, 'read_organizations');
    const orgs = world.orgs.filter((o) => call.grant.orgs.includes(o.slug));
    return paged(call, orgs, (o) => orgJson(call.api, o));
  });
  on('/v2/organizations/:org', (call) => {
    need(call, 'read_organizations');
    return json(200, orgJson(call.api, orgOf(call, call.req.params.org ?? '')));
  });
  on('/v2/organizations/:org/pipelines', (call) => {
    need(call, 'read_pipelines');
    const org = orgOf(call, call.req.params.org ?? '');
    const name = call.req.query.get('name')?.toLowerCase() ?? '';
    const repository = call.req.query.get('repository')?.toLowerCase() ?? '';
    const pipelines = org.pipelines
      .filter((p) => p.name.toLowerCase().includes(name) && p.repository.toLowerCase().includes(repository))
      .sort((a, b) => a.name.localeCompare(b.name, 'en') || a.slug.localeCompare(b.slug, 'en'));
    const counts = countsFor(call.now);
    return paged(call, pipelines, (p) => pipelineJson(call.api, p, counts(p)));
  });
  on('/v2/organizations/:org/pipelines/:pipeline', (call) => {
    need(call, 'read_pipelines');
    const pipeline = pipelineOf(orgOf(call, call.req.params.org ?? ''), call.req.params.pipeline ?? '');
    return json(200, pipelineJson(call.api, pipeline, countsFor(call.now)(pipeline)));
  });
  on('/v2/builds', (call) => {
    need(call, 'read_builds');
    const orgs = world.orgs.filter((o) => call.grant.orgs.includes(o.slug));
    return listBuilds(
      call,
      orgs.flatMap((o) => o.pipelines),
    );
  });
  on('/v2/organizations/:org/builds', (call) => {
    need(call, 'read_builds');
    return listBuilds(call, orgOf(call, call.req.params.org ?? '').pipelines);
  });
  on('/v2/organizations/:org/pipelines/:pipeline/builds', (call) => {
    need(call, 'read_builds');
    const org = orgOf(call, call.req.params.org ?? '');
    return listBuilds(call, [pipelineOf(org, call.req.params.pipeline ?? '')]);
  });
  on('/v2/organizations/:org/pipelines/:pipeline/builds/:number', (call) => {
    need(call, 'read_builds');
    const pipeline = pipelineOf(orgOf(call, call.req.params.org ?? ''), call.req.params.pipeline ?? '');
    const number = /^\d+$/.test(call.req.params.number ?? '') ? Number(call.req.params.number) : -1;
    const build = world.byNumber(pipeline, number);
    if (!build || build.createdAt > call.now) return message(404, 'No build found');
    return json(200, singleBuild(call, build));
  });

  function singleBuild(call: Call, build: NonNullable<ReturnType<BuildkiteWorld['byNumber']>>) {
    const view: BuildViewOptions = parseBuildViewOptions(call.req.query);
    const body = buildJson(call.api, build, call.now, view, switches, countsFor(call.now));
    const all = jobsAt(build, call.now, view.includeRetriedJobs);
    const states: Record<string, number> = {};
    for (const job of all) states[job.state] = (states[job.state] ?? 0) + 1;
    const wanted = [...call.req.query.getAll('job_states[]'), ...call.req.query.getAll('job_states')];
    if (wanted.length > 0 && Array.isArray(body.jobs)) {
      body.jobs = (body.jobs as { state: string }[]).filter((j) => wanted.includes(j.state));
    }
    body.job_state_counts = { total: all.length, states };
    return body;
  }

  function tokenOf(req: Omit<SandboxRequest, 'params'>): string | null {
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (bearer) return bearer;
    return switches.acceptQueryToken ? req.query.get('access_token') : null;
  }

  async function answer(req: Omit<SandboxRequest, 'params'>): Promise<Answer> {
    if (req.path === '/' || req.path === '') {
      return json(200, { message: '👋', timestamp: Math.floor(context.clock.now() / 1000) });
    }
    const grant = tokens.grants.get(tokenOf(req) ?? '');
    if (!grant) return message(401, AUTH_REQUIRED);
    const pathOrg = /^\/v2\/organizations\/([^/]+)/.exec(req.path)?.[1];
    const charged = pathOrg && grant.orgs.includes(pathOrg) ? pathOrg : (grant.orgs[0] ?? '');
    const limit = limiter.check(charged, grant.user.id);
    const headers = {
      ...limit.headers,
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'Link',
    };
    const withHeaders = (a: Answer): Answer => ({ ...a, headers: { ...headers, ...a.headers } });
    if (limit.exceeded) {
      const { scope, limit: max, current, reset } = limit.exceeded;
      return withHeaders(
        json(429, {
          message: `You have exceeded your API rate limit. Please wait ${reset} seconds before making more requests.`,
          scope,
          limit: max,
          current,
          reset,
        }),
      );
    }
    const route = router.match(req.method, req.path);
    if (!route) return withHeaders(message(404, 'Not Found'));
    const full: CallRequest = { ...req, params: route.params } as CallRequest;
    full.call = { req: full, grant, api: `${req.baseUrl}/v2`, now: context.clock.now() };
    try {
      return withHeaders(await route.handler(full));
    } catch (error) {
      if (error instanceof Refusal) return withHeaders(error.answer);
      if (error instanceof QueryError) return withHeaders(message(400, error.message));
      throw error;
    }
  }

  return {
    mount: {
      prefix: '/buildkite',
      async handle(req) {
        const response = await answer(req);
        served[response.status] = (served[response.status] ?? 0) + 1;
        return response;
      },
    },
    sandbox: {
      token: tokens.byName.full,
      org: world.orgs[0]?.slug ?? '',
      tokens: tokens.byName,
      orgTokens: tokens.byOrg,
      world: {
        model: world,
        builds(apiUrl, scope = {}) {
          const now = context.clock.now();
          const pipelines = world.orgs
            .filter((o) => scope.org === undefined || o.slug === scope.org)
            .flatMap((o) => o.pipelines)
            .filter((p) => scope.pipeline === undefined || p.slug === scope.pipeline);
          const view = { includeRetriedJobs: true, excludeJobs: false, excludePipeline: true };
          const counts = countsFor(now);
          return world
            .buildsAt(now, pipelines, scope.createdFrom)
            .map((b) => buildJson(apiUrl, b, now, view, switches, counts));
        },
      },
      served: () => ({ ...served }),
    },
  };
}

/** The URL the client asked for, on the sandbox's public base, for Link headers. */
function requestUrl(call: Call): URL {
  const url = new URL(`${call.req.baseUrl}${call.req.path}`);
  for (const [key, value] of call.req.query) url.searchParams.append(key, value);
  return url;
}
