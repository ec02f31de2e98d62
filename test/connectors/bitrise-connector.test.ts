// The Bitrise connector against the sandbox over real HTTP on loopback, compared with the sandbox's truth.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createBitriseConnector } from '../../src/connectors/bitrise/connector.js';
import { build } from '../../src/connectors/bitrise/wire.js';
import type { Connector, ConnectorOptions, PendingRun, SyncInput } from '../../src/connectors/contract.js';
import { InvalidResponseError } from '../../src/connectors/http.js';
import { type Job, type Project, type Run, UNFINISHED_STATUSES } from '../../src/domain/model.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';
import { bitriseTruthOf } from '../sandbox/bitrise-truth.js';

const ANCHOR = '2026-03-04T12:00:00Z';
const LOOKBACK_DAYS = 90; // the small sandbox holds 60 days: the whole history is in the window

let sandbox: Sandbox;
before(async () => {
  sandbox = await start();
});
after(() => sandbox.close());

function start(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ size: 'small', clock: 'manual', now: ANCHOR, ...options });
}

function connect(sb: Sandbox, options: Partial<ConnectorOptions> = {}): Connector {
  return createBitriseConnector({
    baseUrl: sb.bitrise.url,
    token: sb.bitrise.token,
    org: null,
    now: () => sb.clock.now(),
    timeoutMs: 5000,
    maxRetries: 1,
    ...options,
  });
}

/** What the sync handed on, applied in order the way a store would: the last version of a row wins. */
interface Synced {
  projects: Project[];
  runs: Map<string, Run>;
  jobs: Map<string, Job>;
  rawKeys: Set<string>;
  /** Every run and job key in the order yielded, to see duplicates within one sync. */
  yieldedRuns: string[];
  yieldedJobs: string[];
  /** Runs a batch said it listed every job of. */
  wholeJobs: Set<string>;
  checkpoints: unknown[];
  done: string[];
  order: string[];
}

function emptySynced(): Synced {
  return {
    projects: [],
    runs: new Map(),
    jobs: new Map(),
    rawKeys: new Set(),
    yieldedRuns: [],
    yieldedJobs: [],
    wholeJobs: new Set(),
    checkpoints: [],
    done: [],
    order: [],
  };
}

async function runSync(
  connector: Connector,
  input: Partial<SyncInput> = {},
  into: Synced = emptySynced(),
  stopAfterCheckpoints = Number.POSITIVE_INFINITY,
) {
  const seen: Synced = {
    ...emptySynced(),
    projects: into.projects,
    runs: new Map(into.runs),
    jobs: new Map(into.jobs),
    rawKeys: new Set(into.rawKeys),
  };
  for await (const event of connector.sync({
    state: null,
    pending: [],
    lookbackDays: LOOKBACK_DAYS,
    ...input,
  })) {
    seen.order.push(event.type);
    if (event.type === 'projects') seen.projects = event.projects;
    if (event.type === 'batch') {
      for (const run of event.runs) seen.runs.set(run.key, run);
      for (const job of event.jobs) seen.jobs.set(job.key, job);
      for (const raw of event.raw) seen.rawKeys.add(`${raw.kind}:${raw.key}`);
      seen.yieldedRuns.push(...event.runs.map((r) => r.key));
      seen.yieldedJobs.push(...event.jobs.map((j) => j.key));
      for (const key of event.wholeJobs ?? []) seen.wholeJobs.add(key);
    }
    if (event.type === 'checkpoint') {
      seen.checkpoints.push(event.state);
      if (seen.checkpoints.length >= stopAfterCheckpoints) break;
    }
    if (event.type === 'project_done') seen.done.push(event.projectKey);
  }
  return seen;
}

const pendingOf = (synced: Synced): PendingRun[] =>
  [...synced.runs.values()]
    .filter((run) => UNFINISHED_STATUSES.includes(run.status))
    .map((run) => ({ key: run.key, projectKey: run.projectKey, kind: run.kind, number: run.number }));

