// Alerts in the server, on both engines: a sync (started from the API) is followed by an alert pass that
// posts to a receiver on 127.0.0.1; /api/alerts answers as its OpenAPI schema says (a broken file is said,
// the states still shown); /metrics counts firing alerts and deliveries; a webhook batch asks for a pass.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startServer } from '../../src/server/serve.js';
import { acceptDelivery } from '../../src/store/inbox.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { WebhookProcessor } from '../../src/webhooks/processor.js';
import { openApiCaller } from '../server/openapi-check.js';
import { scratch, storeTest } from '../store/engines.js';
import { buildkiteDeliveryBody, REST_BUILD } from '../webhooks/buildkite-delivery.js';
import { connectCi, now, runs, store } from './fixtures.js';
import { type Receiver, startReceiver } from './receiver.js';

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

let files = 0;
function alertsFile(condition = '{ below: 90% }'): string {
  files += 1;
  const path = join(scratch, `alerts-${files}.yaml`);
  writeFileSync(
    path,
    `destinations:
  hooks: { type: webhook, url: "${receiver.url}/hook", secret: "hook-secret-0123456789abcdef" }
alerts:
  - name: main-success-rate
    metric: success_rate
    window: 24h
    condition: ${condition}
`,
  );
  return path;
}

storeTest(
  'a sync started from the API is followed by an alert pass; the API and /metrics show it',
  async (s, t) => {
    receiver.received.length = 0;
    const ci = await connectCi(s);
    await store(s, ci.id, [...runs(8, 'success', 3), ...runs(2, 'failure', 2)]);
    const file = alertsFile();
    const logged: string[] = [];
    const server = await startServer({
      store: s,
      host: '127.0.0.1',
      port: 0,
      token: null,
      syncEveryMs: null,
      alertsFile: file,
      alertOptions: { now, retryDelaysMs: [1] },
      log: (line) => logged.push(line),
    });
    t.after(() => server.close());
    const api = await openApiCaller(server.app);

    // The connection answers nothing: the sync fails, and the alerts are judged over what the store holds.
    const started = await server.app.inject({
      method: 'POST',
      url: '/api/sync',
      payload: { connections: [] },
    });
    assert.equal(started.statusCode, 202, started.body);
    await server.sync.idle();
    await server.alerts.idle();
    assert.equal(receiver.received.length, 1);
    assert.equal(JSON.parse(receiver.received[0]?.body ?? '').event, 'firing');
    assert.ok(
      logged.includes('alert main-success-rate FIRING: {"connection":"ci","project":"ios-app"}'),
      logged.join('\n'),
    );

    const { body } = await api.call('GET', '/api/alerts');
    const document = body as {
      states: { rule: string; state: string; value_text: string; subject: unknown }[];
    };
    assert.deepEqual(
      document.states.map((x) => [x.rule, x.subject, x.state, x.value_text]),
      [['main-success-rate', { connection: 'ci', project: 'ios-app' }, 'firing', '80 %']],
    );
    const other = await api.call('GET', '/api/alerts', { url: '/api/alerts?state=firing&project=other' });
    assert.deepEqual((other.body as { states: unknown[] }).states, []);
    const metrics = (await server.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /^buildlens_alerts_firing\{rule="main-success-rate"\} 1$/m);
    assert.match(metrics, /^buildlens_alert_deliveries\{destination="hooks",state="sent"\} 1$/m);

    writeFileSync(file, readFileSync(file, 'utf8').replace('below: 90%', 'below: 190%'));
    const broken = await api.call('GET', '/api/alerts');
    const said = broken.body as { problem: string; rules: unknown[]; states: unknown[] };
    assert.match(
      said.problem,
      /alerts-\d+\.yaml:7:25: alerts\[0\]\.condition\.below: a rate is written in percent/,
    );
    assert.deepEqual(said.rules, []);
    for (const text of api.bodies) assert.ok(!text.includes(receiver.url), 'the address is a secret');
  },
);

storeTest('a webhook batch that wrote something asks for an alert pass', async (s) => {
  const ci = await connectCi(s);
  await setWebhookSecret(s, ci, 'webhook-secret-for-alert-tests-01');
  let asked = 0;
  const processor = new WebhookProcessor(s, { log: (line) => assert.fail(line), afterBatch: () => asked++ });
  await acceptDelivery(s, {
    connectionId: ci.id,
    event: 'build.finished',
    body: buildkiteDeliveryBody('build.finished'),
    signature: null,
    subject: REST_BUILD.id,
    final: true,
    receivedAt: new Date(),
  });
  processor.kick();
  await processor.idle();
  assert.equal(asked, 1);
  processor.kick();
  await processor.idle();
  assert.equal(asked, 1, 'an empty pass asks for nothing');
});
