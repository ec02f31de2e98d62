import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClassificationRule,
  classifyJob,
  classifyRun,
  DEFAULT_JOB_RULES,
  DEFAULT_RULES,
  needsLog,
} from '../../src/classify/classify.js';
import type { Job, Run } from '../../src/domain/model.js';

function run(overrides: Partial<Run>): Run {
  return {
    key: 'b1',
    projectKey: 'app1',
    kind: 'build',
    number: 1,
    workflow: 'primary',
    branch: 'main',
    commitSha: null,
    message: null,
    trigger: 'push',
    prId: null,
    tag: null,
    actor: null,
    status: 'succeeded',
    providerStatus: 'success',
    reason: null,
    abortedBy: null,
    triggeredAt: '2026-02-10T09:00:00Z',
    startedAt: '2026-02-10T09:00:05Z',
    finishedAt: '2026-02-10T09:10:00Z',
    queueS: 5,
    durationS: 595,
    setupS: null,
    cost: null,
    machine: null,
    stack: null,
    agentQueue: null,
    webUrl: null,
    ...overrides,
  };
}

const aborted = (reason: string | null, abortedBy: string | null = null) =>
  run({ status: 'aborted', providerStatus: 'aborted', reason, abortedBy });

describe('default classification rules', () => {
  const cases: { rule: string; run: Run; expected: string }[] = [
    { rule: 'default:succeeded', run: run({}), expected: 'success' },
    { rule: 'default:failed', run: run({ status: 'failed', providerStatus: 'error' }), expected: 'failure' },
    {
      rule: 'default:blocked-after-failure',
      // A job hard-failed before the block: Buildkite keeps the state `failing` while the build waits.
      run: run({ status: 'blocked', providerStatus: 'failing', finishedAt: null, durationS: null }),
      expected: 'failure',
    },
    {
      rule: 'default:blocked',
      run: run({ status: 'blocked', providerStatus: 'passed' }),
      expected: 'success',
    },
    {
      rule: 'default:skipped',
      // Buildkite not_run: skipped builds may have no finish time and are still final.
      run: run({
        status: 'skipped',
        providerStatus: 'not_run',
        startedAt: null,
        finishedAt: null,
        queueS: null,
      }),
      expected: 'skipped',
    },
    {
      rule: 'default:no-changes',
      run: aborted('User ci-bot requested to abort this build with reason: no changes in package', 'ci-bot'),
      expected: 'skipped',
    },
    {
      rule: 'default:superseded',
      run: aborted('Aborted by Rolling Builds: a newer build was triggered for this branch'),
      expected: 'aborted_auto',
    },
    { rule: 'default:timed-out', run: aborted('Build timed out after 90 minutes'), expected: 'aborted_auto' },
    {
      rule: 'default:hold-expired',
      run: aborted('Build was on hold for 30 days and was aborted automatically'),
      expected: 'aborted_auto',
    },
    {
      rule: 'default:aborted-with-success',
      // Bitrise status 4: only the API sets it, so the named user is the token's, not a person clicking.
      run: run({
        status: 'aborted',
        providerStatus: '4',
        reason: 'User ci-bot requested to abort this build with reason: handled elsewhere',
        abortedBy: 'ci-bot',
      }),
      expected: 'aborted_auto',
    },
    {
      rule: 'default:aborted-by-person',
      run: aborted('User alice requested to abort this build with reason: wrong config', 'alice'),
      expected: 'aborted_manual',
    },
    { rule: 'default:aborted-by-system', run: aborted(null), expected: 'aborted_auto' },
  ];

  it('has one case here for every default rule', () => {
    assert.deepEqual(
      cases.map((c) => c.rule),
      DEFAULT_RULES.map((r) => r.name),
    );
  });

  for (const c of cases) {
    it(`${c.rule} → ${c.expected}`, () => {
      assert.deepEqual(classifyRun(c.run), { classification: c.expected, classifiedBy: c.rule });
    });
  }
});

