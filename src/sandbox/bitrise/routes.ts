// The Bitrise API v0.1 over HTTP: authentication, envelopes, paging and errors (ci-apis.md §1–§2).
import { Router, type SandboxRequest, type SandboxResponse } from '../router.js';
import { type App, pipelineGraph, type TokenRole, type User } from './catalog.js';
import { buildFilter, runFilter } from './filters.js';
import type { BuildPlan, RunPlan } from './generate.js';
import { logWire, rawLog } from './log.js';
import { ApiError, badRequest, countOf, filtered, limitParam, oneOf, takePage, textParam } from './query.js';
import { logSummaryWire } from './steps.js';
import type { UrlSigner } from './storage.js';
import {
  appWire,
  artifactListItemWire,
  artifactWire,
  buildListAllWire,
  buildWire,
  isoMicros,
  pipelineListAllItemWire,
  pipelineListItemWire,
  pipelineShowWire,
  userWire,
  workspaceWire,
} from './wire.js';
import { type BitriseWorld, newestFirst } from './world.js';

interface Caller {
  role: TokenRole;
  user: User;
}

type Authed = (req: SandboxRequest, caller: Caller) => SandboxResponse;

const API = '/v0.1';
const MAX_LIMIT = 50;

function ok(json: unknown): SandboxResponse {
  return { status: 200, json };
}

function list(data: unknown[], total: number, limit: number, next: string | undefined): SandboxResponse {
  const paging: Record<string, unknown> = { total_item_count: total, page_item_limit: limit };
  if (next !== undefined) paging.next = next;
  return ok({ data, paging });
}

