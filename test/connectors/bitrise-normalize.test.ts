import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeApp, normalizeBuild, normalizePipeline } from '../../src/connectors/bitrise/normalize.js';
import { app, build, listOf, pipelineShow } from '../../src/connectors/bitrise/wire.js';
import type { Job, Run } from '../../src/domain/model.js';

const APP = '669403bffbe35909';

/** The aborted build of ci-apis.md §1.15: microseconds in triggered_at, whole seconds elsewhere. */
const abortedBuild = {
  slug: '9f2c41d07ab3e655',
  build_number: 42,
  status: 3,
  status_text: 'aborted',
  is_on_hold: false,
  abort_reason: 'User ci-bot requested to abort this build with reason: no changes in package',
  branch: 'main',
  tag: null,
  commit_hash: '3e5d0c2b9a8f7e6d5c4b3a29180716253443526a',
  commit_message: 'Bump deps',
  commit_view_url: 'https://github.com/acme/app/commit/3e5d0c2b9a8f7e6d5c4b3a29180716253443526a',
  pull_request_id: 0,
  pull_request_target_branch: null,
  pull_request_view_url: null,
  triggered_at: '2025-03-01T10:00:00.123456Z',
  started_on_worker_at: '2025-03-01T10:00:20Z',
  environment_prepare_finished_at: '2025-03-01T10:01:05Z',
  finished_at: '2025-03-01T10:01:30Z',
  triggered_by: 'webhook',
  triggered_workflow: 'primary',
  original_build_params: { branch: 'main', commit_hash: '3e5d0c2b9a8f7e6d5c4b3a29180716253443526a' },
  stack_identifier: 'linux-docker-android-22.04',
  machine_type_id: 'standard',
  credit_cost: 2,
  is_processed: true,
  is_status_sent: true,
  log_format: 'json',
  pipeline_workflow_id: '',
};

const expectedAborted: Run = {
  key: '9f2c41d07ab3e655',
  projectKey: APP,
  kind: 'build',
  number: 42,
  workflow: 'primary',
  branch: 'main',
  commitSha: '3e5d0c2b9a8f7e6d5c4b3a29180716253443526a',
  message: 'Bump deps',
  trigger: 'push',
  prId: null,
  tag: null,
  actor: null,
  status: 'aborted',
  providerStatus: '3',
  reason: 'User ci-bot requested to abort this build with reason: no changes in package',
  abortedBy: 'ci-bot',
  triggeredAt: '2025-03-01T10:00:00.123456Z',
  startedAt: '2025-03-01T10:00:20Z',
  finishedAt: '2025-03-01T10:01:30Z',
  queueS: 19.876544,
  durationS: 25,
  setupS: 45,
  cost: 2,
  machine: 'standard',
  stack: 'linux-docker-android-22.04',
  agentQueue: null,
  webUrl: 'https://app.bitrise.io/build/9f2c41d07ab3e655',
};

const runOf = (payload: Record<string, unknown>) => normalizeBuild(APP, build.parse(payload));

test('an aborted build keeps its times as sent and computes durations to the microsecond', () => {
  assert.deepEqual(runOf(abortedBuild), expectedAborted);
});

test('an on-hold build aborted before it started has a finish but no start: no queue, setup or duration', () => {
  const run = runOf({
    ...abortedBuild,
    abort_reason: 'Build was on hold for 30 days',
    started_on_worker_at: null,
    environment_prepare_finished_at: null,
    finished_at: '2025-03-31T10:00:00Z',
    credit_cost: null,
    machine_type_id: null,
    stack_identifier: null,
  });
  assert.deepEqual(run, {
    ...expectedAborted,
    reason: 'Build was on hold for 30 days',
    abortedBy: null,
    startedAt: null,
    finishedAt: '2025-03-31T10:00:00Z',
    queueS: null,
    durationS: null,
    setupS: null,
    cost: null,
    machine: null,
    stack: null,
    agentQueue: null,
  });
});

test('a start rounded down to whole seconds before a microsecond trigger clamps the queue at 0', () => {
  const run = runOf({
    ...abortedBuild,
    triggered_at: '2025-03-01T10:00:20.600000Z',
    started_on_worker_at: '2025-03-01T10:00:20Z',
  });
  assert.equal(run.queueS, 0);
  assert.equal(run.setupS, 45);
});

