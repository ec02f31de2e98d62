// Bitrise sandbox: aborts, logs with expiring raw links, artifacts, and pipelines (time-cursor lists and
// stages → workflows → builds), over real HTTP against the ground truth.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { bitriseClient, fetchRaw, walk } from './bitrise-client.js';

const NOW = '2025-03-12T15:00:00Z';
let sandbox: Sandbox;
let call: ReturnType<typeof bitriseClient>;

before(async () => {
  sandbox = await startSandbox({ seed: 5, now: NOW, clock: 'manual' });
  call = bitriseClient(sandbox);
});
after(() => sandbox.close());

// biome-ignore lint/suspicious/noExplicitAny: wire objects.
type Wire = any;
const slugs = (items: Wire[]) => items.map((b) => b.slug);

/** The app slug and a build of it matching `keep`, newest first. */
function findBuild(keep: (b: Wire) => boolean): { app: string; build: Wire } {
  for (const app of sandbox.bitrise.world.apps()) {
    const build = sandbox.bitrise.world.builds(app.slug).find(keep);
    if (build) return { app: app.slug, build };
  }
  throw new Error('no such build in the sandbox');
}

describe('abort', () => {
  test('a running build aborts with the reason and status 3; aborting it again is refused', async () => {
    const { app, build } = findBuild((b) => b.status === 0 && b.pipeline_workflow_id === '');
    const path = `/apps/${app}/builds/${build.slug}`;
    const reply = await call(`${path}/abort`, {
      method: 'POST',
      body: { abort_reason: 'wrong <b>branch</b>' },
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { status: 'ok' });
    const shown = (await call(path)).body.data;
    assert.equal(shown.status, 3);
    assert.equal(shown.status_text, 'aborted');
    assert.equal(
      shown.abort_reason,
      'User anna-kovacs requested to abort this build with reason: wrong <b>branch</b>',
    );
    assert.ok(shown.finished_at);
    const again = await call(`${path}/abort`, { method: 'POST', body: {} });
    assert.equal(again.status, 400);
    assert.equal(again.body.message, "Build already finished, can't abort it.");
  });

  test('abort_with_success gives status 4; an empty body is accepted; bad bodies are 400', async () => {
    const running = sandbox.bitrise.world.apps().flatMap((a) =>
      sandbox.bitrise.world
        .builds(a.slug)
        .filter((b) => b.status === 0)
        .map((b) => ({ app: a.slug, build: b })),
    );
    // Two builds of different runs: aborting a pipeline's build also stops its workflows not started yet.
    const [first] = running as [Wire];
    const second = running.find(
      (r) => r.app !== first.app || r.build.build_number !== first.build.build_number,
    );
    assert.ok(second, 'two unfinished builds of different runs');
    const bad = await call(`/apps/${first.app}/builds/${first.build.slug}/abort`, {
      method: 'POST',
      body: { abort_with_success: 'yes' },
    });
    assert.equal(bad.status, 400);
    const ok = await call(`/apps/${first.app}/builds/${first.build.slug}/abort`, {
      method: 'POST',
      body: { abort_reason: 'no changes', abort_with_success: true },
    });
    assert.equal(ok.status, 200);
    const shown = (await call(`/apps/${first.app}/builds/${first.build.slug}`)).body.data;
    assert.equal(shown.status, 4);
    assert.equal(shown.status_text, 'aborted-with-success');
    assert.equal(
      (await call(`/apps/${second.app}/builds/${second.build.slug}/abort`, { method: 'POST' })).status,
      200,
    );
  });

  test('a finished build cannot be aborted (status code by switch)', async () => {
    const { app, build } = findBuild((b) => b.status === 1);
    const reply = await call(`/apps/${app}/builds/${build.slug}/abort`, { method: 'POST', body: {} });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.message, "Build already finished, can't abort it.");
    const s = await startSandbox({
      seed: 5,
      now: NOW,
      clock: 'manual',
      bitrise: { abortFinishedStatus: 409 },
    });
    try {
      const other = await bitriseClient(s)(`/apps/${app}/builds/${build.slug}/abort`, { method: 'POST' });
      assert.equal(other.status, 409);
    } finally {
      await s.close();
    }
  });

  test('aborting a pipeline build stops the later stages that had not started', async () => {
    const s = await startSandbox({ seed: 5, now: NOW, clock: 'manual' });
    try {
      const c = bitriseClient(s);
      // A pipeline still in its first stage, with more stages to come.
      const pipeline = s.bitrise.world
        .pipelines()
        .find(
          (p) => (p.stages ?? []).length > 1 && p.stages?.[0]?.workflows.some((w) => w.finished_at === null),
        );
      assert.ok(pipeline, 'a pipeline in its first stage');
      const first = pipeline.stages?.[0]?.workflows.find((w) => w.finished_at === null);
      const reply = await c(`/apps/${pipeline.app.slug}/builds/${first?.external_id}/abort`, {
        method: 'POST',
      });
      assert.equal(reply.status, 200);
      const shown = await c(`/apps/${pipeline.app.slug}/pipelines/${pipeline.id}`);
      const later = shown.body.stages
        .slice(1)
        .flatMap((stage: Wire) => stage.workflows)
        .filter((w: Wire) => w.status !== 'skipped');
      for (const w of later) {
        assert.equal(w.status, 'aborted');
        assert.equal(w.started_at, null);
        const build: Wire = (await c(`/apps/${pipeline.app.slug}/builds/${w.external_id}`)).body.data;
        assert.equal(build.status, 3);
        assert.equal(build.started_on_worker_at, null, 'never started: no worker time');
        assert.ok(build.finished_at);
      }
      s.clock.advance(6 * 3_600_000);
      assert.equal((await c(`/apps/${pipeline.app.slug}/pipelines/${pipeline.id}`)).body.status, 'aborted');
    } finally {
      await s.close();
    }
  });
});

