// Pure normalization of Buildkite payloads: exact rows for the cases metrics depend on (blocked, canceled
// with and without a canceler, soft-failed, retried), both time formats, triggers and the state tables.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildStatus,
  normalizeBuild,
  normalizeJob,
  normalizePipeline,
} from '../../../src/connectors/buildkite/normalize.js';
import {
  type Build,
  build as buildSchema,
  type Job as WireJob,
} from '../../../src/connectors/buildkite/wire.js';
import type { Job, Run } from '../../../src/domain/model.js';

const PIPELINE = { key: 'p-1', name: 'Web <Frontend>' };
const API = 'https://api.buildkite.com/v2/organizations/acme/pipelines/web/builds';

function wireBuild(fields: Record<string, unknown>): Build {
  return buildSchema.parse({
    id: 'b-1',
    url: `${API}/42`,
    web_url: 'https://buildkite.com/acme/web/builds/42',
    number: 42,
    state: 'passed',
    blocked: false,
    cancel_reason: null,
    message: 'Fix <script>alert(1)</script>',
    commit: 'a'.repeat(40),
    branch: 'main',
    source: 'webhook',
    creator: { id: 'u-1', name: 'Jane Roe', email: 'jane@example.com' },
    jobs: [],
    created_at: '2026-03-10T10:00:00.250Z',
    started_at: '2026-03-10T10:00:30.750Z',
    finished_at: '2026-03-10T10:10:30.750Z',
    pull_request: null,
    ...fields,
  });
}

const wireJob = (fields: Record<string, unknown>): WireJob =>
  ({
    id: 'j-1',
    type: 'script',
    name: ':jest: Jest 1/4',
    step_key: 'jest',
    state: 'passed',
    web_url: 'https://buildkite.com/acme/web/builds/42#j-1',
    soft_failed: false,
    exit_status: 0,
    agent: { name: 'acme-default-3', hostname: 'ip-10-0-3.ec2.internal' },
    runnable_at: '2026-03-10T10:00:02.000Z',
    started_at: '2026-03-10T10:00:32.500Z',
    finished_at: '2026-03-10T10:04:02.500Z',
    retried: false,
    retried_in_job_id: null,
    retry_source: null,
    ...fields,
  }) as WireJob;

const baseRun: Run = {
  key: 'b-1',
  projectKey: 'p-1',
  kind: 'build',
  number: 42,
  workflow: 'Web <Frontend>',
  branch: 'main',
  commitSha: 'a'.repeat(40),
  message: 'Fix <script>alert(1)</script>',
  trigger: 'push',
  prId: null,
  tag: null,
  actor: 'Jane Roe',
  status: 'succeeded',
  providerStatus: 'passed',
  reason: null,
  abortedBy: null,
  triggeredAt: '2026-03-10T10:00:00.250Z',
  startedAt: '2026-03-10T10:00:30.750Z',
  finishedAt: '2026-03-10T10:10:30.750Z',
  queueS: 30.5,
  durationS: 600,
  setupS: null,
  cost: null,
  machine: null,
  stack: null,
  // No command jobs, so no queue.
  agentQueue: null,
  webUrl: 'https://buildkite.com/acme/web/builds/42',
};

