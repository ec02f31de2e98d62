// The sandbox's Buildkite answers against the example bodies of Buildkite's REST API documentation
// (../shared/reference/real-payloads/buildkite-docs-2026-08): the same field names and JSON types, or a
// difference listed with its reason in buildkite-shape-differences.json. The sandbox serves builds only (the
// connector reads no jobs endpoint), so the job examples are compared with the jobs inside its builds,
// each job type with the example of that type.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { REAL_BUILDKITE, realPayload } from '../connectors/real-payloads.js';
import { compareEndpoint, type DeliberateDifference, describe, readDeliberate } from './shapes.js';

type Json = Record<string, unknown>;

const DELIBERATE = join(import.meta.dirname, 'buildkite-shape-differences.json');
let deliberate: DeliberateDifference[];
let sandbox: Sandbox;
/** Single-build answers, as `GET …/builds/{number}` serves them (pipeline expanded, retried jobs left out). */
let builds: Json[];

before(async () => {
  deliberate = readDeliberate(DELIBERATE);
  sandbox = await startSandbox({
    seed: 7,
    size: 'small',
    now: '2026-03-10T15:00:00Z',
    clock: 'manual',
    // One request per build: far past any rate limit on a clock that stands still.
    buildkite: { rateLimitPerOrg: 1_000_000, rateLimitPerUser: null },
  });
  const listed = sandbox.buildkite.world.builds(sandbox.buildkite.url);
  builds = [];
  for (const item of listed) {
    const response = await fetch(item.url as string, {
      headers: { Authorization: `Bearer ${sandbox.buildkite.token}` },
    });
    assert.equal(response.status, 200, item.url as string);
    builds.push((await response.json()) as Json);
  }
});

after(() => sandbox.close());

const jobsOf = (type: string, state?: string) =>
  builds.flatMap((b) => (b.jobs as Json[]).filter((j) => j.type === type && (!state || j.state === state)));

/** A build with only its script jobs: the example builds show no other job type. */
const withScriptJobs = (b: Json) => ({ ...b, jobs: (b.jobs as Json[]).filter((j) => j.type === 'script') });

function assertSameShape(endpoint: string, real: unknown, samples: unknown[]) {
  assert.ok(samples.length > 0, `${endpoint}: the sandbox has samples`);
  const { unexplained, stale } = compareEndpoint(
    `buildkite-docs-2026-08/${endpoint}`,
    real,
    samples,
    deliberate,
  );
  assert.equal(
    describe(endpoint, unexplained),
    '',
    'differences not listed in buildkite-shape-differences.json',
  );
  assert.deepEqual(stale, [], 'listed differences that no longer occur');
}

const real = (file: string) => realPayload(file, REAL_BUILDKITE);

test('get_build.json: a finished build as the single-build endpoint answers it', () => {
  const finished = builds.filter((b) => b.state === 'passed' || b.state === 'failed');
  assertSameShape('get_build.json', real('get_build.json'), finished.map(withScriptJobs));
});

test('cancel_build.json: a canceled build', () => {
  const canceled = builds.filter((b) => b.state === 'canceled');
  assertSameShape('cancel_build.json', real('cancel_build.json'), canceled.map(withScriptJobs));
});

test('get_job.json and list_jobs.json items: the script jobs of the builds', () => {
  const scripts = jobsOf('script', 'passed');
  assertSameShape('get_job.json', real('get_job.json'), scripts);
  const list = real('list_jobs.json') as { items: unknown[] };
  assertSameShape('list_jobs.json', list.items, [scripts]);
});

test('trigger_job.json: the trigger jobs that started their build', () => {
  assertSameShape('trigger_job.json', real('trigger_job.json'), jobsOf('trigger', 'passed'));
});

test('unblock_job.json: the block steps someone released', () => {
  assertSameShape('unblock_job.json', real('unblock_job.json'), jobsOf('manual', 'unblocked'));
});
