// The critical path (DESIGN.md): DAG dependencies, stage order, Buildkite timing with a wait for a person as
// a gap, final executions only; and the worked example of docs/metrics.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { criticalPath, type PathJob } from '../../src/domain/critical-path.js';

/** A job running from minute `from` to minute `to` of 10:00 UTC. */
function job(key: string, from: number, to: number, overrides: Partial<PathJob> = {}): PathJob {
  const at = (minute: number) => new Date(Date.UTC(2026, 3, 3, 10, minute)).toISOString();
  return {
    key,
    name: key,
    startedAt: at(from),
    finishedAt: at(to),
    retried: false,
    dependsOn: null,
    ...overrides,
  };
}

test('DAG: each job’s predecessor is the dependency that finished last, not the one that ran longest', () => {
  // docs/metrics.md "Critical path": setup → (lint, unit, ui) → deploy.
  const jobs = [
    job('setup', 0, 2, { dependsOn: [] }),
    job('lint', 2, 4, { dependsOn: ['setup'] }),
    job('unit', 2, 9, { dependsOn: ['setup'] }),
    job('ui', 3, 11, { dependsOn: ['setup'] }),
    job('deploy', 11, 13, { dependsOn: ['lint', 'unit'] }),
  ];
  // deploy waited for lint and unit only: ui finished later but is not its dependency.
  assert.deepEqual(criticalPath(jobs), ['setup', 'unit', 'deploy']);
});

test('the path ends with the last-finishing job even when nothing depends on it', () => {
  const jobs = [job('a', 0, 5, { dependsOn: [] }), job('b', 0, 9, { dependsOn: [] })];
  assert.deepEqual(criticalPath(jobs), ['b']);
});

test('stage order is dependencies on the stage before', () => {
  const jobs = [
    job('build', 0, 4, { dependsOn: [] }),
    job('test-a', 4, 8, { dependsOn: ['build'] }),
    job('test-b', 4, 10, { dependsOn: ['build'] }),
    job('ship', 10, 12, { dependsOn: ['test-a', 'test-b'] }),
  ];
  assert.deepEqual(criticalPath(jobs), ['build', 'test-b', 'ship']);
});

test('Buildkite timing: the job that finished last before it started; a wait for a person stays a gap', () => {
  // Block step between minute 6 and 30: it is no job, so deploy's predecessor is the last job before it.
  const jobs = [
    job('build', 0, 3),
    job('specs', 3, 6),
    job('lint', 3, 5),
    job('deploy', 30, 33),
    // Running beside deploy: finished before deploy but started after it, so not its predecessor.
    job('notify', 31, 32),
  ];
  assert.deepEqual(criticalPath(jobs), ['build', 'specs', 'deploy']);
});

test('only final executions: a retried job is never on the path, its retry is', () => {
  const jobs = [
    job('build', 0, 3, { dependsOn: [] }),
    job('tests#1', 3, 7, { name: 'tests', retried: true, dependsOn: ['build'] }),
    job('tests#2', 7, 12, { name: 'tests', dependsOn: ['build'] }),
  ];
  assert.deepEqual(criticalPath(jobs), ['build', 'tests#2']);
});

test('jobs that never started or finished are not on it; an empty run has no path', () => {
  assert.deepEqual(criticalPath([]), []);
  assert.deepEqual(criticalPath([{ ...job('x', 0, 1), finishedAt: null }]), []);
  const jobs = [
    job('a', 0, 2, { dependsOn: [] }),
    { ...job('b', 2, 3, { dependsOn: ['a'] }), startedAt: null },
  ];
  assert.deepEqual(criticalPath(jobs), ['a']);
});

test('a dependency cycle or equal times cannot loop', () => {
  const jobs = [job('a', 0, 5, { dependsOn: ['b'] }), job('b', 0, 5, { dependsOn: ['a'] })];
  assert.equal(criticalPath(jobs).length, 2);
  const same = [job('x', 0, 0), job('y', 0, 0), job('z', 0, 0)];
  assert.equal(criticalPath(same).length, 3);
});