describe('builds', () => {
  test('a passed build: duration is finished − started, queue is started − created', () => {
    assert.deepEqual(normalizeBuild(PIPELINE, wireBuild({})), { run: baseRun, jobs: [] });
  });

  test('blocked is authoritative: a blocked build keeps the state of what ran, and its duration runs to the block', () => {
    const { run } = normalizeBuild(PIPELINE, wireBuild({ state: 'passed', blocked: true }));
    assert.deepEqual(run, { ...baseRun, status: 'blocked', providerStatus: 'passed', durationS: 600 });
    const failing = normalizeBuild(
      PIPELINE,
      wireBuild({ state: 'failing', blocked: true, finished_at: null }),
    );
    assert.deepEqual(failing.run, {
      ...baseRun,
      status: 'blocked',
      providerStatus: 'failing',
      finishedAt: null,
      durationS: null,
    });
  });

  test('canceled by a person: aborted, with the reason and who canceled it', () => {
    const { run } = normalizeBuild(
      PIPELINE,
      wireBuild({
        state: 'canceled',
        cancel_reason: 'Wrong branch',
        canceled_by: { id: 'u-2', name: 'Li Wei' },
      }),
    );
    assert.deepEqual(run, {
      ...baseRun,
      status: 'aborted',
      providerStatus: 'canceled',
      reason: 'Wrong branch',
      abortedBy: 'Li Wei',
    });
  });

  test('canceled by the system, or by someone the API does not name: abortedBy is null', () => {
    const reason = 'Canceled automatically: superseded by a newer build on the same branch';
    for (const canceler of [{ canceled_by: null }, {}]) {
      const { run } = normalizeBuild(
        PIPELINE,
        wireBuild({ state: 'canceled', cancel_reason: reason, started_at: null, ...canceler }),
      );
      assert.deepEqual(run, {
        ...baseRun,
        status: 'aborted',
        providerStatus: 'canceled',
        reason,
        abortedBy: null,
        startedAt: null,
        queueS: null,
        durationS: null,
      });
    }
  });

  test('states map per §5.1', () => {
    const cases: [string, Run['status']][] = [
      ['creating', 'queued'],
      ['scheduled', 'queued'],
      ['running', 'running'],
      ['failing', 'running'],
      ['canceling', 'running'],
      ['passed', 'succeeded'],
      ['failed', 'failed'],
      ['canceled', 'aborted'],
      ['skipped', 'skipped'],
      ['not_run', 'skipped'],
      ['blocked', 'blocked'],
      ['something_new', 'unknown'],
    ];
    for (const [state, status] of cases) assert.equal(buildStatus({ state, blocked: false }), status, state);
  });

  test('triggers from source and pull request; PR ids as strings; {} is not a PR', () => {
    const trigger = (fields: Record<string, unknown>) => normalizeBuild(PIPELINE, wireBuild(fields)).run;
    assert.deepEqual(
      [
        trigger({ pull_request: { id: '17', base: 'main' } }).trigger,
        trigger({ pull_request: { id: 17 } }).prId,
      ],
      ['pull_request', '17'],
    );
    assert.equal(trigger({ pull_request: {} }).trigger, 'push');
    assert.equal(trigger({ source: 'ui' }).trigger, 'manual');
    assert.equal(trigger({ source: 'api' }).trigger, 'api');
    assert.equal(trigger({ source: 'trigger_job' }).trigger, 'api');
    assert.equal(trigger({ source: 'schedule' }).trigger, 'schedule');
    assert.equal(trigger({ creator: null, author: { name: 'Grace Ho' } }).actor, 'Grace Ho');
  });

  test('both time formats are read, and stored as RFC 3339', () => {
    const { run } = normalizeBuild(
      PIPELINE,
      wireBuild({
        created_at: '2026-03-10 10:00:00 UTC',
        started_at: '2026-03-10 10:00:30 UTC',
        finished_at: '2026-03-10T10:10:30.000Z',
      }),
    );
    assert.equal(run.triggeredAt, '2026-03-10T10:00:00Z');
    assert.equal(run.startedAt, '2026-03-10T10:00:30Z');
    assert.equal(run.queueS, 30);
    assert.equal(run.durationS, 600);
    assert.equal(buildSchema.safeParse({ ...wireBuild({}), created_at: '10/03/2026' }).success, false);
  });

  test('started rounded before created clamps queue time to 0', () => {
    const { run } = normalizeBuild(PIPELINE, wireBuild({ started_at: '2026-03-10T10:00:00.000Z' }));
    assert.equal(run.queueS, 0);
  });
});

describe('jobs', () => {
  const baseJob: Job = {
    key: 'j-1',
    runKey: 'b-1',
    name: ':jest: Jest 1/4',
    status: 'succeeded',
    providerStatus: 'passed',
    startedAt: '2026-03-10T10:00:32.500Z',
    finishedAt: '2026-03-10T10:04:02.500Z',
    queueS: 30.5,
    durationS: 210,
    agent: 'acme-default-3',
    machine: 'ip-10-0-3.ec2.internal',
    stack: null,
    agentQueue: 'default',
    exitStatus: 0,
    softFailed: false,
    retried: false,
    retryOf: null,
    cost: null,
    webUrl: 'https://buildkite.com/acme/web/builds/42#j-1',
    reason: null,
    dependsOn: null,
  };

  test('a soft-failed job counts as succeeded and keeps its exit status', () => {
    assert.deepEqual(normalizeJob('b-1', wireJob({ state: 'failed', soft_failed: true, exit_status: 1 })), {
      ...baseJob,
      providerStatus: 'failed',
      exitStatus: 1,
      softFailed: true,
    });
  });

  test('an automatic retry: the replaced job is retried, the new one points back at it', () => {
    const { jobs } = normalizeBuild(
      PIPELINE,
      wireBuild({
        jobs: [
          wireJob({ state: 'failed', exit_status: -1, retried: true, retried_in_job_id: 'j-2' }),
          wireJob({ id: 'j-2', retry_source: { job_id: 'j-1', retry_type: 'automatic' }, web_url: null }),
          { id: 'w-1', type: 'waiter', state: 'passed' },
          { id: 'm-1', type: 'manual', state: 'blocked', name: 'Deploy?' },
        ],
      }),
    );
    assert.deepEqual(jobs, [
      { ...baseJob, status: 'failed', providerStatus: 'failed', exitStatus: -1, retried: true },
      { ...baseJob, key: 'j-2', retryOf: 'j-1', webUrl: null },
    ]);
  });

  test('job states map per §5.2; jobs that never ran behind a failure are skipped', () => {
    const cases: [string, Job['status']][] = [
      ['waiting', 'queued'],
      ['scheduled', 'queued'],
      ['assigned', 'queued'],
      ['running', 'running'],
      ['timing_out', 'running'],
      ['failed', 'failed'],
      ['timed_out', 'failed'],
      ['expired', 'failed'],
      ['waiting_failed', 'skipped'],
      ['broken', 'skipped'],
      ['canceled', 'aborted'],
      ['a_state_added_later', 'unknown'],
    ];
    for (const [state, status] of cases) {
      const job = normalizeJob('b-1', wireJob({ state, finished_at: null }));
      assert.equal(job.status, status, state);
      assert.equal(job.durationS, null);
    }
  });
});