/** The sandbox's ground truth at its clock, in domain terms. */
function truth(sb: Sandbox) {
  const world = sb.bitrise.world;
  const runs = new Map<string, Run>();
  const jobs = new Map<string, Job>();
  /** Provider status of every listed run: the build code (0 split by is_on_hold) or the pipeline string. */
  const status = new Map<string, string>();
  const pipelineBuilds = new Set<string>();
  for (const app of world.apps()) {
    for (const wire of world.builds(app.slug)) {
      const b = build.parse(wire);
      status.set(b.slug, b.status === 0 ? (b.is_on_hold ? 'on-hold' : 'in-progress') : String(b.status));
      if (b.pipeline_workflow_id) pipelineBuilds.add(b.slug);
    }
    for (const wire of world.pipelines(app.slug)) status.set(wire.id, wire.status);
    const truthOfApp = bitriseTruthOf(world, app.slug);
    for (const run of truthOfApp.runs) runs.set(run.key, run);
    for (const job of truthOfApp.jobs) jobs.set(job.key, job);
  }
  const listed = world.runs();
  return { apps: world.apps(), runs, jobs, status, pipelineBuilds, listed };
}

function assertMatchesTruth(synced: Synced, sb: Sandbox) {
  const t = truth(sb);
  assert.deepEqual(synced.projects.map((p) => p.key).sort(), t.apps.map((a) => a.slug).sort());
  // Every run the API lists (pipelines and standalone builds) is a run, and nothing else is.
  assert.deepEqual([...synced.runs.keys()].sort(), t.listed.map((item) => item.slug).sort());
  // Every workflow build of a pipeline (every attempt's) is a job of its pipeline, never a run; so is every
  // workflow a run_if condition skipped, which has no build.
  for (const key of t.pipelineBuilds) assert.ok(synced.jobs.has(key), `build ${key} is a job`);
  assert.deepEqual([...synced.jobs.keys()].sort(), [...t.jobs.keys()].sort());
  assert.ok([...synced.jobs.values()].some((j) => j.status === 'skipped' && j.webUrl === null));
  assert.ok([...synced.jobs.values()].some((j) => j.retried && j.status === 'failed'));
  for (const key of synced.jobs.keys()) assert.equal(synced.runs.has(key), false, `job ${key} is also a run`);
  for (const item of t.listed) {
    assert.equal(
      synced.runs.get(item.slug)?.providerStatus,
      t.status.get(item.slug),
      `status of ${item.slug}`,
    );
  }
  assert.deepEqual(new Map([...synced.runs].sort()), new Map([...t.runs].sort()));
  assert.deepEqual(new Map([...synced.jobs].sort()), new Map([...t.jobs].sort()));
  for (const run of synced.runs.values()) assert.ok(synced.rawKeys.has(`${run.kind}:${run.key}`), run.key);
}

function assertNoDuplicates(synced: Synced) {
  assert.equal(
    new Set(synced.yieldedRuns).size,
    synced.yieldedRuns.length,
    'a run yielded twice in one sync',
  );
  assert.equal(
    new Set(synced.yieldedJobs).size,
    synced.yieldedJobs.length,
    'a job yielded twice in one sync',
  );
}

test('check: a token that reads everything is ok', async () => {
  const connector = connect(sandbox);
  assert.deepEqual(await connector.check(), {
    code: 'ok',
    message: 'Connected: the token can read apps, builds and pipelines.',
    curl: null,
    checked: [
      'token accepted',
      `${sandbox.bitrise.world.apps().length} apps visible`,
      `builds and pipelines readable (app "${sandbox.bitrise.world.apps()[0]?.title}")`,
    ],
  });
  // The first app's builds and pipelines, then every app counted (one page here).
  assert.equal(connector.requests(), 4);
});