test('build status codes map per the state table, keeping the provider value', () => {
  const cases: [Record<string, unknown>, Run['status'], string][] = [
    [{ status: 0, is_on_hold: true, started_on_worker_at: null, finished_at: null }, 'queued', 'on-hold'],
    [
      { status: 0, is_on_hold: false, started_on_worker_at: null, finished_at: null },
      'queued',
      'in-progress',
    ],
    [{ status: 0, is_on_hold: false, finished_at: null }, 'running', 'in-progress'],
    [{ status: 1, abort_reason: null }, 'succeeded', '1'],
    [{ status: 2, abort_reason: null }, 'failed', '2'],
    [{ status: 3 }, 'aborted', '3'],
    [{ status: 4 }, 'aborted', '4'],
    // A code this version does not know: kept, with its value, as `unknown` (DESIGN.md).
    [{ status: 5 }, 'unknown', '5'],
  ];
  for (const [fields, status, providerStatus] of cases) {
    const run = runOf({ ...abortedBuild, ...fields });
    assert.deepEqual([run.status, run.providerStatus], [status, providerStatus], JSON.stringify(fields));
  }
});

test('a running build has no duration yet', () => {
  const run = runOf({ ...abortedBuild, status: 0, abort_reason: null, finished_at: null });
  assert.deepEqual(
    [run.status, run.durationS, run.setupS, run.reason, run.abortedBy],
    ['running', null, 45, null, null],
  );
});

test('triggers: pull request and tag first, then triggered_by', () => {
  const pr = runOf({ ...abortedBuild, pull_request_id: 32, triggered_by: 'webhook' });
  assert.deepEqual([pr.trigger, pr.prId, pr.tag], ['pull_request', '32', null]);
  const tag = runOf({ ...abortedBuild, tag: 'v1.0', triggered_by: 'webhook' });
  assert.deepEqual([tag.trigger, tag.prId, tag.tag], ['tag', null, 'v1.0']);
  const by = (triggered_by: string | null) => runOf({ ...abortedBuild, triggered_by }).trigger;
  const manual = runOf({ ...abortedBuild, triggered_by: 'manual-jane' });
  assert.deepEqual([manual.trigger, manual.actor], ['manual', 'jane']);
  assert.equal(runOf({ ...abortedBuild, triggered_by: 'webhook' }).actor, null);
  assert.equal(by('webhook'), 'push');
  assert.equal(by('schedule'), 'schedule');
  assert.equal(by('manual'), 'manual');
  assert.equal(by('manual-jane'), 'manual');
  assert.equal(by('curl'), 'api');
  assert.equal(by('api-token'), 'api');
  assert.equal(by(null), 'api');
});

test('wire: only ids, number, status and triggered time are required; other fields read as null', () => {
  assert.equal(
    build.parse({ ...abortedBuild, brand_new_field: { x: 1 } }).brand_new_field !== undefined,
    true,
  );
  assert.equal(build.safeParse({ ...abortedBuild, status: 5 }).success, true);
  for (const required of ['slug', 'build_number', 'status', 'triggered_at']) {
    const { [required]: _, ...without } = abortedBuild as Record<string, unknown>;
    assert.equal(build.safeParse(without).success, false, `without ${required}`);
  }
  assert.equal(build.safeParse({ ...abortedBuild, build_number: '42' }).success, false);
  assert.equal(build.safeParse({ ...abortedBuild, triggered_at: null }).success, false);
  assert.equal(build.safeParse({ ...abortedBuild, triggered_at: 'yesterday' }).success, false);
  // Everything else: absent, null or of another type is null, and the run is still read.
  const odd = build.parse({
    ...abortedBuild,
    finished_at: 'yesterday',
    branch: 42,
    credit_cost: 'free',
    machine_type_id: { name: 'standard' },
    is_on_hold: 'no',
    pull_request_id: [1],
    triggered_workflow: null,
    stack_identifier: undefined,
  });
  const run = normalizeBuild(APP, odd);
  assert.deepEqual(
    [run.finishedAt, run.branch, run.cost, run.machine, run.prId, run.workflow, run.stack, run.durationS],
    [null, null, null, null, null, '(unnamed)', null, null],
  );
  const bare = normalizeBuild(
    APP,
    build.parse({ slug: 'b1', build_number: 1, status: 1, triggered_at: '2026-04-03T17:28:24Z' }),
  );
  assert.deepEqual(
    [bare.status, bare.trigger, bare.machine, bare.cost, bare.queueS, bare.finishedAt],
    ['succeeded', 'api', null, null, null, null],
  );
  const list = listOf(build).parse({
    data: [abortedBuild],
    paging: { total_item_count: 19, page_item_limit: 50 },
  });
  assert.equal(list.paging?.next, undefined);
});

