// Alerts judged over the store on both engines: a rule fires once when its condition starts to hold and
// resolves once when it stops, however many passes (or processes at once) judge it; too few runs and an
// uncovered previous window decide nothing.
import assert from 'node:assert/strict';
import { runAlerts } from '../../src/alerts/run.js';
import { listAlertStates } from '../../src/store/alert-state.js';
import { recordCoverage } from '../../src/store/coverage.js';
import { storeTest } from '../store/engines.js';
import { alerts, connectCi, now, runs, store } from './fixtures.js';

const SUCCESS_RATE = alerts(`
alerts:
  - name: main-success-rate
    metric: success_rate
    window: 24h
    condition: { below: 90% }
    min_runs: 5
`);

storeTest('a rule fires once while its condition holds, and resolves once when it stops', async (s) => {
  const ci = await connectCi(s);
  // 8 of 10 on main pass (80 %); the feature branch's failures are outside the default-branch scope.
  await store(s, ci.id, [
    ...runs(8, 'success', 3),
    ...runs(2, 'failure', 2),
    ...runs(6, 'failure', 1, { branch: 'feature' }),
  ]);
  const first = await runAlerts(s, SUCCESS_RATE, { now });
  assert.deepEqual(first.transitions, [
    { rule: 'main-success-rate', subject: '{"connection":"ci","project":"ios-app"}', event: 'firing' },
  ]);
  assert.equal(first.evaluations[0]?.value, 0.8);
  assert.equal(first.evaluations[0]?.runs, 10);
  const again = await runAlerts(s, SUCCESS_RATE, { now });
  assert.deepEqual(again.transitions, [], 'still holding: nothing new');
  const [state] = await listAlertStates(s);
  assert.equal(state?.state, 'firing');
  assert.equal(state?.since, '2026-03-02T12:00:00.000Z');

  await store(s, ci.id, runs(20, 'success', 1));
  const resolved = await runAlerts(s, SUCCESS_RATE, { now });
  assert.deepEqual(
    resolved.transitions.map((t) => t.event),
    ['resolved'],
  );
  assert.deepEqual((await runAlerts(s, SUCCESS_RATE, { now })).transitions, []);
  assert.equal((await listAlertStates(s))[0]?.state, 'ok');
});

storeTest('fewer runs than min_runs decide nothing', async (s) => {
  const ci = await connectCi(s);
  await store(s, ci.id, runs(3, 'failure', 2));
  const pass = await runAlerts(s, SUCCESS_RATE, { now });
  assert.deepEqual(pass.transitions, []);
  assert.equal(pass.evaluations[0]?.holds, null);
  assert.equal(pass.evaluations[0]?.note, '3 succeeded or failed runs, fewer than min_runs (5)');
});

storeTest('two passes at once make the transition once', async (s) => {
  const ci = await connectCi(s);
  await store(s, ci.id, runs(10, 'failure', 2));
  const passes = await Promise.all([1, 2, 3].map(() => runAlerts(s, SUCCESS_RATE, { now })));
  assert.equal(passes.flatMap((p) => p.transitions).length, 1);
});

const P90_UP = alerts(`
alerts:
  - name: p90-week-over-week
    metric: duration_p90
    window: 7d
    condition: { up_percent: 20 }
`);

storeTest('a change against a previous window the store does not cover is no alert', async (s) => {
  // Covered only from 3 days ago: last week is not.
  const ci = await connectCi(s, '2026-02-27T12:00:00.000Z');
  await store(s, ci.id, [
    ...runs(10, 'success', 24 * 9, { durationS: 100 }),
    ...runs(10, 'success', 24, { durationS: 200 }),
  ]);
  const uncovered = await runAlerts(s, P90_UP, { now });
  assert.deepEqual(uncovered.transitions, []);
  assert.equal(uncovered.evaluations[0]?.holds, null);
  assert.equal(uncovered.evaluations[0]?.note, 'previous window not comparable: no data before 27 Feb');
  // A longer backfill covers it: 200 s against 100 s is up 100 %.
  await recordCoverage(s, ci.id, '2026-01-01T00:00:00.000Z', new Date());
  const covered = await runAlerts(s, P90_UP, { now });
  assert.deepEqual(
    covered.transitions.map((t) => t.event),
    ['firing'],
  );
  assert.equal(covered.evaluations[0]?.previous, 100);
  assert.equal(covered.evaluations[0]?.value, 200);
});

storeTest(
  'per workflow: each workflow of a project is judged apart, on the branches the scope names',
  async (s) => {
    const ci = await connectCi(s);
    await store(s, ci.id, [
      ...runs(6, 'success', 3, { workflow: 'deploy', branch: 'release' }),
      ...runs(4, 'infra_failure', 2, { workflow: 'deploy', branch: 'release' }),
      ...runs(10, 'success', 2, { workflow: 'test', branch: 'release' }),
      // The default branch is not in this scope.
      ...runs(10, 'infra_failure', 2, { workflow: 'test' }),
    ]);
    const config = alerts(`
alerts:
  - name: infra
    metric: infra_failure_rate
    per: workflow
    scope: { branch: release }
    window: 24h
    condition: { above: 20% }
`);
    const pass = await runAlerts(s, config, { now });
    assert.deepEqual(
      pass.evaluations.map((e) => [e.subject.workflow, e.value, e.holds]),
      [
        ['deploy', 0.4, true],
        ['test', 0, false],
      ],
    );
    assert.deepEqual(pass.transitions, [
      {
        rule: 'infra',
        subject: '{"connection":"ci","project":"ios-app","workflow":"deploy"}',
        event: 'firing',
      },
    ]);
  },
);
