// The simulated Buildkite REST API over real HTTP: auth and scopes, the three builds scopes, every list
// filter checked against the world's ground truth, Link paging at page boundaries, single builds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';

type Json = Record<string, unknown>;
type Build = Json & { id: string; jobs?: Json[]; created_at: string; finished_at: string | null };

let sandbox: Sandbox;
let truth: Build[];

async function get(path: string, token: string | null = sandbox.buildkite.token) {
  const url = path.startsWith('http') ? path : `${sandbox.buildkite.url}${path}`;
  const res = await fetch(url, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}

function links(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]+)>;\s*rel="(\w+)"/.exec(part);
    if (m?.[1] && m[2]) out[m[2]] = m[1];
  }
  return out;
}

/** Every item of a list, following `next` links. */
async function all(path: string): Promise<Build[]> {
  const items: Build[] = [];
  let next: string | undefined = path;
  for (let i = 0; next && i < 500; i++) {
    const res = await get(next);
    assert.equal(res.status, 200, `${next}: ${JSON.stringify(res.body)}`);
    items.push(...(res.body as Build[]));
    next = links(res.headers.get('link')).next;
  }
  return items;
}

const ids = (builds: readonly { id: string }[]) => builds.map((b) => b.id);
const acme = () => truth.filter((b) => (b.url as string).includes('/organizations/acme/'));

before(async () => {
  sandbox = await startSandbox({
    seed: 7,
    size: 'small',
    now: '2026-03-10T15:00:00Z',
    clock: 'manual',
    buildkite: { rateLimitPerOrg: 1_000_000, rateLimitPerUser: null, maxListDepth: 1000 },
  });
  truth = sandbox.buildkite.world.builds(sandbox.buildkite.url) as Build[];
});
after(() => sandbox.close());

describe('auth and scopes', () => {
  test("no token, a wrong token or a non-Bearer scheme get 401 with Buildkite's message", async () => {
    const refused: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer nope' },
      { Authorization: sandbox.buildkite.token },
    ];
    for (const headers of refused) {
      const res = await fetch(`${sandbox.buildkite.url}/organizations`, { headers });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { message: string };
      assert.match(body.message, /^Authentication required\. Please supply a valid API Access Token/);
    }
  });

  test('access-token lists the scopes of each deterministic token', async () => {
    const { tokens } = sandbox.buildkite;
    const full = (await get('/access-token', tokens.full)).body as { scopes: string[]; created_at: string };
    for (const scope of ['read_organizations', 'read_pipelines', 'read_builds']) {
      assert.ok(full.scopes.includes(scope));
      const missing = (await get('/access-token', tokens[`missing_${scope}` as keyof typeof tokens]))
        .body as {
        scopes: string[];
      };
      assert.ok(!missing.scopes.includes(scope), scope);
      assert.equal(missing.scopes.length, full.scopes.length - 1);
    }
    assert.match(full.created_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
  });

  test('403 names the missing scope on every endpoint that needs it', async () => {
    const { tokens } = sandbox.buildkite;
    const cases: [string, keyof typeof tokens, string][] = [
      ['/organizations', 'missing_read_organizations', 'read_organizations'],
      ['/organizations/acme', 'missing_read_organizations', 'read_organizations'],
      ['/organizations/acme/pipelines', 'missing_read_pipelines', 'read_pipelines'],
      ['/organizations/acme/pipelines/ios-app', 'missing_read_pipelines', 'read_pipelines'],
      ['/builds', 'missing_read_builds', 'read_builds'],
      ['/organizations/acme/builds', 'missing_read_builds', 'read_builds'],
      ['/organizations/acme/pipelines/ios-app/builds', 'missing_read_builds', 'read_builds'],
    ];
    for (const [path, token, scope] of cases) {
      const res = await get(path, tokens[token]);
      assert.equal(res.status, 403, path);
      assert.deepEqual(res.body, { message: `Your access token doesn't have the ${scope} scope` });
    }
    // Each of those tokens still reads what it has the scope for.
    assert.equal((await get('/organizations/acme/builds', tokens.missing_read_organizations)).status, 200);
  });

  test("other organizations are 404 No organization found, and /builds only spans the token's own", async () => {
    const single = sandbox.buildkite.tokens.single_org;
    for (const [path, token] of [
      ['/organizations/initech/builds', sandbox.buildkite.token],
      ['/organizations/globex/builds', single],
      ['/organizations/globex', single],
      ['/organizations/globex/pipelines', single],
    ] as const) {
      const res = await get(path, token);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { message: 'No organization found' });
    }
    const orgs = (await get('/organizations', single)).body as { slug: string }[];
    assert.deepEqual(
      orgs.map((o) => o.slug),
      ['acme'],
    );
    const everything = await all('/builds?per_page=100');
    assert.deepEqual(ids(everything), ids(truth));
    const mine = await get('/builds?per_page=100', single);
    assert.ok((mine.body as Build[]).every((b) => (b.url as string).includes('/organizations/acme/')));
  });
});

