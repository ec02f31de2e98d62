// Bitrise sandbox over real HTTP: authentication, tokens, envelopes, cursor paging and every builds filter,
// checked against the sandbox's ground truth.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { bitriseClient, walk } from './bitrise-client.js';

const NOW = '2025-03-12T15:00:00Z';
let sandbox: Sandbox;
let call: ReturnType<typeof bitriseClient>;

before(async () => {
  sandbox = await startSandbox({ seed: 3, now: NOW, clock: 'manual' });
  call = bitriseClient(sandbox);
});
after(() => sandbox.close());

// biome-ignore lint/suspicious/noExplicitAny: wire objects.
type Wire = any;
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const slugs = (items: Wire[]) => items.map((b) => b.slug);

/** Starts a second sandbox with switches, runs `body`, closes it. */
async function withSwitches(
  switches: NonNullable<Parameters<typeof startSandbox>[0]>['bitrise'],
  body: (s: Sandbox, c: ReturnType<typeof bitriseClient>) => Promise<void>,
) {
  const s = await startSandbox({ seed: 3, now: NOW, clock: 'manual', bitrise: switches });
  try {
    await body(s, bitriseClient(s));
  } finally {
    await s.close();
  }
}

describe('authentication and tokens', () => {
  test('accepts `token X` and a raw `X`; rejects Bearer, a missing header and unknown tokens with 401', async () => {
    const token = sandbox.bitrise.token;
    assert.equal((await call('/me', { auth: token })).status, 200);
    assert.equal((await call('/me', { auth: `token ${token}` })).status, 200);
    for (const auth of [`Bearer ${token}`, null, 'token', `token ${token}x`, 'someone-else']) {
      const reply = await call('/apps', { auth });
      assert.equal(reply.status, 401, `auth ${auth === null ? 'missing' : 'variant'}`);
      assert.equal(typeof reply.body.message, 'string');
      assert.ok(!reply.text.includes(token), 'the token never comes back');
    }
  });

  test('Bearer is accepted when switched on', async () => {
    await withSwitches({ acceptBearer: true }, async (s, c) => {
      assert.equal((await c('/apps', { auth: `Bearer ${s.bitrise.token}` })).status, 200);
    });
  });

  test('the noApps token is valid but sees no apps, and no app behind a slug', async () => {
    const auth = sandbox.bitrise.tokens.noApps;
    const apps = await call('/apps', { auth });
    assert.equal(apps.status, 200);
    assert.deepEqual(apps.body.data, []);
    const slug = sandbox.bitrise.world.apps()[0]?.slug;
    assert.equal((await call(`/apps/${slug}`, { auth })).status, 404);
    await withSwitches({ inaccessibleAppStatus: 403 }, async (s, c) => {
      assert.equal((await c(`/apps/${slug}`, { auth: s.bitrise.tokens.noApps })).status, 403);
    });
  });

  test('an app no token may see answers 404, or 403 by switch; an unknown slug is always 404', async () => {
    const hidden = sandbox.bitrise.world.inaccessibleAppSlug;
    assert.equal((await call(`/apps/${hidden}/builds`)).status, 404);
    await withSwitches({ inaccessibleAppStatus: 403 }, async (_s, c) => {
      assert.equal((await c(`/apps/${hidden}/builds`)).status, 403);
      assert.equal((await c('/apps/ffffffffffffffff')).status, 404);
    });
  });

  test('the noPipelines token sees apps and builds but gets 403 on pipelines (and builds by switch)', async () => {
    const auth = sandbox.bitrise.tokens.noPipelines;
    const apps = await call('/apps', { auth });
    assert.ok(apps.body.data.length > 0);
    const slug = apps.body.data[0].slug;
    const pipelines = await call(`/apps/${slug}/pipelines`, { auth });
    assert.equal(pipelines.status, 403);
    assert.equal(typeof pipelines.body.message, 'string');
    assert.equal((await call('/pipelines', { auth })).status, 403);
    assert.equal((await call(`/apps/${slug}/builds`, { auth })).status, 200);
    await withSwitches({ noPipelinesForbidsBuilds: true }, async (s, c) => {
      assert.equal((await c(`/apps/${slug}/builds`, { auth: s.bitrise.tokens.noPipelines })).status, 403);
    });
  });
});