describe('classifyRun', () => {
  it('leaves unfinished runs unclassified whatever their status says', () => {
    for (const status of ['queued', 'running', 'succeeded'] as const) {
      assert.deepEqual(classifyRun(run({ status, finishedAt: null, durationS: null })), {
        classification: null,
        classifiedBy: null,
      });
    }
  });

  it('classifies a blocked run from what ran before the block, with or without a finish time', () => {
    for (const finishedAt of ['2026-02-10T09:10:00Z', null]) {
      for (const [providerStatus, expected] of [
        ['passed', 'success'],
        ['failed', 'failure'],
        ['failing', 'failure'],
      ] as const) {
        const blocked = run({ status: 'blocked', providerStatus, finishedAt });
        assert.equal(classifyRun(blocked).classification, expected, `${providerStatus} ${finishedAt}`);
      }
    }
  });

  it('never classifies an unknown status, not even by a user rule that matches everything', () => {
    const all: ClassificationRule = {
      name: 'user:all',
      matches: () => true,
      matchesJob: () => true,
      classification: 'failure',
    };
    const unknown = run({ status: 'unknown', providerStatus: 'new_state' });
    assert.deepEqual(classifyRun(unknown, [all, ...DEFAULT_RULES]), {
      classification: null,
      classifiedBy: null,
    });
    assert.equal(needsLog(unknown, [{ ...all, logMarker: /x/ }]), false);
    assert.deepEqual(classifyJob(job({ status: 'unknown', providerStatus: 'new_state' }), [all]), {
      classification: null,
      classifiedBy: null,
    });
  });

  it('does not read abort reasons of runs that were not aborted', () => {
    const failed = run({ status: 'failed', reason: 'no changes; timed out' });
    assert.equal(classifyRun(failed).classification, 'failure');
  });

  it('uses the first matching rule, so user rules placed first win over defaults', () => {
    const infra: ClassificationRule = {
      name: 'user:agent-lost',
      matches: (r) => r.status === 'failed' && /agent lost/i.test(r.reason ?? ''),
      classification: 'infra_failure',
    };
    const lost = run({ status: 'failed', reason: 'Agent lost' });
    assert.deepEqual(classifyRun(lost, [infra, ...DEFAULT_RULES]), {
      classification: 'infra_failure',
      classifiedBy: 'user:agent-lost',
    });
    assert.equal(classifyRun(lost).classification, 'failure');
  });
});

describe('log markers', () => {
  const oom: ClassificationRule = {
    name: 'oom',
    matches: (r) => r.status === 'failed',
    logMarker: /out of memory/i,
    classification: 'infra_failure',
  };
  const failed = run({ status: 'failed', providerStatus: '2' });
  const rules = [oom, ...DEFAULT_RULES];

  it('match only on the log text given', () => {
    assert.deepEqual(classifyRun(failed, rules, { log: 'step 3: Out Of Memory' }), {
      classification: 'infra_failure',
      classifiedBy: 'oom',
    });
    assert.equal(classifyRun(failed, rules, { log: 'tests failed' }).classifiedBy, 'default:failed');
  });

  it('never match a log that was not fetched', () => {
    assert.equal(classifyRun(failed, rules, {}).classifiedBy, 'default:failed');
  });

  it('ask for the log only when such a rule could decide the run', () => {
    assert.equal(needsLog(failed, rules), true);
    assert.equal(needsLog(run({}), rules), false, 'a success is settled by a rule without a marker');
    assert.equal(needsLog(run({ finishedAt: null }), rules), false, 'unfinished runs are not classified');
    const first: ClassificationRule = { name: 'all-failed', matches: () => true, classification: 'failure' };
    assert.equal(needsLog(failed, [first, ...rules]), false, 'an earlier rule without a marker wins');
  });
});

function job(overrides: Partial<Job>): Job {
  return {
    key: 'j1',
    runKey: 'b1',
    name: 'test',
    status: 'succeeded',
    providerStatus: 'passed',
    startedAt: '2026-02-10T09:00:05Z',
    finishedAt: '2026-02-10T09:05:00Z',
    queueS: 1,
    durationS: 295,
    agent: null,
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

describe('job classification', () => {
  const cases: { rule: string; job: Job; expected: string }[] = [
    // Normalized as succeeded (it does not fail its build), yet the job itself failed.
    {
      rule: 'default:soft-failed',
      job: job({ providerStatus: 'failed', softFailed: true, exitStatus: 1 }),
      expected: 'failure',
    },
    { rule: 'default:succeeded', job: job({}), expected: 'success' },
    {
      rule: 'default:timed-out',
      job: job({ status: 'failed', providerStatus: 'timed_out' }),
      expected: 'aborted_auto',
    },
    {
      rule: 'default:expired',
      job: job({ status: 'failed', providerStatus: 'expired', startedAt: null }),
      expected: 'aborted_auto',
    },
    { rule: 'default:failed', job: job({ status: 'failed', providerStatus: 'failed' }), expected: 'failure' },
    {
      rule: 'default:skipped',
      job: job({ status: 'skipped', providerStatus: 'broken', finishedAt: null }),
      expected: 'skipped',
    },
    {
      rule: 'default:canceled',
      job: job({ status: 'aborted', providerStatus: 'canceled' }),
      expected: 'aborted_auto',
    },
  ];

  it('has one case here for every default job rule', () => {
    assert.deepEqual(
      cases.map((c) => c.rule),
      DEFAULT_JOB_RULES.map((r) => r.name),
    );
  });

  for (const c of cases) {
    it(`${c.rule} → ${c.expected}`, () => {
      assert.deepEqual(classifyJob(c.job), { classification: c.expected, classifiedBy: c.rule });
    });
  }

  it('leaves running jobs unclassified', () => {
    assert.equal(classifyJob(job({ status: 'running', finishedAt: null })).classification, null);
  });
});