describe('paging', () => {
  test('default page size 30, Link relations at the first, a middle and the last page', async () => {
    const expected = acme();
    assert.ok(expected.length > 90, `world too small for this test: ${expected.length}`);
    const lastPage = Math.ceil(expected.length / 30);
    const first = await get('/organizations/acme/builds');
    assert.equal((first.body as Build[]).length, 30);
    const rel = links(first.headers.get('link'));
    assert.deepEqual(Object.keys(rel).sort(), ['last', 'next']);
    assert.equal(new URL(rel.next as string).searchParams.get('page'), '2');
    assert.equal(new URL(rel.last as string).searchParams.get('page'), String(lastPage));

    const middle = await get('/organizations/acme/builds?page=2');
    assert.deepEqual(Object.keys(links(middle.headers.get('link'))).sort(), [
      'first',
      'last',
      'next',
      'prev',
    ]);
    assert.deepEqual(ids(middle.body as Build[]), ids(expected.slice(30, 60)));

    const last = await get(`/organizations/acme/builds?page=${lastPage}`);
    assert.deepEqual(Object.keys(links(last.headers.get('link'))).sort(), ['first', 'prev']);
    assert.equal((last.body as Build[]).length, expected.length - 30 * (lastPage - 1));
    assert.deepEqual((await get(`/organizations/acme/builds?page=${lastPage + 1}`)).body, []);
  });

  test('following next links returns every build once, newest first, at any page size', async () => {
    const expected = ids(acme());
    for (const perPage of [7, 30, 100]) {
      const got = await all(`/organizations/acme/builds?per_page=${perPage}`);
      assert.deepEqual(ids(got), expected, `per_page=${perPage}`);
    }
    // Exactly one page, one item short of it, and one item a page, on a pipeline that fits in one page.
    const path = '/organizations/acme/pipelines/api/builds';
    const pipeline = ids(truth.filter((b) => (b.url as string).includes(`${path}/`)));
    assert.ok(pipeline.length > 2 && pipeline.length <= 100, `pipeline has ${pipeline.length} builds`);
    for (const perPage of [1, pipeline.length - 1, pipeline.length]) {
      assert.deepEqual(ids(await all(`${path}?per_page=${perPage}`)), pipeline, `per_page=${perPage}`);
    }
    const one = await get(`${path}?per_page=${pipeline.length}`);
    assert.equal(one.headers.get('link'), null, 'a single page has nothing to link to');
    const created = acme().map((b) => Date.parse(b.created_at));
    assert.deepEqual(
      created,
      [...created].sort((a, b) => b - a),
    );
  });

  test('links keep every filter of the request and only replace page and per_page', async () => {
    const res = await get(
      '/organizations/acme/builds?state[]=passed&state[]=failed&branch=*&per_page=2&meta_data[team]=web',
    );
    const next = new URL(links(res.headers.get('link')).next ?? 'http://none/');
    assert.deepEqual(next.searchParams.getAll('state[]'), ['passed', 'failed']);
    assert.equal(next.searchParams.get('branch'), '*');
    assert.equal(next.searchParams.get('meta_data[team]'), 'web');
    assert.equal(next.searchParams.get('per_page'), '2');
    assert.equal(next.searchParams.get('page'), '2');
    assert.ok(next.href.startsWith(`${sandbox.buildkite.url}/organizations/acme/builds?`));
  });

  test('per_page is capped at 100; bad page values and too-deep pages are 400', async () => {
    const capped = await get('/organizations/acme/builds?per_page=500');
    assert.equal((capped.body as Build[]).length, 100);
    for (const q of ['per_page=0', 'page=0', 'page=x']) {
      assert.equal((await get(`/organizations/acme/builds?${q}`)).status, 400, q);
    }
    // This sandbox refuses pages that start 1000 results in, whether or not there are that many.
    assert.equal((await get('/organizations/acme/builds?page=10&per_page=100')).status, 200);
    const deep = await get('/organizations/acme/builds?page=11&per_page=100');
    assert.equal(deep.status, 400);
    assert.match((deep.body as { message: string }).message, /^Listing builds this deep is not supported/);
  });
});