describe('envelope, root and redirects', () => {
  test('root endpoints answer without auth; JSON is sent as application/json; charset=utf-8', async () => {
    for (const url of [`${sandbox.url}/bitrise/`, `${sandbox.url}/bitrise/v0.1`]) {
      const reply = await call(url, { auth: null });
      assert.equal(reply.status, 200, url);
      assert.equal(reply.headers.get('content-type'), 'application/json; charset=utf-8');
    }
    assert.equal((await call('/apps')).headers.get('content-type'), 'application/json; charset=utf-8');
  });

  test('a trailing slash redirects to the path without it, keeping the query', async () => {
    const reply = await call('/apps/?limit=2');
    assert.equal(reply.status, 301);
    assert.equal(reply.headers.get('location'), `${sandbox.bitrise.url}/apps?limit=2`);
    const root = await call(`${sandbox.url}/bitrise/v0.1/`, { auth: null });
    assert.equal(root.headers.get('location'), `${sandbox.bitrise.url}`);
  });

  test('unknown paths and garbage parameters are one-line JSON errors', async () => {
    const slug = sandbox.bitrise.world.apps()[0]?.slug;
    const cases: [string, number][] = [
      ['/nope', 404],
      [`/apps/${slug}/builds/0123456789abcdef`, 404],
      [`/apps/${slug}/builds?next=not-a-slug`, 400],
      [`/apps/${slug}/builds?next=0123456789abcdef`, 400],
      [`/apps/${slug}/builds?limit=abc`, 400],
      [`/apps/${slug}/builds?status=5`, 400],
      [`/apps/${slug}/builds?after=yesterday`, 400],
      [`/apps/${slug}/builds?is_pipeline_build=maybe`, 400],
      [`/apps/${slug}/builds?trigger_event_type=merge`, 400],
    ];
    for (const [path, status] of cases) {
      const reply = await call(path);
      assert.equal(reply.status, status, path);
      assert.match(reply.body.message, /^[^\n]+$/);
    }
  });
});

describe('cursor pagination of builds', () => {
  test('a full walk returns every build exactly once, newest first, for each app and for /builds', async () => {
    const all: Wire[] = [];
    for (const app of sandbox.bitrise.world.apps()) {
      const truth = sandbox.bitrise.world.builds(app.slug);
      const { items, pages } = await walk(call, `/apps/${app.slug}/builds`);
      assert.deepEqual(slugs(items), slugs(truth), app.title);
      assert.equal(new Set(slugs(items)).size, items.length);
      for (const [i, page] of pages.entries()) {
        assert.equal(page.body.paging.total_item_count, truth.length);
        assert.equal(page.body.paging.page_item_limit, 50);
        const next = pages[i + 1];
        if (next)
          assert.equal(page.body.paging.next, next.body.data[0].slug, 'next = first slug of the next page');
        else assert.equal('next' in page.body.paging, false, 'no next on the last page');
      }
      all.push(...truth);
    }
    const everything = await walk(call, '/builds');
    assert.equal(everything.items.length, all.length);
    assert.deepEqual(new Set(slugs(everything.items)), new Set(slugs(all)));
    const times = everything.items.map((b: Wire) => b.triggered_at);
    assert.deepEqual(times, [...times].sort().reverse(), '/builds is newest first');
    assert.ok(everything.items.every((b: Wire) => b.repository?.slug));
  });

  test('pages at the boundaries: exactly 50, 51 and 100 matching builds', async () => {
    for (const size of [50, 51, 100]) {
      // `after` (inclusive, whole seconds) selecting exactly `size` builds of an app.
      const found = sandbox.bitrise.world
        .apps()
        .map((app) => {
          const truth = sandbox.bitrise.world.builds(app.slug);
          const edge = truth[size - 1];
          const since = edge ? seconds(edge.triggered_at) : Number.NaN;
          return { app, since, count: truth.filter((b) => seconds(b.triggered_at) >= since).length, truth };
        })
        .find((c) => c.count === size);
      assert.ok(found, `an app with a window of exactly ${size} builds`);
      const { items, pages } = await walk(call, `/apps/${found.app.slug}/builds?after=${found.since}`);
      assert.equal(items.length, size);
      assert.deepEqual(slugs(items), slugs(found.truth.slice(0, size)));
      assert.equal(pages.length, Math.ceil(size / 50));
      assert.equal(pages[0]?.body.data.length, 50);
      if (size === 51) assert.equal(pages[0]?.body.paging.next, found.truth[50]?.slug);
      assert.equal('next' in (pages[pages.length - 1]?.body.paging ?? {}), false);
    }
  });

  test('limit: smaller pages, 50 at most by default (clamped), 400 by switch', async () => {
    const app = sandbox.bitrise.world.apps()[0];
    const small = await walk(call, `/apps/${app?.slug}/builds?limit=7`);
    assert.deepEqual(slugs(small.items), slugs(sandbox.bitrise.world.builds(app?.slug)));
    assert.ok(small.pages.every((p) => p.body.data.length <= 7 && p.body.paging.page_item_limit === 7));
    const big = await call(`/apps/${app?.slug}/builds?limit=500`);
    assert.equal(big.body.paging.page_item_limit, 50);
    assert.equal(big.body.data.length, 50);
    await withSwitches({ limitOutOfRange: 'error' }, async (_s, c) => {
      assert.equal((await c(`/apps/${app?.slug}/builds?limit=51`)).status, 400);
      assert.equal((await c(`/apps/${app?.slug}/builds?limit=0`)).status, 400);
    });
  });

  test('a cursor from another app is refused', async () => {
    const [a, b] = sandbox.bitrise.world.apps();
    const other = sandbox.bitrise.world.builds(b?.slug)[5]?.slug;
    assert.equal((await call(`/apps/${a?.slug}/builds?next=${other}`)).status, 400);
  });
});