test('older builds name their machine in stack_config_type; machine_type_id wins when both are given', () => {
  const { machine_type_id, credit_cost, ...legacy } = abortedBuild;
  const old = runOf({ ...legacy, stack_config_type: 'standard1' });
  assert.deepEqual([old.machine, old.cost], ['standard1', null]);
  assert.equal(runOf({ ...abortedBuild, stack_config_type: 'standard1' }).machine, 'standard');
});

test('triggered_by names the actor after the source: webhook-github/<user>, manual-<user>', () => {
  const of = (triggered_by: string | null) => {
    const run = runOf({ ...abortedBuild, triggered_by });
    return [run.trigger, run.actor];
  };
  assert.deepEqual(of('webhook-github/balazsczap'), ['push', 'balazsczap']);
  assert.deepEqual(of('webhook-gitlab/jane.doe'), ['push', 'jane.doe']);
  assert.deepEqual(of('webhook'), ['push', null]);
  assert.deepEqual(of('manual-jane'), ['manual', 'jane']);
  assert.deepEqual(of('schedule'), ['schedule', null]);
  assert.deepEqual(of('curl'), ['api', null]);
  assert.deepEqual(of(null), ['api', null]);
  const pr = runOf({ ...abortedBuild, triggered_by: 'webhook-github/balazsczap', pull_request_id: 19170 });
  assert.deepEqual([pr.trigger, pr.actor, pr.prId], ['pull_request', 'balazsczap', '19170']);
});

test('an app becomes a project', () => {
  const project = normalizeApp(
    app.parse({
      slug: APP,
      title: 'Acme iOS',
      project_type: 'ios',
      provider: 'github',
      repo_owner: 'acme',
      repo_slug: 'ios',
      repo_url: 'git@github.com:acme/ios.git',
      is_disabled: false,
      owner: { account_type: 'organization', name: 'Acme', slug: 'e1f2a3b4c5d6e7f8' },
    }),
  );
  assert.deepEqual(project, {
    key: APP,
    name: 'Acme iOS',
    owner: 'e1f2a3b4c5d6e7f8',
    repoUrl: 'git@github.com:acme/ios.git',
    webUrl: `https://app.bitrise.io/app/${APP}`,
  });
});

/** Pipeline show per §2.2: a two-stage pipeline, aborted with success during its second stage. */
const pipeline = {
  id: '7c0b5d3e-2a41-4f7e-9d2c-1b3a4c5d6e7f',
  name: 'ci',
  number_in_app_scope: 7,
  status: 'succeeded_with_abort',
  abort_reason: 'User jane requested to abort this build with reason: superseded',
  triggered_at: '2025-03-02T08:00:00.250000Z',
  put_on_hold_at: null,
  started_at: '2025-03-02T08:00:05Z',
  finished_at: '2025-03-02T08:12:35Z',
  triggered_by: 'webhook',
  credit_cost: 14,
  current_attempt_id: 'a1',
  app: { slug: APP },
  trigger_params: {
    branch: 'feature/x',
    branch_dest: 'main',
    commit_hash: 'abc123',
    commit_message: 'Add login',
    pull_request_id: '12',
    tag: '',
    environments: [],
  },
  attempts: [
    {
      id: 'a1',
      number_in_pipeline_build_scope: 1,
      status: 'succeeded_with_abort',
      triggered_at: '2025-03-02T08:00:00Z',
    },
  ],
  stages: [
    {
      id: 's1',
      name: 'build',
      workflows: [
        {
          id: 'w1',
          name: 'build-ios',
          external_id: 'aaaa000000000001',
          status: 'succeeded',
          started_at: '2025-03-02T08:00:05Z',
          finished_at: '2025-03-02T08:06:45Z',
          credit_cost: 8,
          startFailureReason: '',
        },
      ],
    },
    {
      id: 's2',
      name: 'test',
      workflows: [
        {
          id: 'w2',
          name: 'ui-tests',
          external_id: 'aaaa000000000002',
          status: 'aborted',
          started_at: '2025-03-02T08:06:50Z',
          finished_at: '2025-03-02T08:12:35Z',
          credit_cost: 6,
          startFailureReason: 'Build start failed: no machine available',
        },
        {
          id: 'w3',
          name: 'lint',
          external_id: '',
          status: 'aborted',
          started_at: null,
          finished_at: null,
          credit_cost: null,
        },
      ],
    },
  ],
};

