// User rules files: every validation error is one line naming the file and the rule; every condition
// matches what it says; the file is found where the docs say.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { classifyJob, classifyRun, DEFAULT_RULES } from '../../src/classify/classify.js';
import { loadRules, locateRules, parseRules, RulesError } from '../../src/classify/rules.js';
import type { Job, Run } from '../../src/domain/model.js';
import { job as fixtureJob } from '../store/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'buildlens-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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
    status: 'failed',
    providerStatus: '2',
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

const YAML = `
rules:
  - name: agent-lost
    classification: infra_failure
    match:
      provider: buildkite
      status: failed
      reason: "agent (lost|stopped)"
  - name: quick-ios-abort
    classification: skipped
    match:
      project: [iOS App]
      provider_status: 4
      duration_below_s: 30
  - name: long-nightly
    classification: infra_failure
    match: { workflow: nightly, branch: [main, develop], duration_above_s: 3600 }
  - name: simulator-crash
    classification: infra_failure
    match: { provider: bitrise, log: "simulator (crashed|failed to boot)" }
`;

describe('rules files', () => {
  const rules = [...parseRules(YAML, 'rules.yaml'), ...DEFAULT_RULES];
  const classify = (r: Run, context = {}) => classifyRun(r, rules, context).classifiedBy;

  it('match on provider, status and a reason pattern (case-insensitive)', () => {
    const lost = run({ reason: 'Agent LOST during step' });
    assert.equal(classify(lost, { provider: 'buildkite' }), 'agent-lost');
    assert.equal(classify(lost, { provider: 'bitrise' }), 'default:failed');
    assert.equal(classify(run({ reason: 'tests failed' }), { provider: 'buildkite' }), 'default:failed');
  });

  it('match a project by name or key, a provider status and a duration below a threshold', () => {
    const abort = run({ status: 'aborted', providerStatus: '4', durationS: 12 });
    assert.equal(classify(abort, { projectName: 'iOS App' }), 'quick-ios-abort');
    assert.equal(
      classify({ ...abort, durationS: 30 }, { projectName: 'iOS App' }),
      'default:aborted-with-success',
    );
    assert.equal(classify(abort, { projectName: 'Android' }), 'default:aborted-with-success');
  });

  it('match a workflow, one of several branches and a duration above a threshold', () => {
    const nightly = run({ workflow: 'nightly', branch: 'develop', durationS: 3601 });
    assert.equal(classify(nightly), 'long-nightly');
    assert.equal(classify({ ...nightly, branch: 'feature/x' }), 'default:failed');
    assert.equal(classify({ ...nightly, durationS: 3600 }), 'default:failed');
    assert.equal(classify({ ...nightly, durationS: null }), 'default:failed');
  });

  it('match a log marker on Bitrise runs only', () => {
    const log = 'Simulator crashed while booting';
    assert.equal(classify(run({}), { provider: 'bitrise', log }), 'simulator-crash');
    assert.equal(classify(run({}), { provider: 'buildkite', log }), 'default:failed');
  });

  it('read JSON as well', () => {
    const json = JSON.stringify({
      rules: [{ name: 'x', classification: 'skipped', match: { reason: 'nothing' } }],
    });
    const [rule] = parseRules(json, 'rules.json');
    assert.equal(rule?.name, 'x');
  });
});

/** A failed UI-test job on the macOS queue. */
const job = (overrides: Partial<Job>): Job =>
  fixtureJob('j1', 'b1', {
    name: ':xcode: UI tests',
    status: 'failed',
    providerStatus: 'failed',
    startedAt: '2026-02-10T09:00:05Z',
    finishedAt: '2026-02-10T09:05:00Z',
    queueS: 1,
    durationS: 295,
    agent: null,
    agentQueue: 'macos',
    exitStatus: 1,
    ...overrides,
  });