/** Builds the request handler of the Bitrise mount. */
export function bitriseHandler(world: BitriseWorld, signer: UrlSigner) {
  const sw = world.switches;
  const router = new Router();

  const authenticate = (header: string | undefined): Caller | null => {
    const value = header?.trim() ?? '';
    let token = value;
    if (/^token\s/i.test(value)) token = value.slice(6).trim();
    else if (/^bearer\s/i.test(value)) token = sw.acceptBearer ? value.slice(7).trim() : '';
    if (token === '' || /\s/.test(token)) return null;
    const tokens = world.catalog.tokens;
    const role = (Object.keys(tokens) as TokenRole[]).find((r) => tokens[r].token === token);
    return role ? { role, user: tokens[role].user } : null;
  };

  const authed = (handler: Authed) => (req: SandboxRequest) => {
    const header = req.headers.authorization;
    const caller = authenticate(Array.isArray(header) ? header[0] : header);
    if (!caller) return { status: 401, json: { message: 'Unauthorized' } };
    return handler(req, caller);
  };

  const get = (path: string, handler: Authed) => router.add('GET', `${API}${path}`, authed(handler));

  const visibleApps = (caller: Caller) => world.appsFor(caller.role);

  const appOf = (req: SandboxRequest, caller: Caller): App => {
    const app = world.app(req.params.app ?? '');
    if (!app) throw new ApiError(404, 'Not Found');
    if (!visibleApps(caller).includes(app)) {
      const status = sw.inaccessibleAppStatus;
      throw new ApiError(status, status === 403 ? 'You do not have access to this app' : 'Not Found');
    }
    return app;
  };

  const forbidPipelines = (caller: Caller) => {
    if (caller.role === 'noPipelines')
      throw new ApiError(403, 'You do not have access to the pipelines of this app');
  };

  const forbidBuilds = (caller: Caller) => {
    if (caller.role === 'noPipelines' && sw.noPipelinesForbidsBuilds) {
      throw new ApiError(403, 'You do not have access to the builds of this app');
    }
  };

  const buildOf = (req: SandboxRequest, caller: Caller): BuildPlan => {
    const app = appOf(req, caller);
    forbidBuilds(caller);
    const build = world.build(app, req.params.build ?? '');
    if (!build) throw new ApiError(404, 'Build not found');
    return build;
  };

  // Root endpoints: the only ones without authentication.
  const root = () => ok({ message: 'Welcome to the Bitrise API', version: 'v0.1' });
  router.add('GET', '/', root).add('GET', API, root);

  get('/me', (_req, caller) => ok({ data: userWire(caller.user) }));

  const appList = (apps: readonly App[]) => (req: SandboxRequest) => {
    const limit = limitParam(req.query, MAX_LIMIT, MAX_LIMIT, sw);
    const title = textParam(req.query, 'title');
    const projectType = textParam(req.query, 'project_type');
    const sortBy = oneOf(req.query, 'sort_by', ['last_build_at', 'created_at'] as const);
    let items = apps.filter(
      (a) =>
        (title === undefined || a.title.includes(title)) &&
        (projectType === undefined || a.profile.projectType === projectType),
    );
    if (sortBy === 'last_build_at') {
      const last = new Map(items.map((a) => [a, world.appBuilds(a).next().value?.triggeredUs ?? 0]));
      items = [...items].sort((a, b) => (last.get(b) ?? 0) - (last.get(a) ?? 0));
    }
    const cursor = textParam(req.query, 'next');
    const start = cursor === undefined ? 0 : items.findIndex((a) => a.slug === cursor);
    if (start < 0) throw badRequest('Invalid next: no such app');
    const { page, next } = takePage(items.slice(start), limit);
    return list(page.map(appWire), items.length, limit, next?.slug);
  };

  get('/apps', (req, caller) => appList(visibleApps(caller))(req));
  if (sw.legacyMeApps) get('/me/apps', (req, caller) => appList(visibleApps(caller))(req));
  get('/users/:user/apps', (req, caller) =>
    appList(req.params.user === caller.user.slug ? visibleApps(caller) : [])(req),
  );
  get('/organizations', (_req, caller) =>
    ok({ data: caller.role === 'noApps' ? [] : world.catalog.workspaces.map(workspaceWire) }),
  );
  const workspaceOf = (req: SandboxRequest, caller: Caller) => {
    const ws = world.catalog.workspaces.find((w) => w.slug === req.params.org);
    if (!ws || caller.role === 'noApps') throw new ApiError(404, 'Not Found');
    return ws;
  };
  get('/organizations/:org', (req, caller) => ok({ data: workspaceWire(workspaceOf(req, caller)) }));
  get('/organizations/:org/apps', (req, caller) => {
    const ws = world.catalog.workspaces.find((w) => w.slug === req.params.org);
    return appList(visibleApps(caller).filter((a) => a.workspace === ws))(req);
  });

  get('/apps/:app', (req, caller) => ok({ data: appWire(appOf(req, caller)) }));

  get('/apps/:app/build-workflows', (req, caller) => {
    const p = appOf(req, caller).profile;
    const triggered = new Set([
      ...(p.pipeline ? pipelineGraph(p.pipeline).map((w) => w.name) : [p.workflows[0]?.name ?? 'primary']),
      p.releaseWorkflow,
      ...(p.nightlyWorkflow ? [p.nightlyWorkflow] : []),
    ]);
    return ok({ data: [...triggered] });
  });

  get('/apps/:app/builds', (req, caller) => {
    const app = appOf(req, caller);
    forbidBuilds(caller);
    const filter = buildFilter(world, req.query);
    const limit = limitParam(req.query, MAX_LIMIT, MAX_LIMIT, sw);
    const sortBy = oneOf(req.query, 'sort_by', ['running_first', 'created_at'] as const);
    const cursorSlug = textParam(req.query, 'next');
    const cursor = cursorSlug === undefined ? undefined : world.build(app, cursorSlug);
    if (cursor === null) throw badRequest('Invalid next: no such build');
    const ordered =
      sortBy === 'running_first'
        ? runningFirst(world, app, filter.fromUs, filter.downToUs, cursor)
        : world.appBuilds(
            app,
            Math.min(filter.fromUs, cursor?.triggeredUs ?? Number.POSITIVE_INFINITY),
            filter.downToUs,
          );
    const { page, next } = takePage(filtered(ordered, filter.keep), limit);
    const total =
      sw.totalItemCount === 'filtered' && filter.narrowed
        ? countOf(filtered(world.appBuilds(app, filter.fromUs, filter.downToUs), filter.keep))
        : world.visibleCounts(app).builds;
    return list(
      page.map((b) => buildWire(world, b)),
      total,
      limit,
      next?.slug,
    );
  });

  get('/builds', (req, caller) => {
    forbidBuilds(caller);
    const owner = textParam(req.query, 'owner_slug');
    const apps = visibleApps(caller).filter((a) => owner === undefined || a.workspace.slug === owner);
    const filter = buildFilter(world, req.query);
    const limit = limitParam(req.query, MAX_LIMIT, MAX_LIMIT, sw);
    const cursorSlug = textParam(req.query, 'next');
    const cursor = cursorSlug === undefined ? undefined : world.anyBuild(cursorSlug);
    if (cursor === null || (cursor && !apps.includes(cursor.app)))
      throw badRequest('Invalid next: no such build');
    const walk = (fromUs: number) =>
      newestFirst(
        apps.map((a) => world.appBuilds(a, fromUs, filter.downToUs)),
        (b) => [b.triggeredUs, b.app.index],
      );
    const fromUs = Math.min(filter.fromUs, cursor?.triggeredUs ?? Number.POSITIVE_INFINITY);
    // Builds of other apps triggered in the very same microsecond as the cursor sort before it.
    const ordered = filtered(
      walk(fromUs),
      (b) => !cursor || b.triggeredUs !== cursor.triggeredUs || b.app.index <= cursor.app.index,
    );
    const { page, next } = takePage(filtered(ordered, filter.keep), limit);
    const total =
      sw.totalItemCount === 'filtered' && filter.narrowed
        ? countOf(filtered(walk(filter.fromUs), filter.keep))
        : apps.reduce((n, a) => n + world.visibleCounts(a).builds, 0);
    return list(
      page.map((b) => buildListAllWire(world, b)),
      total,
      limit,
      next?.slug,
    );
  });

  get('/apps/:app/builds/:build', (req, caller) => ok({ data: buildWire(world, buildOf(req, caller)) }));

  get('/apps/:app/builds/:build/log', (req, caller) => {
    const build = buildOf(req, caller);
    return ok(logWire(world, build, () => signer.sign(req.baseUrl, `/storage/logs/${build.slug}`)));
  });

  get('/apps/:app/builds/:build/log/summary', (req, caller) =>
    ok(logSummaryWire(world, buildOf(req, caller))),
  );

  get('/apps/:app/builds/:build/artifacts', (req, caller) => {
    const artifacts = world.artifactsOf(buildOf(req, caller));
    const limit = limitParam(req.query, MAX_LIMIT, MAX_LIMIT, sw);
    const cursor = textParam(req.query, 'next');
    const start = cursor === undefined ? 0 : artifacts.findIndex((a) => a.slug === cursor);
    if (start < 0) throw badRequest('Invalid next: no such artifact');
    const { page, next } = takePage(artifacts.slice(start), limit);
    return list(
      page.map((a) => artifactListItemWire(world, a)),
      artifacts.length,
      limit,
      next?.slug,
    );
  });

  const artifactOf = (req: SandboxRequest, caller: Caller) => {
    const artifact = world.artifactsOf(buildOf(req, caller)).find((a) => a.slug === req.params.artifact);
    if (!artifact) throw new ApiError(404, 'Artifact not found');
    return artifact;
  };
  const artifactUrls = (req: SandboxRequest, slug: string) => ({
    download: signer.sign(req.baseUrl, `/storage/artifacts/${slug}`),
    page: `${req.baseUrl}/storage/install/${slug}`,
  });

  get('/apps/:app/builds/:build/artifacts/:artifact', (req, caller) => {
    const artifact = artifactOf(req, caller);
    const urls = artifactUrls(req, artifact.slug);
    if (textParam(req.query, 'download') !== undefined) {
      return { status: sw.artifactDownloadRedirect, headers: { Location: urls.download }, json: {} };
    }
    return ok({ data: artifactWire(world, artifact, urls) });
  });

  router.add(
    'PATCH',
    `${API}/apps/:app/builds/:build/artifacts/:artifact`,
    authed((req, caller) => {
      const artifact = artifactOf(req, caller);
      const body = jsonBody(req.body);
      if (typeof body.is_public_page_enabled !== 'boolean') {
        throw badRequest('is_public_page_enabled must be a boolean');
      }
      world.setPublicPage(artifact.slug, body.is_public_page_enabled);
      return ok({ data: artifactWire(world, artifact, artifactUrls(req, artifact.slug)) });
    }),
  );

  router.add(
    'POST',
    `${API}/apps/:app/builds/:build/abort`,
    authed((req, caller) => {
      const build = buildOf(req, caller);
      const body = jsonBody(req.body);
      const reason = optional(body, 'abort_reason', 'string', '');
      const withSuccess = optional(body, 'abort_with_success', 'boolean', false);
      optional(body, 'skip_notifications', 'boolean', false);
      const text = `User ${caller.user.username} requested to abort this build with reason: ${reason}`;
      if (!world.abort(build, text, withSuccess)) {
        return {
          status: sw.abortFinishedStatus,
          json: { message: "Build already finished, can't abort it." },
        };
      }
      return ok({ status: 'ok' });
    }),
  );

  // Outgoing webhooks (§4.2): created per app by an Owner/Admin; `url`, `events` and `secret` required.
  const webhooks = new Map<string, Record<string, unknown>[]>();
  router.add(
    'POST',
    `${API}/apps/:app/outgoing-webhooks`,
    authed((req, caller) => {
      const app = appOf(req, caller);
      if (sw.webhookForbiddenApps.includes(app.slug))
        throw new ApiError(403, 'You do not have permission to manage the webhooks of this app');
      const body = jsonBody(req.body);
      const { url, events, secret, headers } = body;
      if (typeof url !== 'string' || url === '') throw badRequest('url is required');
      if (!Array.isArray(events) || events.length === 0 || !events.every((e) => typeof e === 'string'))
        throw badRequest('events must be a non-empty list of strings');
      if (typeof secret !== 'string' || secret === '') throw badRequest('secret is required');
      const at = new Date(world.nowMs()).toISOString();
      const slug = `${app.slug}-webhook-${(webhooks.get(app.slug)?.length ?? 0) + 1}`;
      const webhook = {
        slug,
        url,
        events,
        headers: headers ?? null,
        registered_by_addon: false,
        created_at: at,
        updated_at: at,
      };
      webhooks.set(app.slug, [...(webhooks.get(app.slug) ?? []), webhook]);
      return ok({ data: webhook });
    }),
  );

  get('/apps/:app/outgoing-webhooks', (req, caller) => {
    const app = appOf(req, caller);
    const items = webhooks.get(app.slug) ?? [];
    return list(items, items.length, MAX_LIMIT, undefined);
  });

  get('/apps/:app/pipelines', (req, caller) => {
    const app = appOf(req, caller);
    forbidPipelines(caller);
    return runList(req, [app], pipelineListItemWire);
  });

  get('/pipelines', (req, caller) => {
    forbidPipelines(caller);
    const owner = textParam(req.query, 'owner_slug');
    return runList(
      req,
      visibleApps(caller).filter((a) => owner === undefined || a.workspace.slug === owner),
      pipelineListAllItemWire,
    );
  });

  const runList = (
    req: SandboxRequest,
    apps: readonly App[],
    wire: (w: BitriseWorld, r: RunPlan) => unknown,
  ) => {
    const filter = runFilter(world, req.query);
    const limit = limitParam(req.query, 10, sw.pipelineLimitMax, sw);
    const walk = () =>
      filtered(
        newestFirst(
          apps.map((a) => world.appRuns(a, filter.fromUs, filter.downToUs)),
          (r) => [r.triggeredUs, appIndexOf(r)],
        ),
        filter.keep,
      );
    const { page, next } = takePage(walk(), limit);
    const last = page[page.length - 1];
    // The time cursor: pass it back as `before` to get the runs triggered before the last one shown.
    const cursor = next && last ? isoMicros(last.triggeredUs) : undefined;
    // Live answers leave the counts at zero.
    if (sw.pipelinesPagingCounts === 'zero')
      return list(
        page.map((r) => wire(world, r)),
        0,
        0,
        cursor,
      );
    const total =
      sw.totalItemCount === 'filtered' && filter.narrowed
        ? countOf(walk())
        : apps.reduce((n, a) => n + world.visibleCounts(a).runs, 0);
    return list(
      page.map((r) => wire(world, r)),
      total,
      limit,
      cursor,
    );
  };

  get('/apps/:app/pipelines/:pipeline', (req, caller) => {
    const app = appOf(req, caller);
    forbidPipelines(caller);
    const pipeline = world.pipeline(app, req.params.pipeline ?? '');
    if (!pipeline) throw new ApiError(404, 'Pipeline not found');
    const body = pipelineShowWire(world, pipeline);
    return ok(sw.wrapPipelineShow ? { data: body } : body);
  });

  // Pre-signed storage links: no Authorization, refused once expired.
  router.add('GET', '/storage/logs/:build', (req) => {
    const refusal = signer.refusal(req.path, req.query);
    const build = world.anyBuild(req.params.build ?? '');
    if (refusal || !build) return { status: 403, text: refusal ?? 'AccessDenied' };
    return { status: 200, text: rawLog(world, build) };
  });
  router.add('GET', '/storage/artifacts/:artifact', (req) => {
    const refusal = signer.refusal(req.path, req.query);
    const artifact = world.artifact(req.params.artifact ?? '');
    if (refusal || !artifact) return { status: 403, text: refusal ?? 'AccessDenied' };
    return {
      status: 200,
      headers: { 'Content-Type': 'application/octet-stream' },
      text: `simulated artifact ${artifact.slug} of build ${artifact.build.slug}\n`,
    };
  });
  router.add('GET', '/storage/install/:artifact', (req) => {
    const artifact = world.artifact(req.params.artifact ?? '');
    if (!artifact || !world.isPublicPage(artifact.slug)) return { status: 404, text: 'Not Found' };
    return {
      status: 200,
      text: `Install page of artifact ${artifact.slug} (build #${artifact.build.number})\n`,
    };
  });

  return async (req: Omit<SandboxRequest, 'params'>): Promise<SandboxResponse> => {
    if (req.path.length > 1 && req.path.endsWith('/')) {
      const query = req.query.toString();
      const location = `${req.baseUrl}${req.path.replace(/\/+$/, '')}${query ? `?${query}` : ''}`;
      return {
        status: sw.trailingSlashRedirect,
        headers: { Location: location },
        json: { message: 'Moved' },
      };
    }
    const match = router.match(req.method, req.path);
    if (!match) return { status: 404, json: { message: 'Not Found' } };
    try {
      return await match.handler({ ...req, params: match.params });
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, json: { message: error.message } };
      throw error;
    }
  };
}