describe('filters match the ground truth', () => {
  const expectFilter = async (query: string, keep: (b: Build) => boolean) => {
    const got = await all(`/organizations/acme/builds?per_page=100&${query}`);
    const expected = acme().filter(keep);
    assert.deepEqual(ids(got), ids(expected), query);
    return expected.length;
  };
  const blocked = (b: Build) => b.blocked === true;

  test('state, its array form and the finished shortcut; blocked builds filter as blocked', async () => {
    assert.ok((await expectFilter('state=passed', (b) => b.state === 'passed' && !blocked(b))) > 0);
    assert.ok((await expectFilter('state=blocked', blocked)) > 0);
    await expectFilter(
      'state[]=running&state[]=scheduled',
      (b) => ['running', 'scheduled'].includes(b.state as string) && !blocked(b),
    );
    await expectFilter(
      'state=finished',
      (b) => blocked(b) || ['passed', 'failed', 'canceled'].includes(b.state as string),
    );
    await expectFilter('state[]=skipped&state[]=not_run', (b) =>
      ['skipped', 'not_run'].includes(b.state as string),
    );
    const bad = await get('/organizations/acme/builds?state=done');
    assert.equal(bad.status, 400);
  });

  test('branch: exact, array form and * wildcards', async () => {
    assert.ok((await expectFilter('branch=main', (b) => b.branch === 'main')) > 0);
    const other = acme().find((b) => b.branch !== 'main')?.branch as string;
    await expectFilter(
      `branch[]=main&branch[]=${encodeURIComponent(other)}`,
      (b) => b.branch === 'main' || b.branch === other,
    );
    const topic = /^[a-z]+\/([a-z]+)/.exec(other)?.[1] as string;
    assert.ok((await expectFilter(`branch=*${topic}*`, (b) => (b.branch as string).includes(topic))) > 0);
    await expectFilter('branch=feature/*', (b) => (b.branch as string).startsWith('feature/'));
    await expectFilter('branch=mai', () => false);
  });

  test('commit: full SHAs only, one or several', async () => {
    const [a, b] = acme();
    await expectFilter(`commit=${a?.commit}`, (x) => x.commit === a?.commit);
    await expectFilter(
      `commit[]=${a?.commit}&commit[]=${b?.commit}`,
      (x) => x.commit === a?.commit || x.commit === b?.commit,
    );
    await expectFilter(`commit=${String(a?.commit).slice(0, 7)}`, () => false);
  });

  test('created_from is inclusive, created_to exclusive, finished_from inclusive', async () => {
    const pivot = acme()[40] as Build;
    const t = pivot.created_at;
    const at = Date.parse(t);
    await expectFilter(`created_from=${t}`, (b) => Date.parse(b.created_at) >= at);
    await expectFilter(`created_to=${t}`, (b) => Date.parse(b.created_at) < at);
    const finished = acme().find((b) => b.finished_at && Date.parse(b.finished_at) < at - 3_600_000) as Build;
    const f = finished.finished_at as string;
    assert.ok(
      (await expectFilter(
        `finished_from=${f}`,
        (b) => b.finished_at !== null && Date.parse(b.finished_at) >= Date.parse(f),
      )) > 1,
    );
    assert.equal((await get('/organizations/acme/builds?created_from=yesterday')).status, 400);
  });

  test('creator and meta_data', async () => {
    const creator = acme().find((b) => b.creator)?.creator as { id: string };
    assert.ok(
      (await expectFilter(
        `creator=${creator.id}`,
        (b) => (b.creator as { id?: string } | null)?.id === creator.id,
      )) > 0,
    );
    const team = (b: Build) => (b.meta_data as Record<string, string>).team;
    assert.ok((await expectFilter('meta_data[team]=web', (b) => team(b) === 'web')) > 0);
    await expectFilter('meta_data[team]=web&branch=main', (b) => team(b) === 'web' && b.branch === 'main');
  });

  test('include_retried_jobs shows the replaced executions; exclude_jobs and exclude_pipeline drop fields', async () => {
    const withRetried = await all(
      '/organizations/acme/builds?per_page=100&include_retried_jobs=true&exclude_pipeline=true',
    );
    assert.deepEqual(withRetried, acme(), 'the listing is the truth, byte for byte');
    const latestOnly = await all('/organizations/acme/builds?per_page=100');
    const retried = withRetried.flatMap((b) => b.jobs ?? []).filter((j) => j.retried === true);
    assert.ok(retried.length > 0);
    const shown = new Set(latestOnly.flatMap((b) => (b.jobs ?? []).map((j) => j.id)));
    for (const job of retried) {
      assert.ok(!shown.has(job.id), 'a replaced job is hidden by default');
      assert.ok(shown.has(job.retried_in_job_id), 'its replacement is shown');
    }
    assert.ok(latestOnly.every((b) => (b.pipeline as { slug?: string }).slug));
    const bare = (await get('/organizations/acme/builds?exclude_jobs=true&exclude_pipeline=true'))
      .body as Build[];
    assert.ok(bare.every((b) => !('jobs' in b) && !('pipeline' in b)));
  });
});

