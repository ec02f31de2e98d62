// Every Bitrise response captured from a real account (../shared/reference/real-payloads/bitrise-2026-04,
// see its README), read as it is, normalized, and checked against values worked out by hand from the files.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { readItem } from '../../src/connectors/bitrise/api.js';
import { normalizeBuild, normalizePipeline } from '../../src/connectors/bitrise/normalize.js';
import {
  build,
  listPage,
  objectOf,
  pipelineListItem,
  pipelineShow,
} from '../../src/connectors/bitrise/wire.js';
import type { Job } from '../../src/domain/model.js';
import { REAL_BITRISE, realPayload } from './real-payloads.js';

const APP = '46b6b9a78a418ee8';

/** Files that are not an endpoint the connector reads, and why. */
const NOT_READ: Record<string, string> = {
  'get_build_steps.json': 'log/summary: steps are read by a later version (step-level metrics)',
  'list_build_workflows.json': 'build-workflows: the names come with the runs themselves',
};

test('every file of the capture is covered here or listed as not read', () => {
  const covered = ['get_build.json', 'list_builds.json', 'get_pipeline.json', 'list_pipelines.json'];
  assert.deepEqual(readdirSync(REAL_BITRISE).sort(), [...covered, ...Object.keys(NOT_READ)].sort());
});

test('get_build.json: a pipeline workflow build with whole-second times and a webhook-github actor', () => {
  const { data } = objectOf(build).parse(realPayload('get_build.json'));
  const run = normalizeBuild(APP, data);
  assert.equal(data.pipeline_workflow_id, '51a11b57-2091-4416-9e05-d36381438868');
  assert.deepEqual(run, {
    key: '7feee0a4-61f4-4eb6-a019-368cf9ac0d82',
    projectKey: APP,
    kind: 'build',
    number: 324524,
    workflow: 'ci-lint-be-zeitwerk',
    branch: 'ER-2664-ai-agent-activity-history',
    commitSha: '792bc8fceb86bb8390ecc420fb4e6759959792b1',
    message: '[ER-2664] AI agent activity history',
    trigger: 'pull_request',
    prId: '19170',
    tag: null,
    actor: 'balazsczap',
    status: 'succeeded',
    providerStatus: '1',
    reason: null,
    abortedBy: null,
    triggeredAt: '2026-04-03T17:28:24Z',
    startedAt: '2026-04-03T17:28:26Z',
    finishedAt: '2026-04-03T17:29:13Z',
    // 17:28:24 → 17:28:26; the environment was ready at once (setup 0); 17:28:26 → 17:29:13.
    queueS: 2,
    durationS: 47,
    setupS: 0,
    cost: 1,
    machine: 'g2.linux.medium',
    stack: 'linux-docker-android-22.04',
    agentQueue: null,
    webUrl: 'https://app.bitrise.io/build/7feee0a4-61f4-4eb6-a019-368cf9ac0d82',
  });
});

test('list_builds.json: three scheduled workflow builds of one pipeline number, UUID cursor', () => {
  const page = listPage.parse(realPayload('list_builds.json'));
  const runs = page.data.map((item) => {
    const read = readItem(build, 'build', item);
    assert.ok('item' in read);
    return { pipelineBuild: Boolean(read.item.pipeline_workflow_id), run: normalizeBuild(APP, read.item) };
  });
  assert.equal(page.paging?.next, 'd4aea743-5f69-4f01-86a0-33c5522be391');
  assert.deepEqual(
    runs.map(({ pipelineBuild, run }) => [
      pipelineBuild,
      run.number,
      run.trigger,
      run.actor,
      run.queueS,
      run.durationS,
      run.cost,
      run.machine,
    ]),
    [
      // 20:01:53 → 20:01:53 → 20:02:07; 20:00:49 → 20:00:50 → 20:01:39; 20:00:49 → 20:00:50 → 20:01:52.
      [true, 324527, 'schedule', null, 0, 14, 1, 'g2.linux.medium'],
      [true, 324527, 'schedule', null, 1, 49, 5, 'g2.linux.x-large'],
      [true, 324527, 'schedule', null, 1, 62, 10, 'g2.linux.x-large'],
    ],
  );
});