describe('logs', () => {
  test('a running build has chunks but no archive; a finished one has a raw-log link that expires', async () => {
    const running = findBuild((b) => b.status === 0 && !b.is_on_hold);
    const live = (await call(`/apps/${running.app}/builds/${running.build.slug}/log`)).body;
    assert.equal(live.is_archived, false);
    assert.equal('expiring_raw_log_url' in live, false);
    assert.ok(live.log_chunks.length > 0 && live.generated_log_chunks_num >= live.log_chunks.length);
    assert.equal('data' in live, false, 'the log is not wrapped in data');

    const done = findBuild((b) => b.status === 2);
    const log = (await call(`/apps/${done.app}/builds/${done.build.slug}/log`)).body;
    assert.equal(log.is_archived, true);
    assert.match(log.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    assert.ok(
      log.log_chunks.every(
        (c: Wire, i: number, all: Wire[]) => i === 0 || c.position === all[i - 1].position + 1,
      ),
    );
    const raw = await fetchRaw(log.expiring_raw_log_url);
    assert.equal(raw.status, 200, 'no Authorization needed');
    const text = raw.text;
    assert.ok(text.includes('\u001b['), 'ANSI colours');
    assert.ok(text.endsWith(log.log_chunks[log.log_chunks.length - 1].chunk));
    assert.equal(
      (await fetchRaw(log.expiring_raw_log_url.replace(/signature=\w/, 'signature=z'))).status,
      403,
    );
    sandbox.clock.advance(11 * 60_000);
    const expired = await fetchRaw(log.expiring_raw_log_url);
    assert.equal(expired.status, 403);
    assert.match(expired.text, /expired/);
  });
});

describe('artifacts', () => {
  test('listed with paging; each has an expiring download link and a public-page flag that PATCH sets', async () => {
    const { app, build } = findBuild((b) => b.status === 1 && b.triggered_workflow.includes('build'));
    const base = `/apps/${app}/builds/${build.slug}/artifacts`;
    const all = (await call(base)).body;
    assert.ok(all.data.length > 0);
    const paged = await walk(call, `${base}?limit=1`);
    assert.deepEqual(slugs(paged.items), slugs(all.data));
    const artifact = all.data[0];
    const shown = (await call(`${base}/${artifact.slug}`)).body.data;
    assert.equal(shown.is_public_page_enabled, false);
    const download = await fetchRaw(shown.expiring_download_url);
    assert.equal(download.status, 200);
    assert.equal((await fetchRaw(shown.public_install_page_url)).status, 404, 'page off');
    const patched = await call(`${base}/${artifact.slug}`, {
      method: 'PATCH',
      body: { is_public_page_enabled: true },
    });
    assert.equal(patched.body.data.is_public_page_enabled, true);
    assert.equal((await call(`${base}/${artifact.slug}`)).body.data.is_public_page_enabled, true);
    assert.equal((await fetchRaw(shown.public_install_page_url)).status, 200, 'page on');
    assert.equal(
      (await call(`${base}/${artifact.slug}`, { method: 'PATCH', body: { title: 'x' } })).status,
      400,
    );
    const redirect = await call(`${base}/${artifact.slug}?download=1`);
    assert.equal(redirect.status, 302);
    assert.ok(redirect.headers.get('location')?.includes('/storage/artifacts/'));
    sandbox.clock.advance(11 * 60_000);
    assert.equal((await fetchRaw(shown.expiring_download_url)).status, 403);
  });
});

describe('pipelines', () => {
  test('the list returns pipelines and standalone builds, 10 a page, walked with the before time cursor', async () => {
    for (const app of sandbox.bitrise.world.apps()) {
      const truth = sandbox.bitrise.world.runs(app.slug);
      for (const cursor of ['before', 'next']) {
        const { items, pages } = await walk(call, `/apps/${app.slug}/pipelines`, cursor);
        assert.deepEqual(slugs(items), slugs(truth), `${app.title} via ${cursor}`);
        // Ten a page, and the counts left at zero as live answers give them.
        assert.ok(pages.slice(0, -1).every((p) => p.body.data.length === 10));
        assert.ok(
          pages.every((p) => p.body.paging.page_item_limit === 0 && p.body.paging.total_item_count === 0),
        );
        for (const [i, page] of pages.entries()) {
          if (i === pages.length - 1) assert.equal('next' in page.body.paging, false);
          else assert.equal(page.body.paging.next, page.body.data[page.body.data.length - 1].triggered_at);
        }
      }
      assert.ok(
        truth.some((r) => !r.is_pipeline),
        `${app.title} has standalone builds in its pipeline list`,
      );
    }
  });

  test('an inclusive before (switch) repeats the boundary run at the top of the next page', async () => {
    const s = await startSandbox({
      seed: 5,
      now: NOW,
      clock: 'manual',
      bitrise: { pipelinesBefore: 'inclusive' },
    });
    try {
      const c = bitriseClient(s);
      const app = s.bitrise.world.apps()[0];
      const first = await c(`/apps/${app?.slug}/pipelines`);
      const second = await c(
        `/apps/${app?.slug}/pipelines?before=${encodeURIComponent(first.body.paging.next)}`,
      );
      assert.equal(second.body.data[0].slug, first.body.data[9].slug);
      assert.equal(second.body.data.length, 10);
    } finally {
      await s.close();
    }
  });

  test('pipeline list filters narrow to the matching runs', async () => {
    const app = sandbox.bitrise.world
      .apps()
      .find((a) => sandbox.bitrise.world.runs(a.slug).some((r) => r.is_pipeline));
    assert.ok(app);
    const truth = sandbox.bitrise.world.runs(app.slug);
    const pipelines = sandbox.bitrise.world.pipelines(app.slug);
    const mid = truth[Math.floor(truth.length / 2)];
    const name = pipelines[0]?.name;
    const branch = truth.find((r) => r.pull_request_id > 0)?.branch;
    assert.ok(mid && name && branch);
    const statusOf = new Map(pipelines.map((p) => [p.id, p.status]));
    const cases: [string, (r: Wire) => boolean][] = [
      [`pipeline=${name}`, (r) => r.is_pipeline],
      ['status=failed', (r) => (r.is_pipeline ? statusOf.get(r.slug) === 'failed' : r.status === 2)],
      [`branch=${encodeURIComponent(branch)}`, (r) => r.branch === branch],
      ['trigger_event_type=pull-request', (r) => r.pull_request_id > 0],
      [`after=${mid.triggered_at}`, (r) => r.triggered_at > mid.triggered_at],
      [`build_number=${mid.build_number}`, (r) => r.build_number === mid.build_number],
      ['build_environment=local', () => false],
    ];
    for (const [query, keep] of cases) {
      const { items } = await walk(call, `/apps/${app.slug}/pipelines?${query}&limit=50`, 'before');
      assert.deepEqual(slugs(items), slugs(truth.filter(keep)), query);
    }
  });

  test('pipeline show: stages or DAG workflows, each naming the build that ran it; wrapped by switch', async () => {
    for (const type of ['staged', 'dag']) {
      const found = sandbox.bitrise.world.pipelines().find((p) => p.status === 'failed' && p.type === type);
      assert.ok(found, `a failed ${type} pipeline`);
      const shown = await call(`/apps/${found.app.slug}/pipelines/${found.id}`);
      assert.equal(shown.status, 200);
      assert.equal(shown.body.id, found.id, 'unwrapped by default');
      const builds = sandbox.bitrise.world.builds(found.app.slug);
      const workflows: Wire[] = shown.body.workflows ?? shown.body.stages.flatMap((s: Wire) => s.workflows);
      assert.equal('stages' in shown.body, type === 'staged');
      for (const w of workflows) {
        if (w.status === 'skipped') {
          assert.deepEqual([w.external_id, w.started_at, w.credit_cost], ['', null, null]);
          continue;
        }
        const build = builds.find((b) => b.slug === w.external_id);
        assert.ok(build, 'external_id is a build slug');
        assert.equal(build.pipeline_workflow_id, w.id);
        assert.equal(build.triggered_workflow, w.name);
        assert.equal(build.build_number, found.number_in_app_scope);
      }
      assert.ok(workflows.some((w: Wire) => w.status === 'failed'));
    }
    const pipeline = sandbox.bitrise.world.pipelines()[0];
    assert.ok(pipeline);
    assert.equal(
      (await call(`/apps/${pipeline.app.slug}/pipelines/0f0e5f43-0000-4000-8000-000000000000`)).status,
      404,
    );
    const s = await startSandbox({ seed: 5, now: NOW, clock: 'manual', bitrise: { wrapPipelineShow: true } });
    try {
      const wrapped = await bitriseClient(s)(`/apps/${pipeline.app.slug}/pipelines/${pipeline.id}`);
      assert.equal(wrapped.body.data.id, pipeline.id);
    } finally {
      await s.close();
    }
  });

  test('standalone builds have an empty pipeline_workflow_id, or none by switch', async () => {
    const { app, build } = findBuild((b) => b.pipeline_workflow_id === '');
    const s = await startSandbox({
      seed: 5,
      now: NOW,
      clock: 'manual',
      bitrise: { standalonePipelineWorkflowId: 'absent' },
    });
    try {
      const shown = (await bitriseClient(s)(`/apps/${app}/builds/${build.slug}`)).body.data;
      assert.equal('pipeline_workflow_id' in shown, false);
    } finally {
      await s.close();
    }
  });

  test('/pipelines lists runs of every app with the repository', async () => {
    const reply = await call('/pipelines?limit=25');
    assert.equal(reply.body.data.length, 25);
    const apps = new Set(sandbox.bitrise.world.apps().map((a) => a.slug));
    assert.ok(reply.body.data.every((r: Wire) => apps.has(r.repository.slug)));
    const times = reply.body.data.map((r: Wire) => r.triggered_at);
    assert.deepEqual(times, [...times].sort().reverse());
  });
});
