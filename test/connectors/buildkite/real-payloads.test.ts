// Every example body of Buildkite's REST API documentation (../shared/reference/real-payloads/
// buildkite-docs-2026-08, see its README), read as it is, normalized, and checked against values worked out
// by hand from the files. Their ids repeat across files, so each is read on its own.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { classifyJob, classifyRun } from '../../../src/classify/classify.js';
import { readBuild } from '../../../src/connectors/buildkite/api.js';
import { normalizeBuild, normalizeJob } from '../../../src/connectors/buildkite/normalize.js';
import { type Build, job as jobSchema } from '../../../src/connectors/buildkite/wire.js';
import type { Job, Run } from '../../../src/domain/model.js';
import { REAL_BUILDKITE, realPayload } from '../real-payloads.js';

const PIPELINE = { key: '849411f9-9e6d-4739-a0d8-e247088e9b52', name: 'Great Pipeline' };
const BUILD_ID = 'f62a1b4d-10f9-4790-bc1c-e2c3a0c80983';
const JOB_ID = 'b63254c0-3271-4a98-8270-7cfbd6c2f14e';
const payload = (file: string) => realPayload(file, REAL_BUILDKITE);

/** A build file read the way the connector reads a list item. */
function buildOf(file: string): Build {
  const item = readBuild(payload(file));
  assert.equal(item.problem, null, file);
  return item.build as Build;
}

/** The documentation's "Get a build" build with its jobs replaced by the given job files, as they are. */
function buildWithJobs(...files: string[]): Build {
  const raw = payload('get_build.json') as Record<string, unknown>;
  return readBuild({ ...raw, jobs: files.map(payload) }).build as Build;
}

const jobOf = (file: string) => normalizeJob(BUILD_ID, jobSchema.parse(payload(file)));

test('every file of the documentation examples is read here', () => {
  assert.deepEqual(readdirSync(REAL_BUILDKITE).sort(), [
    'cancel_build.json',
    'get_build.json',
    'get_job.json',
    'list_jobs.json',
    'trigger_job.json',
    'unblock_job.json',
  ]);
});

const run: Run = {
  key: BUILD_ID,
  projectKey: PIPELINE.key,
  kind: 'build',
  number: 2,
  workflow: 'Great Pipeline',
  branch: 'main',
  commitSha: 'abcd0b72a1e580e90712cdd9eb26d3fb41cd09c8',
  message: 'Bumping to version 0.2-beta.6',
  // source webhook, pull_request {}: a push.
  trigger: 'push',
  prId: null,
  tag: null,
  actor: 'Keith Pitt',
  status: 'succeeded',
  providerStatus: 'passed',
  reason: null,
  abortedBy: null,
  triggeredAt: '2015-05-09T21:05:59.874Z',
  startedAt: '2015-05-09T21:05:59.874Z',
  finishedAt: '2015-05-09T21:08:59.874Z',
  // Created and started at the same instant; 21:05:59.874 → 21:08:59.874.
  queueS: 0,
  durationS: 180,
  setupS: null,
  cost: null,
  machine: null,
  stack: null,
  // agent_query_rules ["*"] names no queue: the default one.
  agentQueue: 'default',
  webUrl: 'https://buildkite.com/my-great-org/my-pipeline/builds/2',
};

const rspec: Job = {
  key: JOB_ID,
  runKey: BUILD_ID,
  name: 'RSpec',
  status: 'succeeded',
  providerStatus: 'passed',
  startedAt: '2015-05-09T21:07:59.874Z',
  finishedAt: '2015-05-09T21:08:59.874Z',
  // Runnable 21:06:59.874, picked up a minute later, ran a minute.
  queueS: 60,
  durationS: 60,
  agent: 'my-agent',
  machine: 'localhost',
  stack: null,
  agentQueue: 'default',
  exitStatus: 0,
  softFailed: false,
  retried: false,
  // retry_source names the job this one retried (a manual retry).
  retryOf: '0194b92a-4d74-46bb-a1bf-61c73c5642af',
  cost: null,
  webUrl: `https://buildkite.com/my-great-org/my-pipeline/builds/2#${JOB_ID}`,
  reason: null,
  dependsOn: null,
};