test('list_pipelines.json: zeroed counts, a time as next, a standalone build among the pipelines', () => {
  const page = listPage.parse(realPayload('list_pipelines.json'));
  const items = page.data.map((item) => {
    const read = readItem(pipelineListItem, 'pipeline', item);
    assert.ok('item' in read);
    return read.item;
  });
  assert.deepEqual(
    items.map((i) => [i.slug, i.is_pipeline, i.triggered_at]),
    [
      ['bba2d94a-a33b-4bf7-958a-f5304e419626', true, '2026-04-03T20:00:49.290956Z'],
      ['91abb499-5d9c-484d-a3c9-40557e72b790', true, '2026-04-03T18:00:53.634823Z'],
      ['0e3bcb8c-f2aa-4a1d-8399-f6d8cbca3466', false, '2026-04-03T17:27:47.302248Z'],
    ],
  );
  // The cursor is the last item's trigger time, not a slug.
  assert.equal(page.paging?.next, items[2]?.triggered_at);
});

test('get_pipeline.json: a DAG pipeline is one run with one job per workflow, the skipped one included', () => {
  const { run, jobs } = normalizePipeline(APP, pipelineShow.parse(realPayload('get_pipeline.json')));
  assert.deepEqual(
    [
      run.key,
      run.number,
      run.workflow,
      run.status,
      run.providerStatus,
      run.trigger,
      run.prId,
      run.tag,
      run.actor,
      run.branch,
      run.triggeredAt,
      run.startedAt,
      run.finishedAt,
      run.cost,
    ],
    [
      '6ce998c6-cd89-4972-b278-09277ee7e402',
      324524,
      'ci-pipeline',
      'failed',
      'failed',
      'pull_request',
      '19170',
      null,
      'balazsczap',
      'ER-2664-ai-agent-activity-history',
      '2026-04-03T17:27:33.012071Z',
      '2026-04-03T17:27:33.906013Z',
      '2026-04-03T17:31:07.424333Z',
      195,
    ],
  );
  // 17:27:33.012071 → 17:27:33.906013 → 17:31:07.424333, to the microsecond.
  assert.equal(run.queueS, 0.893942);
  assert.equal(run.durationS, 213.51832);

  assert.equal(jobs.length, 25);
  const count = (status: Job['status']) => jobs.filter((j) => j.status === status).length;
  assert.deepEqual([count('succeeded'), count('failed'), count('skipped')], [19, 5, 1]);
  assert.deepEqual(
    jobs
      .filter((j) => j.status === 'failed')
      .map((j) => j.name)
      .sort(),
    [
      'ci-build-assets-webpacker',
      'ci-lint-be-rubocop',
      'ci-rspec-shard_0',
      'ci-rspec-shard_1',
      'deploy-storybook',
    ],
  );
  // The workflows' credits add up to the pipeline's: 195.
  assert.equal(
    jobs.reduce((sum, j) => sum + (j.cost ?? 0), 0),
    195,
  );
  assert.ok(jobs.every((j) => j.runKey === run.key && !j.retried && j.retryOf === null));

  const byName = new Map(jobs.map((j) => [j.name, j]));
  assert.deepEqual(byName.get('check-permission-diffs'), {
    key: 'ec39b79e-657d-4195-9eb6-b19d7fee23a1',
    runKey: run.key,
    name: 'check-permission-diffs',
    status: 'skipped',
    providerStatus: 'skipped',
    startedAt: null,
    finishedAt: null,
    queueS: null,
    durationS: null,
    agent: null,
    machine: null,
    stack: null,
    agentQueue: null,
    exitStatus: null,
    softFailed: false,
    retried: false,
    retryOf: null,
    cost: null,
    webUrl: null,
    reason: null,
    dependsOn: ['ci-build-test-image'],
  } satisfies Job);
  // get_build.json is this job's build: same slug, same times.
  const zeitwerk = byName.get('ci-lint-be-zeitwerk');
  assert.deepEqual(
    [zeitwerk?.key, zeitwerk?.startedAt, zeitwerk?.finishedAt, zeitwerk?.durationS, zeitwerk?.dependsOn],
    [
      '7feee0a4-61f4-4eb6-a019-368cf9ac0d82',
      '2026-04-03T17:28:26Z',
      '2026-04-03T17:29:13Z',
      47,
      ['ci-build-test-image'],
    ],
  );
  // The first workflow has no depends_on at all: it waited for nothing.
  const first = byName.get('check-change-type');
  assert.deepEqual([first?.dependsOn, first?.durationS, first?.cost], [[], 25, 1]);
});