test('check: wrong token, forbidden pipelines and builds, no apps, closed port', async () => {
  const url = sandbox.bitrise.url;
  const { tokens } = sandbox.bitrise;
  const appsCurl = `curl -H "Authorization: $BITRISE_TOKEN" '${url}/apps?limit=1'`;

  const wrong = await connect(sandbox, { token: 'not-a-bitrise-token' }).check();
  assert.equal(wrong.code, 'invalid_credentials');
  assert.match(wrong.message, /401/);
  assert.equal(wrong.curl, appsCurl);

  const noPipelines = await connect(sandbox, { token: tokens.noPipelines }).check();
  assert.equal(noPipelines.code, 'invalid_permissions');
  assert.match(noPipelines.message, /may not read its pipelines \(403\)/);
  assert.match(
    noPipelines.curl ?? '',
    /^curl -H "Authorization: \$BITRISE_TOKEN" '.*\/apps\/[0-9a-f]+\/pipelines\?limit=1'$/,
  );

  const strict = await start({ bitrise: { noPipelinesForbidsBuilds: true } });
  try {
    const noBuilds = await connect(strict, { token: strict.bitrise.tokens.noPipelines }).check();
    assert.equal(noBuilds.code, 'invalid_permissions');
    assert.match(noBuilds.message, /may not read its builds \(403\)/);
    assert.match(noBuilds.curl ?? '', /\/builds\?limit=1'$/);
  } finally {
    await strict.close();
  }

  const noApps = await connect(sandbox, { token: tokens.noApps }).check();
  assert.equal(noApps.code, 'no_resources');
  assert.equal(noApps.curl, appsCurl);

  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((ok) => closed.close(() => ok()));
  const unreachable = await connect(sandbox, { baseUrl: `http://127.0.0.1:${port}/v0.1` }).check();
  assert.equal(unreachable.code, 'unreachable');
  assert.match(unreachable.message, /ECONNREFUSED/);
  assert.equal(
    unreachable.curl,
    `curl -H "Authorization: $BITRISE_TOKEN" 'http://127.0.0.1:${port}/v0.1/apps?limit=1'`,
  );

  for (const result of [wrong, noPipelines, noApps, unreachable]) {
    for (const secret of [sandbox.bitrise.token, tokens.noApps, tokens.noPipelines]) {
      assert.ok(!result.message.includes(secret) && !(result.curl ?? '').includes(secret), result.message);
    }
    assert.ok(!result.message.includes('\n'), 'one line');
  }
});

test('first sync equals the sandbox truth: every run once, pipeline builds as jobs, statuses equal', async () => {
  const connector = connect(sandbox);
  const synced = await runSync(connector);
  const apps = sandbox.bitrise.world.apps().length;
  assertMatchesTruth(synced, sandbox);
  assertNoDuplicates(synced);
  // The history needs several pages per list, so pagination is exercised.
  const standalone = [...synced.runs.values()].filter((r) => r.kind === 'build').length;
  assert.ok(standalone > 50 * apps, `${standalone} standalone builds`);
  assert.ok(synced.runs.size > 500 && synced.jobs.size > 500);
  // A pipeline show lists all of its run's jobs (stored ones it no longer names are gone); a build has none.
  assert.deepEqual(
    [...synced.wholeJobs].sort(),
    [...synced.runs.values()]
      .filter((r) => r.kind === 'pipeline')
      .map((r) => r.key)
      .sort(),
  );
  assert.ok(pendingOf(synced).length > 0, 'the sandbox has runs in flight at its clock');
  assert.equal(synced.order[0], 'projects');
  assert.equal(synced.checkpoints.length, apps);
  assert.deepEqual(synced.done.sort(), synced.projects.map((p) => p.key).sort());
  assert.equal(synced.order.at(-1), 'project_done');
});

test('unconfirmed behaviours: wrapped pipeline show, refused page size, absent workflow ids, filtered totals', async () => {
  const odd = await start({
    bitrise: {
      wrapPipelineShow: true,
      limitOutOfRange: 'error',
      pipelineLimitMax: 10,
      standalonePipelineWorkflowId: 'absent',
      totalItemCount: 'filtered',
    },
  });
  try {
    const lines: string[] = [];
    const synced = await runSync(connect(odd, { log: (line) => lines.push(line) }));
    assertMatchesTruth(synced, odd);
    assertNoDuplicates(synced);
    assert.ok(
      lines.some((line) => /limit=50 refused.*default page size/.test(line)),
      lines.join('\n'),
    );
  } finally {
    await odd.close();
  }
});

test('pagination: with one pipeline-list item per page every item sits on a page boundary', async () => {
  const tiny = await start({ bitrise: { pipelineLimitMax: 1 } });
  try {
    const connector = connect(tiny);
    const synced = await runSync(connector);
    assertMatchesTruth(synced, tiny);
    assertNoDuplicates(synced);
    // One page per listed run, plus the empty-cursor end: the cursor was followed to the very end.
    assert.ok(connector.requests() >= truth(tiny).listed.length, `${connector.requests()} requests`);
  } finally {
    await tiny.close();
  }
});

test('pagination: an inclusive before repeats a page’s last run on the next; every run is read once', async () => {
  const inclusive = await start({ bitrise: { pipelineLimitMax: 3, pipelinesBefore: 'inclusive' } });
  try {
    const synced = await runSync(connect(inclusive));
    assertMatchesTruth(synced, inclusive);
    assertNoDuplicates(synced);
  } finally {
    await inclusive.close();
  }
});

test('a later sync updates runs that finished meanwhile and adds new ones', async () => {
  const sb = await start();
  try {
    const first = await runSync(connect(sb));
    const pending = pendingOf(first);
    assert.ok(pending.length >= 3, `${pending.length} runs in flight`);
    const state = first.checkpoints.at(-1);

    sb.clock.advance(3 * 3_600_000);
    const connector = connect(sb);
    const second = await runSync(connector, { state, pending }, first);
    assertMatchesTruth(second, sb);
    assertNoDuplicates(second);
    for (const run of pending) {
      const now = second.runs.get(run.key);
      assert.ok(now && !UNFINISHED_STATUSES.includes(now.status), `${run.key} still ${now?.status}`);
      assert.ok(second.yieldedRuns.includes(run.key), `${run.key} was not re-read`);
    }
    const added = [...second.runs.keys()].filter((key) => !first.runs.has(key));
    assert.ok(added.length > 0, 'runs triggered after the first sync arrive');
    // Incremental: far fewer requests than the first sync's backfill.
    assert.ok(connector.requests() < first.runs.size / 4, `${connector.requests()} requests`);
  } finally {
    await sb.close();
  }
});

test('a second sync with nothing new asks only a handful of requests', async () => {
  const first = await runSync(connect(sandbox));
  const pending = pendingOf(first);
  const connector = connect(sandbox);
  const second = await runSync(connector, { state: first.checkpoints.at(-1), pending }, first);
  const apps = first.projects.length;
  // One apps page, one page of each list per app, and each unfinished run at most once.
  assert.ok(connector.requests() <= 1 + apps * 2 + pending.length, `${connector.requests()} requests`);
  assertMatchesTruth(second, sandbox);
  assertNoDuplicates(second);
});

test('a sync stopped after one app resumes from its checkpoint without losing runs', async () => {
  const partial = await runSync(connect(sandbox), {}, emptySynced(), 1);
  assert.equal(partial.checkpoints.length, 1);
  const state = partial.checkpoints[0] as { apps: Record<string, unknown> };
  assert.equal(Object.keys(state.apps).length, 1, 'the state claims only the finished app');
  const resumed = await runSync(connect(sandbox), { state, pending: pendingOf(partial) }, partial);
  assertMatchesTruth(resumed, sandbox);
});

/** A scripted Bitrise for paging faults the sandbox does not produce: one app, no pipelines, builds pages. */
async function withFakeBitrise(
  buildPages: (cursor: string | null) => { data: unknown[]; paging: Record<string, unknown> },
  body: (url: string) => Promise<void>,
) {
  const buildWire = sandbox.bitrise.world
    .builds()
    .map((wire) => build.parse(wire))
    .find((b) => !b.pipeline_workflow_id);
  const app = sandbox.bitrise.world.apps()[0];
  const send = (res: ServerResponse, value: unknown) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v0.1/apps') return send(res, { data: [app], paging: { total_item_count: 1 } });
    if (url.pathname.endsWith('/pipelines')) return send(res, { data: [], paging: {} });
    const page = buildPages(url.searchParams.get('next'));
    send(res, { ...page, data: page.data.map((slug) => ({ ...buildWire, slug })) });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v0.1`);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

const fakeConnector = (baseUrl: string) =>
  createBitriseConnector({
    baseUrl,
    token: 'fake-bitrise-token',
    org: null,
    maxRetries: 0,
    now: () => Date.parse(ANCHOR),
  });

test('paging follows next to the end whatever total_item_count says', async () => {
  const pages: Record<string, { data: string[]; next?: string }> = {
    start: { data: ['aaaaaaaaaaaaaaa1', 'aaaaaaaaaaaaaaa2'], next: 'aaaaaaaaaaaaaaa3' },
    aaaaaaaaaaaaaaa3: { data: ['aaaaaaaaaaaaaaa3', 'aaaaaaaaaaaaaaa4'], next: 'aaaaaaaaaaaaaaa5' },
    aaaaaaaaaaaaaaa5: { data: ['aaaaaaaaaaaaaaa5'] },
  };
  await withFakeBitrise(
    (cursor) => {
      const page = pages[cursor ?? 'start'] ?? { data: [] };
      return { data: page.data, paging: { total_item_count: 1, page_item_limit: 2, next: page.next } };
    },
    async (url) => {
      const synced = await runSync(fakeConnector(url));
      assert.deepEqual([...synced.runs.keys()].sort(), [
        'aaaaaaaaaaaaaaa1',
        'aaaaaaaaaaaaaaa2',
        'aaaaaaaaaaaaaaa3',
        'aaaaaaaaaaaaaaa4',
        'aaaaaaaaaaaaaaa5',
      ]);
    },
  );
});

test('a cursor that comes back again is an error, not an endless loop', async () => {
  await withFakeBitrise(
    (cursor) => ({
      data: [cursor === null ? 'bbbbbbbbbbbbbbb1' : 'bbbbbbbbbbbbbbb2'],
      paging: { next: 'bbbbbbbbbbbbbbb2' },
    }),
    async (url) => {
      const connector = fakeConnector(url);
      await assert.rejects(runSync(connector), (error: unknown) => {
        assert.ok(error instanceof InvalidResponseError);
        assert.match(error.message, /cursor "bbbbbbbbbbbbbbb2" twice/);
        assert.match(error.curl, /next=bbbbbbbbbbbbbbb2/);
        return true;
      });
      assert.ok(connector.requests() < 10);
    },
  );
});

test('check: 429 until the retries are spent is rate_limited', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '0' });
    res.end('{"message":"Too Many Requests"}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v0.1`;
    const connector = createBitriseConnector({ baseUrl: url, token: 't0ken', org: null, maxRetries: 2 });
    const result = await connector.check();
    assert.equal(result.code, 'rate_limited');
    assert.equal(result.curl, `curl -H "Authorization: $BITRISE_TOKEN" '${url}/apps?limit=1'`);
    assert.equal(connector.requests(), 3);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
});