test('get_build.json: a passed build with one script job that retried another', () => {
  const { run: got, jobs } = normalizeBuild(PIPELINE, buildOf('get_build.json'));
  assert.deepEqual(got, run);
  assert.deepEqual(jobs, [rspec]);
  assert.deepEqual(classifyRun(got), { classification: 'success', classifiedBy: 'default:succeeded' });
});

test('cancel_build.json: canceled with a reason and nobody named, so the system canceled it', () => {
  const { run: got, jobs } = normalizeBuild(PIPELINE, buildOf('cancel_build.json'));
  assert.deepEqual(got, {
    ...run,
    number: 1,
    status: 'aborted',
    providerStatus: 'canceled',
    reason: 'reason for a canceled build',
    // The example has no canceled_by: no person to name.
    abortedBy: null,
    finishedAt: '2015-05-09T21:05:59.874Z',
    // Created, started and finished in the same instant.
    durationS: 0,
    webUrl: 'https://buildkite.com/my-great-org/my-pipeline/builds/1',
  });
  assert.deepEqual(classifyRun(got), {
    classification: 'aborted_auto',
    classifiedBy: 'default:aborted-by-system',
  });
  // The example's job still says `scheduled` though it has times: kept as it says, queued and unclassified.
  assert.deepEqual(jobs, [
    {
      ...rspec,
      name: ':package:',
      status: 'queued',
      providerStatus: 'scheduled',
      durationS: null,
      retryOf: null,
      webUrl: `https://buildkite.com/my-great-org/my-pipeline/builds/1#${JOB_ID}`,
    },
  ]);
  assert.equal(classifyJob(jobs[0] as Job).classification, null);
});

const packageJob: Job = {
  ...rspec,
  name: ':package: Build',
  startedAt: '2015-05-09T21:06:05.000Z',
  finishedAt: '2015-05-09T21:06:20.000Z',
  // Runnable 21:06:00, started 21:06:05, finished 21:06:20.
  queueS: 5,
  durationS: 15,
  // No agent object (null) and no agent rules (an empty list): the default queue, no agent named.
  agent: null,
  machine: null,
  retryOf: null,
  webUrl: `https://buildkite.com/my-great-org/my-pipeline/builds/1#${JOB_ID}`,
};

test('get_job.json and every item of list_jobs.json: a script job without an agent', () => {
  assert.deepEqual(jobOf('get_job.json'), packageJob);
  const list = payload('list_jobs.json') as { items: unknown[]; links: { next: string } };
  assert.deepEqual(
    list.items.map((item) => normalizeJob(BUILD_ID, jobSchema.parse(item))),
    [packageJob],
  );
});

test('trigger_job.json: a trigger job is work (it waited for the triggered build), on no agent queue', () => {
  const trigger: Job = {
    ...rspec,
    name: 'Deploy to production',
    agent: null,
    machine: null,
    agentQueue: null,
    exitStatus: null,
    retryOf: null,
    webUrl: `https://buildkite.com/my-great-org/my-pipeline/builds/1#${JOB_ID}`,
  };
  assert.deepEqual(jobOf('trigger_job.json'), trigger);
  const { run: got, jobs } = normalizeBuild(PIPELINE, buildWithJobs('trigger_job.json'));
  assert.deepEqual(jobs, [trigger]);
  // No command job: the build ran on no queue.
  assert.equal(got.agentQueue, null);
});

test('unblock_job.json: a block step with only a label is a wait for a person, never a job', () => {
  const wire = jobSchema.parse(payload('unblock_job.json'));
  assert.equal(normalizeJob(BUILD_ID, wire).name, 'Deploy');
  const { run: got, jobs } = normalizeBuild(PIPELINE, buildWithJobs('get_job.json', 'unblock_job.json'));
  assert.deepEqual(jobs, [packageJob]);
  assert.equal(got.status, 'succeeded');
});
