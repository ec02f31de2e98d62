// User patterns run on a linear-time engine: a pattern that backtracks catastrophically in JavaScript's
// RegExp (here against the sandbox's own "Build canceled because a newer build was started" reason) neither
// hangs `classify` nor freezes the server's event loop during a sync; syntax RE2 lacks is refused up front.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyRun, DEFAULT_RULES } from '../../src/classify/classify.js';
import { parseRules, RulesError } from '../../src/classify/rules.js';
import { startCli } from '../crash/cli.js';
import { startRig } from '../faults/rig.js';
import { run as fixtureRun } from '../store/fixtures.js';

/** Exponential in JavaScript's RegExp on any text that is not only words and single spaces. */
const CATASTROPHIC = '^(\\w+\\s?)*$';
const REASON = 'Build canceled because a newer build was started (cancel running branch builds)';
const RULES = `rules:\n  - name: slow-pattern\n    classification: infra_failure\n    match: { reason: '${CATASTROPHIC}' }\n`;

describe('rule patterns', () => {
  // Against REASON itself only in child processes below: a backtracking engine would hang this process.
  it('patterns keep their meaning: case-insensitive, anchors, classes', () => {
    const rules = [...parseRules(RULES, 'rules.yaml'), ...DEFAULT_RULES];
    const run = fixtureRun('b1', 0, { status: 'aborted', reason: 'Just Words here' });
    assert.equal(classifyRun(run, rules).classifiedBy, 'slow-pattern');
    assert.equal(
      classifyRun({ ...run, reason: 'words (and more)' }, rules).classifiedBy,
      'default:aborted-by-system',
    );
  });

  it('syntax the engine does not support is an error naming the rule', () => {
    for (const [pattern, why] of [
      ['agent(?=lost)', /does not support/],
      ['(a)\\1', /does not support/],
      ['agent (lost', /is not a valid regular expression/],
    ] as const) {
      const yaml = `rules:\n  - name: r\n    classification: skipped\n    match: { reason: '${pattern}' }\n`;
      assert.throws(
        () => parseRules(yaml, 'rules.yaml'),
        (error: Error) =>
          error instanceof RulesError &&
          /^rules\.yaml: rule 1 \("r"\): match\.reason /.test(error.message) &&
          why.test(error.message),
        pattern,
      );
    }
  });
});

test('a server sync and classify with a catastrophic pattern finish, and /healthz answers throughout', async (t) => {
  const rig = await startRig({ now: Date.now() });
  t.after(() => rig.close());
  writeFileSync(join(rig.dir, 'rules.yaml'), RULES);
  const env = { XDG_DATA_HOME: join(rig.dir, 'data') };

  const serve = startCli(['--db', rig.dbPath, 'serve', '--port', '0'], env, rig.dir);
  t.after(() => serve.child.kill('SIGKILL'));
  let url: string | undefined;
  for (let i = 0; !url && i < 600; i++) {
    url = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(serve.output())?.[1];
    if (!url) await sleep(100);
  }
  assert.ok(url, serve.output());
  // The first sync classifies every run, the sandbox's superseded builds among them.
  const started = await fetch(`${url}/api/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(started.status, 202);
  // With a backtracking engine the event loop never comes back and these fetches time out.
  for (;;) {
    const health: Response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) });
    assert.equal(health.status, 200);
    const status = (await (await fetch(`${url}/api/sync`)).json()) as {
      running: boolean;
      connections: { state: string }[];
    };
    if (!status.running) {
      assert.deepEqual(
        status.connections.map((c) => c.state),
        ['succeeded', 'succeeded'],
      );
      break;
    }
    await sleep(20);
  }
  const superseded = rig.store.db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('reason', '=', REASON);
  assert.ok(Number((await superseded.executeTakeFirstOrThrow()).n) > 0, 'the sandbox has such runs');

  // Killed after a minute: with a backtracking engine it never ends.
  const classify = startCli(['--db', rig.dbPath, 'classify'], env, rig.dir);
  const timer = setTimeout(() => classify.child.kill('SIGKILL'), 60_000);
  const done = await classify.done;
  clearTimeout(timer);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /^runs: \d+ checked/m);
});