describe('rules on jobs', () => {
  const rules = [...parseRules(YAML, 'rules.yaml'), ...DEFAULT_RULES];
  const buildkite = { provider: 'buildkite' as const, projectName: 'iOS App' };
  const classify = (j: Job, context = {}) => classifyJob(j, rules, context).classifiedBy;

  it('a rule without applies_to matches jobs on their run (provider, project, workflow, branch)', () => {
    const lost = job({ reason: 'agent_stop: agent lost' });
    assert.equal(classify(lost, { ...buildkite, run: run({}) }), 'agent-lost');
    assert.equal(classify(lost, { provider: 'bitrise', run: run({}) }), 'default:failed');
    // Without its own reason, a job is matched on its run's.
    assert.equal(classify(job({}), { ...buildkite, run: run({ reason: 'Agent stopped' }) }), 'agent-lost');
    assert.equal(classify(job({}), { ...buildkite, run: run({}) }), 'default:failed');
    const nightly = run({ workflow: 'nightly', branch: 'main' });
    assert.equal(classify(job({ durationS: 4000 }), { run: nightly }), 'long-nightly');
    assert.equal(classify(job({ durationS: 4000 }), { run: null }), 'default:failed', 'no run, no workflow');
    assert.equal(classify(job({ durationS: 60 }), { run: nightly }), 'default:failed', 'the job’s duration');
  });

  it('a log marker is for runs only; an unfinished job is not classified', () => {
    const log = 'Simulator crashed while booting';
    assert.equal(classify(job({}), { provider: 'bitrise', log, run: run({}) }), 'default:failed');
    assert.equal(classifyJob(job({ finishedAt: null }), rules, {}).classification, null);
  });

  const parsed = (yaml: string) => parseRules(yaml, 'rules.yaml');
  it('match.job makes a rule for jobs; applies_to chooses explicitly', () => {
    const [byName, runsOnly, jobsOnly] = parsed(`
rules:
  - { name: ui, classification: infra_failure, match: { job: [":xcode: UI tests"], status: failed } }
  - { name: r, classification: infra_failure, applies_to: runs, match: { status: failed } }
  - { name: j, classification: skipped, applies_to: [jobs], match: { duration_below_s: 10 } }
`);
    assert.ok(byName && runsOnly && jobsOnly);
    assert.equal(byName.matchesJob?.(job({}), {}), true);
    assert.equal(byName.matchesJob?.(job({ name: 'lint' }), {}), false);
    assert.equal(byName.matches, undefined, 'a job-name rule never matches runs');
    assert.equal(classifyRun(run({}), [byName, ...DEFAULT_RULES]).classifiedBy, 'default:failed');
    assert.equal(runsOnly.matches?.(run({}), {}), true);
    assert.equal(runsOnly.matchesJob, undefined);
    assert.equal(jobsOnly.matches, undefined);
    assert.equal(classifyJob(job({ durationS: 3 }), [jobsOnly]).classifiedBy, 'j');
  });
});