const expectedJob = (fields: Partial<Job>): Job => ({
  key: '',
  runKey: pipeline.id,
  name: '',
  status: 'succeeded',
  providerStatus: '',
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
  dependsOn: [],
  ...fields,
});

test('a staged pipeline is one run, its workflows are its jobs, each waiting for the stage before', () => {
  const { run, jobs } = normalizePipeline(APP, pipelineShow.parse(pipeline));
  assert.deepEqual(run, {
    key: pipeline.id,
    projectKey: APP,
    kind: 'pipeline',
    number: 7,
    workflow: 'ci',
    branch: 'feature/x',
    commitSha: 'abc123',
    message: 'Add login',
    trigger: 'pull_request',
    prId: '12',
    tag: null,
    actor: null,
    status: 'aborted',
    providerStatus: 'succeeded_with_abort',
    reason: 'User jane requested to abort this build with reason: superseded',
    abortedBy: 'jane',
    triggeredAt: '2025-03-02T08:00:00.250000Z',
    startedAt: '2025-03-02T08:00:05Z',
    finishedAt: '2025-03-02T08:12:35Z',
    queueS: 4.75,
    durationS: 750,
    setupS: null,
    cost: 14,
    machine: null,
    stack: null,
    agentQueue: null,
    webUrl: `https://app.bitrise.io/app/${APP}/pipelines/${pipeline.id}`,
  } satisfies Run);
  assert.deepEqual(jobs, [
    expectedJob({
      key: 'aaaa000000000001',
      name: 'build-ios',
      status: 'succeeded',
      providerStatus: 'succeeded',
      startedAt: '2025-03-02T08:00:05Z',
      finishedAt: '2025-03-02T08:06:45Z',
      durationS: 400,
      cost: 8,
      webUrl: 'https://app.bitrise.io/build/aaaa000000000001',
    }),
    expectedJob({
      key: 'aaaa000000000002',
      name: 'ui-tests',
      status: 'aborted',
      providerStatus: 'aborted',
      startedAt: '2025-03-02T08:06:50Z',
      finishedAt: '2025-03-02T08:12:35Z',
      durationS: 345,
      cost: 6,
      webUrl: 'https://app.bitrise.io/build/aaaa000000000002',
      // The job's own reason; an empty one (build-ios) is none.
      reason: 'Build start failed: no machine available',
      dependsOn: ['build-ios'],
    }),
    // Never started in a finished pipeline: a job without a build, known by its workflow id.
    expectedJob({
      key: 'w3',
      name: 'lint',
      status: 'aborted',
      providerStatus: 'aborted',
      dependsOn: ['build-ios'],
    }),
  ]);
});

test('pipeline show is read whether or not it is wrapped in data', () => {
  assert.deepEqual(pipelineShow.parse({ data: pipeline }), pipelineShow.parse(pipeline));
  // A status this version does not know is read, and normalized as `unknown` with its value kept.
  const { run } = normalizePipeline(APP, pipelineShow.parse({ ...pipeline, status: 'exploded' }));
  assert.deepEqual([run.status, run.providerStatus], ['unknown', 'exploded']);
});

