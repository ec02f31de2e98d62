// Domain objects for store and sync tests: valid defaults, overridable per test.
import type {
  Classification,
  ClassifiedRun,
  Job,
  Project,
  RawPayload,
  RunStatus,
} from '../../src/domain/model.js';

/** The status a finished run of each class has. */
export const STATUS_OF: Record<Classification, RunStatus> = {
  success: 'succeeded',
  failure: 'failed',
  infra_failure: 'failed',
  aborted_manual: 'aborted',
  aborted_auto: 'aborted',
  skipped: 'skipped',
};

export function project(key: string, overrides: Partial<Project> = {}): Project {
  return { key, name: `App ${key}`, owner: 'acme', repoUrl: null, webUrl: null, ...overrides };
}

/** A finished, successful run triggered `minute` minutes after 2026-02-10T09:00Z (with microseconds). */
export function run(key: string, minute = 0, overrides: Partial<ClassifiedRun> = {}): ClassifiedRun {
  const at = new Date(Date.UTC(2026, 1, 10, 9, minute)).toISOString().replace('.000Z', '');
  return {
    key,
    projectKey: 'app1',
    kind: 'build',
    number: minute + 1,
    workflow: 'primary',
    branch: 'main',
    commitSha: 'abc123',
    message: 'Fix things',
    trigger: 'push',
    prId: null,
    tag: null,
    actor: 'dana',
    status: 'succeeded',
    providerStatus: '1',
    reason: null,
    abortedBy: null,
    triggeredAt: `${at}.123456Z`,
    startedAt: `${at.slice(0, 17)}20Z`,
    finishedAt: `${at.slice(0, 17)}50Z`,
    queueS: 19.876544,
    durationS: 25,
    setupS: 5,
    cost: 2.5,
    machine: 'g2.mac.medium',
    stack: 'osx-xcode-16',
    agentQueue: null,
    webUrl: `https://app.example/build/${key}`,
    classification: 'success',
    classifiedBy: 'default:succeeded',
    ...overrides,
  };
}

export function job(key: string, runKey: string, overrides: Partial<Job> = {}): Job {
  return {
    key,
    runKey,
    name: 'test',
    status: 'succeeded',
    providerStatus: 'passed',
    startedAt: '2026-02-10T09:00:20Z',
    finishedAt: '2026-02-10T09:00:50Z',
    queueS: 3,
    durationS: 30,
    agent: 'agent-1',
    machine: null,
    stack: null,
    agentQueue: null,
    exitStatus: 0,
    softFailed: false,
    retried: false,
    retryOf: null,
    cost: null,
    webUrl: null,
    reason: null,
    dependsOn: null,
    ...overrides,
  };
}

export function raw(kind: string, key: string, payload: unknown = { slug: key }): RawPayload {
  return { kind, key, payload };
}