function appIndexOf(run: RunPlan): number {
  return run.kind === 'build' ? run.build.app.index : run.pipeline.app.index;
}

function jsonBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw badRequest('Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function optional<T extends string | boolean>(
  body: Record<string, unknown>,
  name: string,
  type: 'string' | 'boolean',
  fallback: T,
): T {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== type) throw badRequest(`${name} must be a ${type}`);
  return value as T;
}

/** `sort_by=running_first`: unfinished builds (newest first), then the finished ones (newest first). */
function* runningFirst(
  world: BitriseWorld,
  app: App,
  fromUs: number,
  downToUs: number,
  cursor: BuildPlan | undefined,
): Generator<BuildPlan> {
  const unfinished = [
    ...filtered(
      world.appBuilds(app, fromUs, Math.max(downToUs, (world.nowMs() - 2 * 86_400_000) * 1000)),
      (b) => world.state(b).finishedMs === null,
    ),
  ];
  const position = cursor ? unfinished.findIndex((b) => b.slug === cursor.slug) : 0;
  if (position >= 0) yield* unfinished.slice(position);
  const finishedFrom = position >= 0 || !cursor ? fromUs : Math.min(fromUs, cursor.triggeredUs);
  yield* filtered(world.appBuilds(app, finishedFrom, downToUs), (b) => world.state(b).finishedMs !== null);
}