test('a running pipeline on hold: queued, no start, no duration; tag trigger from trigger params', () => {
  const { run, jobs } = normalizePipeline(
    APP,
    pipelineShow.parse({
      ...pipeline,
      status: 'on_hold',
      abort_reason: null,
      started_at: null,
      finished_at: null,
      credit_cost: null,
      trigger_params: { branch: null, commit_hash: 'abc123', tag: 'v2.0', pull_request_id: 0 },
      stages: [],
    }),
  );
  assert.deepEqual(
    [
      run.status,
      run.providerStatus,
      run.queueS,
      run.durationS,
      run.trigger,
      run.tag,
      run.prId,
      run.cost,
      run.reason,
    ],
    ['queued', 'on_hold', null, null, 'tag', 'v2.0', null, null, null],
  );
  assert.deepEqual(jobs, []);
});

test('a rerun pipeline: its outcome is the latest attempt’s; earlier attempts’ builds are retried jobs', () => {
  const workflow = (name: string, slug: string, status: string, dependsOn?: string[]) => ({
    id: `wf-${name}-${slug}`,
    name,
    external_id: slug,
    status,
    started_at: '2025-03-02T09:00:00Z',
    finished_at: '2025-03-02T09:10:00Z',
    credit_cost: 4,
    startFailureReason: '',
    ...(dependsOn ? { depends_on: dependsOn } : {}),
  });
  const show = pipelineShow.parse({
    ...pipeline,
    type: 'dag',
    status: 'succeeded',
    abort_reason: '',
    stages: undefined,
    attempts: [
      { id: 'a1', number_in_pipeline_build_scope: 1, status: 'failed', triggered_at: '2025-03-02T08:00:00Z' },
      {
        id: 'a2',
        number_in_pipeline_build_scope: 2,
        status: 'succeeded',
        triggered_at: '2025-03-02T08:30:00Z',
      },
    ],
    current_attempt_id: 'a2',
    // A partial rebuild: the build kept its first build, the tests ran again.
    workflows: [workflow('build', 'b-1', 'succeeded'), workflow('tests', 't-3', 'succeeded', ['build'])],
  });
  const earlierBuild = (slug: string, status: number, triggeredAt: string) =>
    build.parse({
      ...abortedBuild,
      slug,
      status,
      abort_reason: null,
      build_number: 7,
      triggered_workflow: 'tests',
      triggered_at: triggeredAt,
      started_on_worker_at: '2025-03-02T08:05:00Z',
      finished_at: '2025-03-02T08:09:00Z',
      pipeline_workflow_id: 'wf-tests-old',
    });
  const earlier = [
    earlierBuild('t-2', 2, '2025-03-02T08:20:00Z'),
    earlierBuild('t-1', 2, '2025-03-02T08:00:01Z'),
    // The current attempt's builds come back from the builds list too: they are not earlier executions.
    earlierBuild('t-3', 1, '2025-03-02T08:30:01Z'),
  ];
  const { run, jobs } = normalizePipeline(APP, show, earlier);
  assert.deepEqual([run.status, run.providerStatus], ['succeeded', 'succeeded']);
  assert.deepEqual(
    jobs.map((j) => [j.key, j.name, j.status, j.retried, j.retryOf, j.durationS, j.dependsOn]),
    [
      ['t-1', 'tests', 'failed', true, null, 240, null],
      ['t-2', 'tests', 'failed', true, 't-1', 240, null],
      ['b-1', 'build', 'succeeded', false, null, 600, []],
      ['t-3', 'tests', 'succeeded', false, 't-2', 600, ['build']],
    ],
  );
});

test('a workflow still waiting in a running pipeline is not a job yet; a skipped one is', () => {
  const { jobs } = normalizePipeline(
    APP,
    pipelineShow.parse({
      ...pipeline,
      status: 'running',
      finished_at: null,
      stages: undefined,
      workflows: [
        {
          id: 'w1',
          name: 'build',
          external_id: 'b-1',
          status: 'running',
          started_at: '2025-03-02T08:00:05Z',
        },
        { id: 'w2', name: 'deploy', external_id: '', status: 'on_hold', depends_on: ['build'] },
        { id: 'w3', name: 'docs', external_id: '', status: 'skipped', depends_on: ['build'] },
        'not a workflow',
      ],
    }),
  );
  assert.deepEqual(
    jobs.map((j) => [j.key, j.status]),
    [
      ['b-1', 'running'],
      ['w3', 'skipped'],
    ],
  );
});