describe('builds filters', () => {
  // Manual builds carry no commit, API and scheduled ones say who triggered them; rebuilds keep their event.
  const event = (b: Wire) => {
    if (b.tag !== null) return 'tag';
    if (b.pull_request_id > 0) return 'pull-request';
    return b.commit_hash !== null && !['curl', 'schedule'].includes(b.triggered_by) ? 'push' : 'other';
  };

  test('each filter narrows to exactly the matching builds', async () => {
    const app = sandbox.bitrise.world
      .apps()
      .find((a) => sandbox.bitrise.world.builds(a.slug).some((b) => b.pipeline_workflow_id));
    assert.ok(app);
    const truth = sandbox.bitrise.world.builds(app.slug);
    const pr = truth.find((b) => b.pull_request_id > 0);
    const mid = truth[Math.floor(truth.length / 2)];
    const branch =
      truth.find((b) => b.branch && b.branch !== 'main' && /<|&/.test(b.branch))?.branch ?? pr?.branch;
    const workflow = truth[0]?.triggered_workflow;
    assert.ok(pr && mid && branch && workflow);
    const cases: [string, (b: Wire) => boolean][] = [
      ...[0, 1, 2, 3].map((s): [string, (b: Wire) => boolean] => [`status=${s}`, (b) => b.status === s]),
      [`branch=${encodeURIComponent(branch)}`, (b) => b.branch === branch],
      [`workflow=${workflow}`, (b) => b.triggered_workflow === workflow],
      ['trigger_event_type=push', (b) => event(b) === 'push'],
      ['trigger_event_type=pull-request', (b) => event(b) === 'pull-request'],
      [`pull_request_id=${pr.pull_request_id}`, (b) => b.pull_request_id === pr.pull_request_id],
      [`after=${seconds(mid.triggered_at)}`, (b) => seconds(b.triggered_at) >= seconds(mid.triggered_at)],
      [`before=${seconds(mid.triggered_at)}`, (b) => seconds(b.triggered_at) <= seconds(mid.triggered_at)],
      [`build_number=${mid.build_number}`, (b) => b.build_number === mid.build_number],
      // Older (2017-shaped) standalone builds have no pipeline_workflow_id at all.
      ['is_pipeline_build=true', (b) => Boolean(b.pipeline_workflow_id)],
      ['is_pipeline_build=false', (b) => !b.pipeline_workflow_id],
      [
        `branch=${encodeURIComponent(branch)}&trigger_event_type=pull-request&status=1`,
        (b) => b.branch === branch && event(b) === 'pull-request' && b.status === 1,
      ],
    ];
    for (const [query, keep] of cases) {
      const expected = truth.filter(keep);
      assert.ok(
        expected.length > 0 && expected.length < truth.length,
        `${query} narrows (${expected.length})`,
      );
      const { items, pages } = await walk(call, `/apps/${app.slug}/builds?${query}`);
      assert.deepEqual(slugs(items), slugs(expected), query);
      // Legacy behaviour: a filtered list still reports the unfiltered total.
      assert.equal(pages[0]?.body.paging.total_item_count, truth.length, query);
    }
  });

  test('tag builds filter on another app, and the filtered total by switch', async () => {
    const withTags = sandbox.bitrise.world
      .apps()
      .find((a) => sandbox.bitrise.world.builds(a.slug).some((b) => b.tag));
    assert.ok(withTags, 'some app has tag builds');
    const truth = sandbox.bitrise.world.builds(withTags.slug);
    const { items } = await walk(call, `/apps/${withTags.slug}/builds?trigger_event_type=tag`);
    assert.deepEqual(slugs(items), slugs(truth.filter((b) => event(b) === 'tag')));
    await withSwitches({ totalItemCount: 'filtered' }, async (_s, c) => {
      const reply = await c(`/apps/${withTags.slug}/builds?trigger_event_type=tag&limit=1`);
      assert.equal(reply.body.paging.total_item_count, items.length);
    });
  });

  test('/builds filters: owner, on hold, status', async () => {
    const all = sandbox.bitrise.world.apps().flatMap((a) => sandbox.bitrise.world.builds(a.slug));
    const owner = sandbox.bitrise.world.apps()[0]?.owner.slug;
    const owned = new Set(
      sandbox.bitrise.world
        .apps()
        .filter((a) => a.owner.slug === owner)
        .flatMap((a) => slugs(sandbox.bitrise.world.builds(a.slug))),
    );
    const cases: [string, (b: Wire) => boolean][] = [
      ['is_on_hold=true', (b) => b.is_on_hold],
      ['status=2', (b) => b.status === 2],
      [`owner_slug=${owner}`, (b) => owned.has(b.slug)],
    ];
    for (const [query, keep] of cases) {
      const expected = all.filter(keep);
      assert.ok(expected.length > 0, query);
      const { items } = await walk(call, `/builds?${query}`);
      assert.deepEqual(new Set(slugs(items)), new Set(slugs(expected)), query);
      assert.equal(items.length, expected.length);
    }
  });

  test('sort_by=running_first lists unfinished builds before the rest, each exactly once', async () => {
    const app = sandbox.bitrise.world.apps()[0];
    const truth = sandbox.bitrise.world.builds(app?.slug);
    const { items } = await walk(call, `/apps/${app?.slug}/builds?sort_by=running_first&limit=20`);
    const unfinished = truth.filter((b) => b.status === 0);
    assert.ok(unfinished.length > 0);
    assert.deepEqual(slugs(items), [...slugs(unfinished), ...slugs(truth.filter((b) => b.status !== 0))]);
  });
});

describe('apps', () => {
  test('apps list pages by slug cursor and filters by project type', async () => {
    const apps = sandbox.bitrise.world.apps();
    const { items } = await walk(call, '/apps?limit=1');
    assert.deepEqual(slugs(items), slugs(apps));
    const type = apps[0]?.project_type;
    const filtered = await call(`/apps?project_type=${type}`);
    assert.deepEqual(slugs(filtered.body.data), slugs(apps.filter((a) => a.project_type === type)));
    const workflows = await call(`/apps/${apps[0]?.slug}/build-workflows`);
    const used = new Set(sandbox.bitrise.world.builds(apps[0]?.slug).map((b) => b.triggered_workflow));
    assert.deepEqual(new Set(workflows.body.data), used);
    assert.equal('paging' in workflows.body, false);
  });
});
