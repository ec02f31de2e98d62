// The alerts file: the defaults load, thresholds read as people write them, and every mistake is one line
// naming the file, the line and the column of the value at fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ALERTS_YAML } from '../../src/alerts/defaults.js';
import { parseAlerts } from '../../src/alerts/rules.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseAlerts(text, 'alerts.yaml', env);
const rule = (condition: string, metric = 'success_rate') =>
  parse(`alerts:\n  - name: a\n    metric: ${metric}\n    window: 24h\n    condition: ${condition}\n`)
    .rules[0];

test('the default alerts: the four examples of docs/alerts.md', () => {
  const config = parse(DEFAULT_ALERTS_YAML);
  assert.equal(config.dashboardUrl, 'http://127.0.0.1:8080');
  assert.deepEqual(config.destinations, []);
  assert.deepEqual(
    config.rules.map((r) => [
      r.name,
      r.metric,
      r.per,
      r.window,
      r.windowMs / 3_600_000,
      r.condition,
      r.minRuns,
      r.scope,
    ]),
    [
      ['main-success-rate', 'success_rate', 'project', '24h', 24, { kind: 'below', threshold: 0.9 }, 5, {}],
      [
        'duration-p90-week-over-week',
        'duration_p90',
        'project',
        '7d',
        168,
        { kind: 'change', direction: 'up', unit: 'percent', by: 20 },
        10,
        {},
      ],
      ['queue-p95-over-10m', 'queue_p95', 'project', '24h', 24, { kind: 'above', threshold: 600 }, 5, {}],
      [
        'credits-over-budget',
        'credits',
        'scope',
        '30d',
        720,
        { kind: 'above', threshold: 10000 },
        1,
        { branch: ['*'] },
      ],
    ],
  );
});

test('thresholds as people write them: rates in percent, durations in seconds or 10m / 1h 30m', () => {
  assert.deepEqual(rule('{ below: 90 }')?.condition, { kind: 'below', threshold: 0.9 });
  assert.deepEqual(rule('{ below: "87.5%" }')?.condition, { kind: 'below', threshold: 0.875 });
  assert.deepEqual(rule('{ down_points: 5 }')?.condition, {
    kind: 'change',
    direction: 'down',
    unit: 'points',
    by: 0.05,
  });
  assert.deepEqual(rule('{ above: 600 }', 'queue_p95')?.condition, { kind: 'above', threshold: 600 });
  assert.deepEqual(rule('{ above: 1h 30m }', 'duration_p95')?.condition, { kind: 'above', threshold: 5400 });
  assert.deepEqual(rule('{ above: 90s }', 'duration_p50')?.condition, { kind: 'above', threshold: 90 });
});

const refused: [string, string][] = [
  [
    'alerts:\n  - name: a\n    metric: succes_rate\n    window: 24h\n    condition: { below: 90% }\n',
    'alerts.yaml:3:13: alerts[0].metric: Invalid option: expected one of "success_rate"|"failure_count"|"infra_failure_rate"|"duration_p50"|"duration_p90"|"duration_p95"|"queue_p95"|"flaky_rate"|"credits"',
  ],
  [
    'alerts:\n  - name: a\n    metric: success_rate\n    window: 24h\n    condition: { below: 90% }\n    bogus: 1\n',
    'alerts.yaml:6:5: alerts[0]: unknown field "bogus"',
  ],
  [
    'alerts:\n  - name: a\n    metric: success_rate\n    window: 24h\n    condition: { below: 190% }\n',
    'alerts.yaml:5:25: alerts[0].condition.below: a rate is written in percent, from 0 to 100 (90 or "90%"), got "190%"',
  ],
  [
    'alerts:\n  - name: a\n    metric: queue_p95\n    window: 24x\n    condition: { above: 10m }\n',
    'alerts.yaml:4:13: alerts[0].window: a window like 24h, 7d or 2w',
  ],
  [
    'alerts:\n  - name: a\n    metric: queue_p95\n    window: 400d\n    condition: { above: 10m }\n',
    'alerts.yaml:4:13: alerts[0].window: must be from 1h to 366d',
  ],
  [
    'alerts:\n  - name: a\n    metric: queue_p95\n    window: 24h\n    condition: { up_points: 5 }\n',
    'alerts.yaml:5:29: alerts[0].condition.up_points: points are for rates; queue_p95 changes in percent (up_percent, down_percent)',
  ],
  [
    'alerts:\n  - name: a\n    metric: queue_p95\n    window: 24h\n    condition: { above: 5, below: 3 }\n',
    'alerts.yaml:5:16: alerts[0].condition: give exactly one of above, below, up_percent, down_percent, up_points, down_points',
  ],
  [
    'alerts:\n  - name: a\n    metric: queue_p95\n    window: 24h\n',
    'alerts.yaml:2:5: alerts[0].condition: is missing (expected object)',
  ],
  [
    'alerts:\n  - name: a\n    metric: queue_p95\n    window: 24h\n    condition: { above: 5 }\n    notify: [x]\n',
    'alerts.yaml:6:14: alerts[0].notify[0]: no destination "x" in destinations',
  ],
  [
    'alerts:\n  - { name: a, metric: credits, window: 1d, condition: { above: 5 } }\n  - { name: a, metric: credits, window: 1d, condition: { above: 6 } }\n',
    'alerts.yaml:3:13: alerts[1].name: "a" names two rules',
  ],
  [
    'destinations:\n  s:\n    type: slack\nalerts: []\n',
    'alerts.yaml:3:5: destinations.s: give the address as url or url_env (one of them)',
  ],
  [
    'destinations:\n  s: { type: webhook, url: "https://example.com/hook" }\nalerts: []\n',
    'alerts.yaml:2:6: destinations.s: a webhook destination needs its signing key as secret or secret_env (one of them)',
  ],
  [
    'alerts: [\n  - name: a\n',
    'alerts.yaml:2:3: not valid YAML: Block collections are not allowed within flow collections',
  ],
  ['alerts:\n  - name: a\n    name: b\n', 'alerts.yaml:3:5: not valid YAML: Map keys must be unique'],
  ['', 'alerts.yaml:1:1: alerts: expected a list of alert rules'],
];

test('a broken file is refused with its line and column, in one line', () => {
  for (const [text, message] of refused) {
    assert.throws(
      () => parse(text),
      (error: Error) => {
        assert.equal(error.message, message);
        assert.equal(error.name, 'AlertsFileError');
        return true;
      },
    );
  }
});

test('an address from an unset variable leaves the destination unusable, not the file', () => {
  const config = parse('destinations:\n  s: { type: slack, url_env: NOT_SET_HERE }\nalerts: []\n');
  assert.deepEqual(config.destinations, [
    { name: 's', type: 'slack', url: null, secret: null, problem: '$NOT_SET_HERE (the address) is not set' },
  ]);
});
