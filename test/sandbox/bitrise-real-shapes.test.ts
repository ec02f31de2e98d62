// The Bitrise sandbox against reality: for each endpoint captured from a live account
// (../shared/reference/real-payloads/bitrise-2026-04), the sandbox's answers have the same field names and
// JSON types, recursively, except the differences listed with their reason in bitrise-shape-differences.json.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { realPayload } from '../connectors/real-payloads.js';
import { bitriseClient, type Reply } from './bitrise-client.js';
import { compareEndpoint, type DeliberateDifference, describe, readDeliberate } from './shapes.js';

const DELIBERATE = readDeliberate(join(import.meta.dirname, 'bitrise-shape-differences.json'));
const ENDPOINT = (file: string) => `bitrise-2026-04/${file}`;

let sandbox: Sandbox;
let call: ReturnType<typeof bitriseClient>;

before(async () => {
  sandbox = await startSandbox({ seed: 7, size: 'small', now: '2026-04-03T20:05:00Z', clock: 'manual' });
  call = bitriseClient(sandbox);
});
after(() => sandbox.close());

async function ok(path: string): Promise<Reply> {
  const reply = await call(path);
  assert.equal(reply.status, 200, `${path}: ${reply.text}`);
  return reply;
}

function assertSameShape(file: string, samples: unknown[]) {
  const { unexplained, stale } = compareEndpoint(ENDPOINT(file), realPayload(file), samples, DELIBERATE);
  assert.deepEqual(unexplained, [], `differences nobody listed:\n${describe(ENDPOINT(file), unexplained)}`);
  assert.deepEqual(stale, [] as DeliberateDifference[], 'listed differences that no longer occur');
}

const apps = () => sandbox.bitrise.world.apps();
/** The DAG app (Checkout Flutter) and a staged one (Acme Shop iOS). */
const appTitled = (title: string) => {
  const app = apps().find((a) => a.title === title);
  assert.ok(app, title);
  return app;
};

test('every deliberate difference names a captured endpoint and gives its reason', () => {
  const files = new Set([
    'get_build.json',
    'get_build_steps.json',
    'get_pipeline.json',
    'list_build_workflows.json',
    'list_builds.json',
    'list_pipelines.json',
  ]);
  for (const d of DELIBERATE) assert.ok(files.has(d.endpoint.replace('bitrise-2026-04/', '')), d.endpoint);
});

test('get_build.json: a current build of every kind has the live shape', async () => {
  const samples: unknown[] = [];
  for (const app of apps()) {
    const builds = sandbox.bitrise.world.builds(app.slug).filter((b) => b.machine_type_id !== undefined);
    const kinds = new Map<string, (typeof builds)[number]>();
    for (const b of builds.slice(0, 300)) kinds.set(`${b.status}:${Boolean(b.pipeline_workflow_id)}`, b);
    for (const b of kinds.values()) samples.push((await ok(`/apps/${app.slug}/builds/${b.slug}`)).body);
  }
  assertSameShape('get_build.json', samples);
});

test('list_builds.json: the first pages of each app', async () => {
  const samples = [];
  for (const app of apps()) samples.push((await ok(`/apps/${app.slug}/builds?limit=3`)).body);
  assertSameShape('list_builds.json', samples);
});

test('get_pipeline.json: DAG pipelines, with skipped workflows', async () => {
  const app = appTitled('Checkout Flutter');
  const shows = sandbox.bitrise.world.pipelines(app.slug).slice(0, 40);
  assert.ok(shows.some((p) => p.type === 'dag'));
  const samples = [];
  for (const p of shows) samples.push((await ok(`/apps/${app.slug}/pipelines/${p.id}`)).body);
  assertSameShape('get_pipeline.json', samples);
});

test('list_pipelines.json: pipelines and standalone builds, zeroed counts, a time as next', async () => {
  const samples = [];
  // Fifty a page: runs started by hand, which list their variables, are among them.
  for (const app of apps()) samples.push((await ok(`/apps/${app.slug}/pipelines?limit=50`)).body);
  assertSameShape('list_pipelines.json', samples);
});

test('list_build_workflows.json', async () => {
  const samples = [];
  for (const app of apps()) samples.push((await ok(`/apps/${app.slug}/build-workflows`)).body);
  assertSameShape('list_build_workflows.json', samples);
});

test('get_build_steps.json: log/summary of finished builds', async () => {
  const samples = [];
  for (const app of apps()) {
    const finished = sandbox.bitrise.world.builds(app.slug).filter((b) => b.status !== 0);
    for (const b of finished.slice(0, 5))
      samples.push((await ok(`/apps/${app.slug}/builds/${b.slug}/log/summary`)).body);
  }
  assertSameShape('get_build_steps.json', samples);
});

test('the sandbox mixes every real shape: legacy and current builds, DAG and staged pipelines, skips, reruns', () => {
  const world = sandbox.bitrise.world;
  const builds = world.builds();
  const legacy = builds.filter((b) => b.machine_type_id === undefined);
  const current = builds.filter((b) => b.machine_type_id !== undefined);
  assert.ok(legacy.length > 20 && current.length > 20, `${legacy.length} legacy, ${current.length} current`);
  // Older builds: 2017 shape, 16 hex characters, microseconds in triggered_at, the machine in stack_config_type.
  for (const b of legacy) {
    assert.match(b.slug, /^[0-9a-f]{16}$/);
    assert.match(b.triggered_at, /\.\d{6}Z$/);
    assert.equal(b.stack_config_type, 'standard1');
    assert.equal('credit_cost' in b || 'pipeline_workflow_id' in b, false);
  }
  // Current builds: UUIDs, whole seconds, webhook-github/<user> actors.
  for (const b of current) {
    assert.match(b.slug, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(b.triggered_at, /:\d{2}Z$/);
  }
  assert.ok(current.some((b) => /^webhook-github\/.+/.test(b.triggered_by ?? '')));
  const shows = world.pipelines();
  const workflowsOf = (p: (typeof shows)[number]) =>
    p.workflows ?? (p.stages ?? []).flatMap((s) => s.workflows);
  for (const kind of ['dag', 'staged']) {
    const ofKind = shows.filter((p) => p.type === kind);
    assert.ok(ofKind.length > 5, kind);
    assert.ok(
      ofKind.some((p) => workflowsOf(p).some((w) => w.status === 'skipped' && w.external_id === '')),
      `${kind}: a skipped workflow`,
    );
    assert.ok(
      ofKind.some((p) => p.attempts.length === 2 && p.attempts[0]?.status === 'failed'),
      `${kind}: a rerun after a failed attempt`,
    );
  }
  // A pipeline's workflow builds carry its number; a rerun pipeline's include its earlier attempt's build.
  for (const attempts of [1, 2]) {
    const p = shows.find(
      (show) => show.type === 'dag' && show.attempts.length === attempts && show.finished_at,
    );
    assert.ok(p, `a finished DAG pipeline with ${attempts} attempt(s)`);
    const numbered = world
      .builds(p.app.slug)
      .filter((b) => b.build_number === p.number_in_app_scope)
      .map((b) => b.slug);
    const shown = workflowsOf(p)
      .map((w) => w.external_id)
      .filter(Boolean);
    assert.equal(numbered.length, shown.length + attempts - 1);
    assert.ok(shown.every((slug) => numbered.includes(slug)));
  }
});