/** A scripted Bitrise answering each path (with its query) from `answer`; null is a 404. */
async function withScriptedBitrise(answer: (url: URL) => unknown, body: (url: string) => Promise<void>) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const value =
      url.pathname === '/v0.1/apps' ? { data: [{ slug: 'a1', title: 'App' }], paging: {} } : answer(url);
    res.writeHead(value === null ? 404 : 200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(value ?? { message: 'Not Found' }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v0.1`);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

const at = (minute: number) => `2026-03-04T11:${String(minute).padStart(2, '0')}:00.123456Z`;
/** `isPipeline` null: an item without the field. */
const listed = (slug: string, minute: number, isPipeline: boolean | null = true) => ({
  slug,
  triggered_at: at(minute),
  finished_at: at(minute + 1),
  ...(isPipeline === null ? {} : { is_pipeline: isPipeline }),
});
const dagShow = (id: string, minute: number) => ({
  id,
  name: 'ci',
  status: 'succeeded',
  triggered_at: at(minute),
  started_at: at(minute),
  finished_at: at(minute + 1),
  type: 'dag',
  workflows: [{ id: `${id}-w`, name: 'test', external_id: `${id}-b`, status: 'succeeded' }],
});

/** Pipelines list pages by `before` (absent: first page); builds list empty; shows by id. */
function pipelinesScript(
  pages: Record<string, { data: unknown[]; next?: string }>,
  shows: Record<string, number>,
) {
  return (url: URL) => {
    if (url.pathname.endsWith('/builds')) return { data: [], paging: {} };
    const id = /\/pipelines\/(.+)$/.exec(url.pathname)?.[1];
    if (id) return id in shows ? dagShow(id, shows[id] as number) : null;
    const page = pages[url.searchParams.get('before') ?? 'first'] ?? { data: [] };
    return { data: page.data, paging: { total_item_count: 0, page_item_limit: 0, next: page.next } };
  };
}

test('pipelines list: a page repeating only the boundary item (inclusive before) ends the listing', async () => {
  const shows = { p4: 40, p3: 30, p2: 20, p1: 10 };
  await withScriptedBitrise(
    pipelinesScript(
      {
        first: { data: [listed('p4', 40), listed('p3', 30)], next: at(30) },
        [at(30)]: { data: [listed('p3', 30), listed('p2', 20), listed('p1', 10)], next: at(10) },
        [at(10)]: { data: [listed('p1', 10)], next: at(10) },
      },
      shows,
    ),
    async (url) => {
      const synced = await runSync(fakeConnector(url));
      assert.deepEqual(synced.yieldedRuns.sort(), ['p1', 'p2', 'p3', 'p4']);
      assert.deepEqual(synced.yieldedJobs.sort(), ['p1-b', 'p2-b', 'p3-b', 'p4-b']);
    },
  );
});

test('pipelines list: a server that ignores before is still a loop that stops the sync', async () => {
  const firstPage = pipelinesScript(
    { first: { data: [listed('p4', 40), listed('p3', 30)], next: at(30) } },
    {
      p4: 40,
      p3: 30,
    },
  );
  // Every list request gets the first page: its items are not at the boundary, so no inclusive cursor explains it.
  const ignoringBefore = (url: URL) => {
    if (url.pathname.endsWith('/pipelines')) url.searchParams.delete('before');
    return firstPage(url);
  };
  await withScriptedBitrise(ignoringBefore, async (url) => {
    const connector = fakeConnector(url);
    await assert.rejects(runSync(connector), /served the same items twice/);
    assert.ok(connector.requests() < 10);
  });
});

test('an item that does not say whether it is a pipeline is asked for as one; a 404 makes it a build', async () => {
  await withScriptedBitrise(
    pipelinesScript({ first: { data: [listed('p2', 20, null), listed('b1', 10, null)] } }, { p2: 20 }),
    async (url) => {
      const synced = await runSync(fakeConnector(url));
      assert.deepEqual(synced.yieldedRuns, ['p2']);
    },
  );
});

test('an unreadable list item is refused with the field named; the rest of its page is read', async () => {
  const good = { slug: 'g1', build_number: 1, status: 1, triggered_at: '2026-03-04T11:00:00Z' };
  const refused: unknown[] = [];
  await withScriptedBitrise(
    (url) =>
      url.pathname.endsWith('/builds')
        ? {
            data: [
              good,
              { ...good, slug: 'g2', triggered_at: 'soon' },
              { ...good, slug: 'g3', status: 'ok' },
            ],
            paging: {},
          }
        : { data: [], paging: {} },
    async (url) => {
      for await (const event of fakeConnector(url).sync({ state: null, pending: [], lookbackDays: 90 })) {
        if (event.type === 'batch') {
          assert.deepEqual(
            event.runs.map((r) => r.key),
            ['g1'],
          );
          refused.push(...(event.refused ?? []).map((r) => [r.kind, r.key, r.reason]));
        }
      }
    },
  );
  assert.deepEqual(refused, [
    ['build', 'g2', 'unreadable triggered_at: Invalid ISO datetime'],
    ['build', 'g3', 'unreadable status: Invalid input: expected number, received string'],
  ]);
});