describe('agent queues', () => {
  const queuesOf = (jobs: Record<string, unknown>[]) => {
    const { run, jobs: normalized } = normalizeBuild(
      PIPELINE,
      wireBuild({ jobs: jobs.map((fields, i) => wireJob({ id: `j-${i + 1}`, ...fields })) }),
    );
    return { run: run.agentQueue, jobs: normalized.map((j) => j.agentQueue) };
  };

  test('one queue: every command job and the run are on it; trigger jobs run on no agent', () => {
    assert.deepEqual(
      queuesOf([
        { agent_query_rules: ['queue=macos'] },
        { agent_query_rules: ['arch=arm64', 'queue=macos'] },
        { type: 'trigger', name: 'Deploy', agent_query_rules: [] },
      ]),
      { run: 'macos', jobs: ['macos', 'macos', null] },
    );
  });

  test('mixed queues: the run takes the queue most of its command jobs use; a tie goes to the first', () => {
    assert.deepEqual(
      queuesOf([
        { agent_query_rules: ['queue=macos'] },
        { agent_query_rules: ['queue=linux-large', 'docker=true'] },
        { agent_query_rules: [] },
        { agent_query_rules: ['queue=linux-large'] },
      ]),
      { run: 'linux-large', jobs: ['macos', 'linux-large', 'default', 'linux-large'] },
    );
    assert.deepEqual(queuesOf([{ agent_query_rules: [] }, { agent_query_rules: ['queue=macos'] }]), {
      run: 'default',
      jobs: ['default', 'macos'],
    });
  });

  test('no queue rule (empty, absent, other tags only, or an empty value) is the default queue', () => {
    assert.deepEqual(
      queuesOf([
        { agent_query_rules: [] },
        {},
        { agent_query_rules: null },
        { agent_query_rules: ['docker=true'] },
        { agent_query_rules: ['queue='] },
      ]),
      { run: 'default', jobs: ['default', 'default', 'default', 'default', 'default'] },
    );
  });

  test('a job keeps why it was stopped or never ran', () => {
    assert.equal(
      normalizeJob('b-1', wireJob({ state: 'canceled', signal_reason: 'agent_stop' })).reason,
      'agent_stop',
    );
    assert.equal(
      normalizeJob('b-1', wireJob({ state: 'broken', broken_reason: 'branch_mismatch' })).reason,
      'branch_mismatch',
    );
  });
});

test('a pipeline is a project owned by its organization, with its default branch', () => {
  assert.deepEqual(
    normalizePipeline('acme', {
      id: 'p-1',
      slug: 'web',
      name: 'Web',
      repository: 'git@github.com:acme/web.git',
      web_url: 'https://buildkite.com/acme/web',
      default_branch: 'trunk',
    }),
    {
      key: 'p-1',
      name: 'Web',
      owner: 'acme',
      repoUrl: 'git@github.com:acme/web.git',
      webUrl: 'https://buildkite.com/acme/web',
      defaultBranch: 'trunk',
    },
  );
  // Absent or empty: none known (a Bitrise-like project, inferred from its runs).
  assert.equal(
    normalizePipeline('acme', { id: 'p-2', slug: 'api', name: 'API', default_branch: '' }).defaultBranch,
    null,
  );
});
