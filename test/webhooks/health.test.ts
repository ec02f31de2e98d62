// Webhook health per connection in /api/connections (and `connect list --json`, which shares the record):
// the last delivery, accepted and refused counts with the last refusal's reason, the inbox's pending and
// failed deliveries, and the runs the webhooks missed, in total and at the last reconciliation.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { listConnectionRecords } from '../../src/store/connection-records.js';
import { addConnection } from '../../src/store/connections.js';
import { recordSyncSuccess } from '../../src/store/sync-state.js';
import { addMissedRuns, setWebhookSecret } from '../../src/store/webhooks.js';
import { openApiCaller } from '../server/openapi-check.js';
import { storeTest } from '../store/engines.js';

const SECRET = 'webhook-secret-for-health-tests-3f0a';
const NOW_S = 1_765_000_000;
const BODY = JSON.stringify({ event: 'ping', service: { id: 'x' } });
const sign = (timestamp: number, secret = SECRET) =>
  `timestamp=${timestamp},signature=${createHmac('sha256', secret).update(`${timestamp}.${BODY}`).digest('hex')}`;

storeTest('/api/connections: webhook health per connection', async (store, t) => {
  const connection = (name: string, provider: 'buildkite' | 'bitrise') =>
    addConnection(store, {
      name,
      provider,
      baseUrl: 'http://127.0.0.1:9/v2',
      org: null,
      token: `provider-token-never-used-${name}-00`,
    });
  const bk = await connection('bk', 'buildkite');
  await setWebhookSecret(store, bk, SECRET, new Date('2026-02-01T00:00:00Z'));
  const quiet = await connection('quiet', 'bitrise');
  await setWebhookSecret(store, quiet, SECRET, new Date('2026-02-02T00:00:00Z'));
  await connection('polled', 'bitrise');
  // Two reconciliations: 3 runs missed in all, 1 of them by the last.
  await addMissedRuns(store, bk.id, 3);
  await recordSyncSuccess(store, bk.id, { runsNew: 4, webhookMissed: 1 }, new Date());

  // A server replica on the store, at the test's clock.
  const replicaOf = async () => {
    const server = await buildApp({
      store,
      sync: new SyncRunner(store),
      token: null,
      loopback: true,
      log: () => {},
      now: () => NOW_S * 1000,
    });
    t.after(() => server.close());
    return server;
  };
  const app = await replicaOf();
  const post = (signature: string) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/bk',
      payload: BODY,
      headers: {
        'content-type': 'application/json',
        'x-buildkite-event': 'ping',
        'x-buildkite-signature': signature,
      },
    });
  assert.equal((await post(sign(NOW_S))).statusCode, 202);
  assert.equal((await post(sign(NOW_S - 600))).statusCode, 401);
  assert.equal((await post(sign(NOW_S, 'not-the-secret-at-all'))).statusCode, 401);

  const api = await openApiCaller(app);
  const { status, body } = await api.call('GET', '/api/connections');
  assert.equal(status, 200);
  const byName = new Map((body as { name: string; webhook: unknown }[]).map((c) => [c.name, c.webhook]));
  const health = byName.get('bk') as Record<string, unknown>;
  assert.equal(health.set_up_at, '2026-02-01T00:00:00.000Z');
  assert.equal(health.last_delivery_at, new Date(NOW_S * 1000).toISOString());
  assert.equal(health.accepted, 1);
  assert.equal((health.pending as number) + (health.failed as number) <= 1, true);
  assert.equal(health.refused, 2);
  assert.equal(health.last_refused_at, new Date(NOW_S * 1000).toISOString());
  assert.match(String(health.last_refusal_reason), /signature/);
  assert.equal(health.missed_runs, 3);
  assert.equal(health.missed_at_last_reconciliation, 1);
  assert.deepEqual(byName.get('quiet'), {
    set_up_at: '2026-02-02T00:00:00.000Z',
    last_delivery_at: null,
    accepted: 0,
    pending: 0,
    failed: 0,
    refused: 0,
    last_refused_at: null,
    last_refusal_reason: null,
    missed_runs: 0,
    missed_at_last_reconciliation: null,
  });
  assert.equal(byName.get('polled'), null, 'no webhook, no health');

  // The server adds its refusals to the store every few seconds, not one write per request: until then
  // the store (and so the CLI) has none, and another replica neither.
  const stored = async () => (await listConnectionRecords(store)).find((c) => c.name === 'bk')?.webhook;
  assert.equal((await stored())?.refused, 0);
  assert.equal((await stored())?.accepted, 1);
  const replica = await replicaOf();
  const seenByReplica = async () => {
    const { body } = await (await openApiCaller(replica)).call('GET', '/api/connections');
    return (body as { name: string; webhook: Record<string, unknown> | null }[]).find((c) => c.name === 'bk')
      ?.webhook;
  };
  assert.equal((await seenByReplica())?.refused, 0);
  // A flood of forged deliveries: counted, none of them written on its own.
  for (let i = 0; i < 50; i++)
    assert.equal((await post(sign(NOW_S, `forged-${i}-secret-value`))).statusCode, 401);
  assert.equal((await stored())?.refused, 0);
  await app.close();
  // Added when the server closed (or on its timer): every replica and the CLI now see the same count.
  for (const health of [await stored(), await seenByReplica()]) {
    assert.equal(health?.refused, 52);
    assert.equal(health?.last_refused_at, new Date(NOW_S * 1000).toISOString());
    assert.match(String(health?.last_refusal_reason), /signature/);
  }
  // The replica's own refusals add to the stored ones at once.
  const forged = await replica.inject({
    method: 'POST',
    url: '/webhooks/bk',
    payload: BODY,
    headers: { 'content-type': 'application/json', 'x-buildkite-event': 'ping' },
  });
  assert.equal(forged.statusCode, 401);
  assert.equal((await seenByReplica())?.refused, 53);
  assert.match(
    await (await replica.inject({ method: 'GET', url: '/metrics' })).body,
    /^buildlens_webhook_refused_total\{connection="bk"\} 53$/m,
  );
});