describe('scopes and single builds', () => {
  test("org builds are the union of its pipelines' builds; /builds the union of the orgs'", async () => {
    const pipelines = (await get('/organizations/acme/pipelines')).body as {
      slug: string;
      builds_url: string;
    }[];
    assert.ok(pipelines.length >= 2);
    const union: Build[] = [];
    for (const p of pipelines) {
      assert.equal(p.builds_url, `${sandbox.buildkite.url}/organizations/acme/pipelines/${p.slug}/builds`);
      union.push(
        ...(await all(
          `/organizations/acme/pipelines/${p.slug}/builds?per_page=100&include_retried_jobs=true&exclude_pipeline=true`,
        )),
      );
    }
    union.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? -1 : 1));
    assert.deepEqual(ids(union), ids(acme()));
    assert.equal((await get('/organizations/acme/pipelines/nope/builds')).status, 404);
  });

  test('a build by number is the listed build plus job_state_counts; unknown numbers are 404', async () => {
    const listed = acme()[5] as Build;
    const slug = /pipelines\/([^/]+)\/builds/.exec(listed.url as string)?.[1];
    const res = await get(
      `/organizations/acme/pipelines/${slug}/builds/${listed.number}?include_retried_jobs=true&exclude_pipeline=true`,
    );
    assert.equal(res.status, 200);
    const { job_state_counts: counts, ...build } = res.body as Build & {
      job_state_counts: { total: number };
    };
    assert.deepEqual(build, listed);
    assert.equal(counts.total, listed.jobs?.length);
    const failedOnly = (
      await get(`/organizations/acme/pipelines/${slug}/builds/${listed.number}?job_states[]=passed`)
    ).body as Build;
    assert.ok((failedOnly.jobs ?? []).every((j) => j.state === 'passed'));
    for (const n of ['999999', 'abc']) {
      const missing = await get(`/organizations/acme/pipelines/${slug}/builds/${n}`);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { message: 'No build found' });
    }
  });

  test('every response carries the rate-limit and CORS headers', async () => {
    const res = await get('/organizations/acme/pipelines');
    assert.equal(res.headers.get('ratelimit-scope'), 'rest');
    assert.match(res.headers.get('ratelimit-remaining') ?? '', /^\d+$/);
    assert.match(res.headers.get('ratelimit-reset') ?? '', /^\d+$/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-expose-headers'), 'Link');
    assert.equal((await get('/organizations/acme/nothing-here')).status, 404);
  });
});
