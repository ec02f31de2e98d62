// Alert messages sent over real HTTP to a receiver on 127.0.0.1: the exact Slack Block Kit, Teams Adaptive
// Card and signed JSON payloads, retries with back-off on what may pass, failures kept for `alerts list`,
// and a delivery left by a process that died sent by the next pass, once.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { slackPayload } from '../../src/alerts/destinations/slack.js';
import { alertMessage } from '../../src/alerts/message.js';
import { runAlerts } from '../../src/alerts/run.js';
import { redact } from '../../src/domain/redaction.js';
import {
  claimDelivery,
  claimTransition,
  lastDeliveryFailures,
  recordJudgement,
} from '../../src/store/alert-state.js';
import { storeTest } from '../store/engines.js';
import { alerts, connectCi, NOW, now, runs, store } from './fixtures.js';
import { type Receiver, startReceiver } from './receiver.js';

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const HOOK_SECRET = 'hook-secret-0123456789abcdef';
const fast = { now, retryDelaysMs: [1, 1, 1] };

function config() {
  return alerts(
    `
dashboard_url: https://buildlens.example.com/
destinations:
  slack: { type: slack, url: "${receiver.url}/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX" }
  teams: { type: teams, url_env: TEAMS_URL }
  hooks: { type: webhook, url: "${receiver.url}/hook", secret_env: HOOK_SECRET }
alerts:
  - name: main-success-rate
    metric: success_rate
    window: 24h
    condition: { below: 90% }
`,
    { TEAMS_URL: `${receiver.url}/workflows/teams-flow-0123456789`, HOOK_SECRET },
  );
}

const MESSAGE = {
  event: 'firing',
  rule: 'main-success-rate',
  metric: 'success_rate',
  metric_label: 'Success rate',
  value: 0.8,
  value_text: '80 %',
  previous: 1,
  previous_text: '100 %',
  change_text: '−20.0 points',
  condition_text: 'below 90 %',
  window: '24h',
  subject: { connection: 'ci', project: 'ios-app' },
  scope_text: 'ios-app (ci), default branch',
  runs: 10,
  at: '2026-03-02T12:00:00.000Z',
  link: 'https://buildlens.example.com/project/ci/ios-app',
};

const SLACK = {
  text: 'Firing: main-success-rate: Success rate is 80 % over the last 24h (alert when below 90 %).',
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: 'Firing: main-success-rate' } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: 'Success rate is 80 % over the last 24h (alert when below 90 %).' },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Success rate*\n80 %' },
        { type: 'mrkdwn', text: '*Change*\n−20.0 points' },
        { type: 'mrkdwn', text: '*Scope*\nios-app (ci), default branch' },
        { type: 'mrkdwn', text: '*Runs*\n10' },
      ],
    },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open dashboard' },
          url: 'https://buildlens.example.com/project/ci/ios-app',
        },
      ],
    },
  ],
};

const TEAMS = {
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          {
            type: 'TextBlock',
            size: 'Large',
            weight: 'Bolder',
            color: 'Attention',
            text: 'Firing: main-success-rate',
            wrap: true,
          },
          {
            type: 'TextBlock',
            text: 'Success rate is 80 % over the last 24h (alert when below 90 %).',
            wrap: true,
          },
          {
            type: 'FactSet',
            facts: [
              { title: 'Success rate', value: '80 %' },
              { title: 'Change', value: '−20.0 points' },
              { title: 'Scope', value: 'ios-app (ci), default branch' },
              { title: 'Runs', value: '10' },
            ],
          },
        ],
        actions: [
          {
            type: 'Action.OpenUrl',
            title: 'Open dashboard',
            url: 'https://buildlens.example.com/project/ci/ios-app',
          },
        ],
      },
    },
  ],
};

/** A receiver answering 200, a failing day, and the rule judged firing for it: a transition to claim. */
async function judgedFiring(s: Parameters<typeof store>[0]) {
  receiver.received.length = 0;
  receiver.answers = [200];
  await failingDay(s);
  const at = new Date(NOW).toISOString();
  const subject = '{"connection":"ci","project":"ios-app"}';
  await recordJudgement(s, { rule: 'main-success-rate', subject, value: 0.8, previous: 1, runs: 10, at });
  return { at, subject };
}

/** 10 runs at 100 % the day before, 10 at 80 % over the last 24 hours. */
async function failingDay(s: Parameters<typeof store>[0]) {
  const ci = await connectCi(s);
  await store(s, ci.id, [...runs(10, 'success', 30), ...runs(8, 'success', 3), ...runs(2, 'failure', 2)]);
  return ci;
}