describe('rules file errors', () => {
  const cases: [string, string, RegExp][] = [
    ['not YAML', 'rules: [', /^rules\.yaml: not valid YAML: .*[^:]$/],
    [
      'not YAML, mid-file',
      'rules:\n  - name: a\n b: [',
      /^rules\.yaml: not valid YAML: .*line \d+, column \d+$/,
    ],
    ['no rules list', 'rule: []', /^rules\.yaml: rules: expected a list of rules$/],
    ['empty file', '', /^rules\.yaml: expected a "rules:" list$/],
    [
      'unknown class',
      'rules:\n  - name: a\n    classification: broken\n    match: { status: failed }',
      /^rules\.yaml: rule 1 \("a"\): classification: /,
    ],
    [
      'unknown condition',
      'rules:\n  - name: a\n    classification: failure\n    match: { colour: red }',
      /^rules\.yaml: rule 1 \("a"\): match: unknown field "colour"$/,
    ],
    [
      'no condition',
      'rules:\n  - name: a\n    classification: failure\n    match: {}',
      /^rules\.yaml: rule 1 \("a"\): match: needs at least one condition$/,
    ],
    [
      'bad regex',
      'rules:\n  - name: ok\n    classification: failure\n    match: { status: failed }\n  - name: b\n    classification: failure\n    match: { reason: "(" }',
      /^rules\.yaml: rule 2 \("b"\): match\.reason is not a valid regular expression: /,
    ],
    [
      'duplicate name',
      'rules:\n  - { name: a, classification: failure, match: { status: failed } }\n  - { name: a, classification: skipped, match: { status: skipped } }',
      /^rules\.yaml: rule 2 \("a"\): the name is used twice$/,
    ],
    [
      'reserved name',
      'rules:\n  - { name: "default:x", classification: failure, match: { status: failed } }',
      /^rules\.yaml: rule 1 \("default:x"\): name: names starting with "default:" are reserved$/,
    ],
    [
      'negative threshold',
      'rules:\n  - { name: a, classification: failure, match: { duration_below_s: -1 } }',
      /^rules\.yaml: rule 1 \("a"\): match\.duration_below_s: /,
    ],
    [
      'log marker on Buildkite',
      'rules:\n  - { name: a, classification: failure, match: { provider: buildkite, log: oom } }',
      /^rules\.yaml: rule 1 \("a"\): match\.log works on Bitrise runs only/,
    ],
    [
      'log marker on jobs',
      'rules:\n  - { name: a, classification: failure, applies_to: [runs, jobs], match: { log: oom } }',
      /^rules\.yaml: rule 1 \("a"\): match\.log works on runs only, but the rule applies to jobs$/,
    ],
    [
      'job name on runs',
      'rules:\n  - { name: a, classification: failure, applies_to: runs, match: { job: lint } }',
      /^rules\.yaml: rule 1 \("a"\): match\.job works on jobs only, but the rule applies to runs$/,
    ],
    [
      'unknown target',
      'rules:\n  - { name: a, classification: failure, applies_to: builds, match: { status: failed } }',
      /^rules\.yaml: rule 1 \("a"\): applies_to: /,
    ],
    [
      'rule without a name',
      'rules:\n  - { classification: failure, match: { status: failed } }',
      /^rules\.yaml: rule 1: name: /,
    ],
  ];
  for (const [what, content, expected] of cases) {
    it(what, () => {
      assert.throws(
        () => parseRules(content, 'rules.yaml'),
        (error: unknown) => {
          assert.ok(error instanceof RulesError);
          assert.match(error.message, expected);
          assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
          return true;
        },
      );
    });
  }

  it('a file that cannot be read', () => {
    assert.throws(() => loadRules(dir), /: cannot be read \(EISDIR\)$/);
  });
});

describe('where the rules file is found', () => {
  const beside = join(dir, 'db');
  mkdirSync(beside);
  const flagFile = join(dir, 'flag.json');
  const envFile = join(dir, 'env.yaml');
  writeFileSync(flagFile, '{"rules": []}');
  writeFileSync(envFile, 'rules: []');

  it('takes --rules first, then $BUILDLENS_RULES, then a file beside the database, else none', () => {
    assert.equal(locateRules(flagFile, { BUILDLENS_RULES: envFile }, beside), flagFile);
    assert.equal(locateRules(undefined, { BUILDLENS_RULES: envFile }, beside), envFile);
    assert.equal(locateRules(undefined, {}, beside), null);
    writeFileSync(join(beside, 'rules.json'), '{"rules": []}');
    assert.equal(locateRules(undefined, {}, beside), join(beside, 'rules.json'));
    writeFileSync(join(beside, 'rules.yaml'), 'rules: []');
    assert.equal(locateRules(undefined, {}, beside), join(beside, 'rules.yaml'));
  });

  it('refuses a named file that does not exist, saying where the name came from', () => {
    assert.throws(
      () => locateRules(join(dir, 'nope.yaml'), {}, beside),
      /nope\.yaml does not exist \(from --rules\)$/,
    );
    assert.throws(
      () => locateRules(undefined, { BUILDLENS_RULES: join(dir, 'gone.yaml') }, beside),
      /gone\.yaml does not exist \(from \$BUILDLENS_RULES\)$/,
    );
  });

  it('puts user rules before the defaults', () => {
    const set = loadRules(flagFile);
    assert.equal(set.file, flagFile);
    assert.deepEqual(
      set.rules.map((r) => r.name),
      DEFAULT_RULES.map((r) => r.name),
    );
  });
});
