// The run page's waterfall layout, worked out by hand: queue before the start, setup up to the first step,
// work to the finish, all in seconds from the trigger; a Buildkite command job is its own only step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobRecord, RunRecord, StepRecord } from '../../web/src/api.js';
import { waterfall } from '../../web/src/waterfall.js';

const T = Date.UTC(2026, 1, 10, 9, 0, 0);
const at = (s: number) => new Date(T + s * 1000).toISOString();

const run = (overrides: Partial<RunRecord> = {}) =>
  ({
    key: 'r',
    workflow: 'primary',
    status: 'succeeded',
    triggered_at: at(0),
    started_at: at(120),
    finished_at: at(1020),
    queue_s: 120,
    web_url: null,
    ...overrides,
  }) as RunRecord;

const step = (key: string, job: string | null, position: number, from: number, to: number) =>
  ({
    key,
    job_key: job,
    name: key,
    position,
    status: 'succeeded',
    started_at: at(from),
    finished_at: at(to),
  }) as StepRecord;

const job = (key: string, from: number, to: number, queue: number, critical: boolean) =>
  ({
    key,
    name: key,
    status: 'succeeded',
    retried: false,
    on_critical_path: critical,
    started_at: at(from),
    finished_at: at(to),
    queue_s: queue,
    web_url: null,
  }) as JobRecord;

test('a Bitrise standalone build: the run is its lane, setup up to its first step, steps in order', () => {
  const fall = waterfall(run(), [], [step('clone', null, 0, 138, 200), step('build', null, 1, 200, 1020)]);
  assert.equal(fall.span, 1020);
  assert.deepEqual(
    fall.lanes.map((l) => [l.kind, l.name, l.queue, l.setup, l.work]),
    [
      ['job', 'primary', { from: 0, to: 120 }, { from: 120, to: 138 }, { from: 138, to: 1020 }],
      ['step', 'clone', null, null, { from: 138, to: 200 }],
      ['step', 'build', null, null, { from: 200, to: 1020 }],
    ],
  );
  assert.deepEqual(fall.criticalPath, []);
});

test('jobs: each with its queue and its own steps; a command job that is its own step gets no step lane', () => {
  const jobs = [
    job('lint', 10, 40, 10, false),
    job('test', 12, 300, 12, true),
    job('not yet', 0, 0, 0, false),
  ];
  jobs[2] = {
    ...(jobs[2] as JobRecord),
    started_at: null,
    finished_at: null,
    queue_s: null,
    status: 'queued',
  };
  const steps = [
    step('lint', 'lint', 0, 10, 40),
    step('unit', 'test', 0, 20, 200),
    step('ui', 'test', 1, 200, 300),
  ];
  const fall = waterfall(run({ finished_at: at(310) }), jobs, steps);
  assert.deepEqual(
    fall.lanes.map((l) => [l.kind, l.name, l.critical, l.queue, l.setup, l.work]),
    [
      ['job', 'lint', false, { from: 0, to: 10 }, null, { from: 10, to: 40 }],
      ['job', 'test', true, { from: 0, to: 12 }, { from: 12, to: 20 }, { from: 20, to: 300 }],
      ['step', 'unit', false, null, null, { from: 20, to: 200 }],
      ['step', 'ui', false, null, null, { from: 200, to: 300 }],
      ['job', 'not yet', false, null, null, null],
    ],
  );
  assert.equal(fall.span, 310);
  assert.deepEqual(fall.criticalPath, ['test']);
});