storeTest('a firing alert posts Block Kit to Slack, an Adaptive Card to Teams and signed JSON', async (s) => {
  receiver.received.length = 0;
  receiver.answers = [200];
  const ci = await failingDay(s);
  const pass = await runAlerts(s, config(), fast);
  assert.deepEqual(
    pass.deliveries.map((d) => [d.destination, d.state, d.attempts]),
    [
      ['slack', 'sent', 1],
      ['teams', 'sent', 1],
      ['hooks', 'sent', 1],
    ],
  );
  const [slack, teams, hook] = receiver.received;
  assert.equal(slack?.path, '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX');
  assert.equal(slack?.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(slack?.body ?? ''), SLACK);
  assert.equal(teams?.path, '/workflows/teams-flow-0123456789');
  assert.deepEqual(JSON.parse(teams?.body ?? ''), TEAMS);
  assert.equal(hook?.path, '/hook');
  assert.deepEqual(JSON.parse(hook?.body ?? ''), { version: 1, ...MESSAGE });
  const timestamp = String(NOW / 1000);
  assert.equal(hook?.headers['x-buildlens-timestamp'], timestamp);
  assert.equal(hook?.headers['x-buildlens-event'], 'alert.firing');
  const expected = createHmac('sha256', HOOK_SECRET).update(`${timestamp}.${hook?.body}`).digest('hex');
  assert.equal(hook?.headers['x-buildlens-signature'], `sha256=${expected}`);

  // Resolved: the same three destinations hear it once.
  receiver.received.length = 0;
  await store(s, ci.id, runs(30, 'success', 1));
  const resolved = await runAlerts(s, config(), fast);
  assert.deepEqual(
    resolved.deliveries.map((d) => d.event),
    ['resolved', 'resolved', 'resolved'],
  );
  assert.equal(
    JSON.parse(receiver.received[0]?.body ?? '').blocks[0].text.text,
    'Resolved: main-success-rate',
  );
  assert.deepEqual((await runAlerts(s, config(), fast)).deliveries, []);
});

storeTest(
  'a destination answering 5xx is retried with back-off; a 4xx or the last failure is kept',
  async (s) => {
    receiver.received.length = 0;
    receiver.answers = [500, 503, 200, 404];
    await failingDay(s);
    const pass = await runAlerts(s, config(), fast);
    assert.deepEqual(
      pass.deliveries.map((d) => [d.destination, d.state, d.attempts, d.error]),
      [
        ['slack', 'sent', 3, null],
        ['teams', 'failed', 1, 'teams "teams": HTTP 404: receiver says no'],
        ['hooks', 'failed', 1, 'webhook "hooks": HTTP 404: receiver says no'],
      ],
    );
    receiver.received.length = 0;
    receiver.answers = [500];
    const [failure] = await lastDeliveryFailures(s);
    assert.equal(failure?.destination, 'hooks');
    // Nothing more is sent for a transition already made.
    assert.deepEqual((await runAlerts(s, config(), fast)).deliveries, []);
    assert.equal(receiver.received.length, 0);
  },
);

storeTest('a delivery still pending from a process that died is sent by the next pass, once', async (s) => {
  const { at, subject } = await judgedFiring(s);
  const ids = await claimTransition(s, {
    rule: 'main-success-rate',
    subject,
    from: 'ok',
    to: 'firing',
    at,
    messages: [{ destination: 'slack', message: JSON.stringify(MESSAGE) }],
  });
  assert.equal(ids?.length, 1);
  const passes = await Promise.all([runAlerts(s, config(), fast), runAlerts(s, config(), fast)]);
  assert.deepEqual(
    passes.flatMap((p) => p.transitions),
    [],
    'already firing',
  );
  assert.equal(passes.flatMap((p) => p.deliveries).length, 1);
  assert.equal(receiver.received.length, 1);
  assert.deepEqual(JSON.parse(receiver.received[0]?.body ?? ''), SLACK);
});

storeTest(
  'a delivery claimed by a process that died is taken over once its claim is stale, not before',
  async (s) => {
    const { at, subject } = await judgedFiring(s);
    const [id] =
      (await claimTransition(s, {
        rule: 'main-success-rate',
        subject,
        from: 'ok',
        to: 'firing',
        at,
        messages: [{ destination: 'slack', message: JSON.stringify(MESSAGE) }],
      })) ?? [];
    assert.ok(id);
    // Claimed a minute ago by a process still sending it: left alone.
    const minuteAgo = new Date(NOW - 60_000).toISOString();
    assert.ok(await claimDelivery(s, id, minuteAgo, new Date(NOW - 3_600_000).toISOString()));
    assert.deepEqual((await runAlerts(s, config(), fast)).deliveries, []);
    assert.equal(receiver.received.length, 0);
    // Eleven minutes later that process is taken for dead: the next pass sends it, once.
    const later = () => NOW + 11 * 60_000;
    assert.deepEqual(
      (await runAlerts(s, config(), { ...fast, now: later })).deliveries.map((d) => d.state),
      ['sent'],
    );
    assert.equal(receiver.received.length, 1);
  },
);

test('destination addresses and signing keys are secrets', () => {
  const c = config();
  for (const d of c.destinations) assert.equal(redact(`posting to ${d.url}`), 'posting to ***');
  assert.equal(redact(HOOK_SECRET), '***');
});

test('Slack mrkdwn from provider names is escaped', () => {
  const rule = config().rules[0];
  if (!rule) throw new Error('no rule');
  const message = alertMessage(
    rule,
    {
      rule: rule.name,
      subject: { connection: 'ci', project: '<!channel> & <https://evil|click>' },
      key: '{}',
      value: 0.5,
      previous: null,
      runs: 6,
      holds: true,
      note: null,
      since: '',
      until: '',
    },
    'firing',
    null,
    new Date(NOW).toISOString(),
  );
  const payload = slackPayload(message) as typeof SLACK;
  assert.equal(
    payload.blocks[2]?.fields?.[2]?.text,
    '*Scope*\n&lt;!channel&gt; &amp; &lt;https://evil|click&gt; (ci), default branch',
  );
  assert.equal(payload.blocks.length, 3, 'no dashboard address: no button');
});
