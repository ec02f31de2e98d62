// POST /webhooks/{connection} on both store engines: what is accepted is in the inbox before the answer and
// then processed into runs; unsigned, forged, stale, replayed and oversized deliveries get no 2xx and leave
// nothing stored. The API token is not needed here, and does not open the route either.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { TestContext } from 'node:test';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { addConnection } from '../../src/store/connections.js';
import type { Store } from '../../src/store/store.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { storeTest } from '../store/engines.js';
import { buildkiteDeliveryBody } from './buildkite-delivery.js';

const SECRET = 'webhook-secret-for-receive-tests-51c2';
const API_TOKEN = 'api-token-for-receive-tests-77aa0';
const NOW_S = 1_765_000_000;

async function setUp(store: Store, t: TestContext, token: string | null = null) {
  const bk = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'my-great-org',
    token: 'provider-token-never-used-0123',
  });
  await setWebhookSecret(store, bk, SECRET);
  const br = await addConnection(store, {
    name: 'br',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9/v0.1',
    org: null,
    token: 'provider-token-never-used-4567',
  });
  await setWebhookSecret(store, br, SECRET);
  const log: string[] = [];
  const app = await buildApp({
    store,
    sync: new SyncRunner(store),
    token,
    loopback: token === null,
    log: (line) => log.push(line),
    now: () => NOW_S * 1000,
  });
  t.after(() => app.close());
  return { app, log };
}

const buildEvent = (event: string, changes: Record<string, unknown> = {}) =>
  buildkiteDeliveryBody(event, changes);

const sign = (body: string, timestamp = NOW_S, secret = SECRET) =>
  `timestamp=${timestamp},signature=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

const inbox = async (store: Store) =>
  store.db.selectFrom('webhook_inbox').select(['id', 'event', 'state', 'signature']).orderBy('id').execute();

storeTest(
  'signed Buildkite deliveries: accepted once, refused forged, stale or replayed',
  async (store, t) => {
    const { app, log } = await setUp(store, t);
    const body = buildEvent('build.running', { state: 'running', finished_at: null });
    const post = (headers: Record<string, string>, payload = body, url = '/webhooks/bk') =>
      app.inject({
        method: 'POST',
        url,
        payload,
        headers: { 'content-type': 'application/json', 'x-buildkite-event': 'build.running', ...headers },
      });

    const refusedFirst = [
      await post({}),
      await post({ 'x-buildkite-signature': sign(body, NOW_S, 'some-other-secret-entirely') }),
      await post({ 'x-buildkite-signature': sign(body, NOW_S - 301) }),
      await post({ 'x-buildkite-signature': sign(body) }, `${body} `),
      await post({ 'x-buildkite-token': 'wrong-token-wrong-token' }),
      await post({ 'x-buildkite-signature': sign(body) }, body, '/webhooks/nosuch'),
    ];
    for (const answer of refusedFirst) assert.equal(answer.statusCode, 401, answer.body);
    assert.deepEqual(await inbox(store), [], 'nothing stored for a refused delivery');

    const accepted = await post({ 'x-buildkite-signature': sign(body) });
    assert.equal(accepted.statusCode, 202, accepted.body);
    const replayed = await post({ 'x-buildkite-signature': sign(body) });
    assert.equal(replayed.statusCode, 401, 'the same timestamp and signature again is a replay');
    // The same delivery signed anew (a redelivery) is a no-op.
    const again = await post({ 'x-buildkite-signature': sign(body, NOW_S + 1) });
    assert.equal(again.statusCode, 200);
    assert.equal(JSON.parse(again.body).status, 'duplicate');
    const stored = await inbox(store);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.event, 'build.running');

    const huge = JSON.stringify({ event: 'build.running', padding: 'x'.repeat(1024 * 1024) });
    const oversized = await post({ 'x-buildkite-signature': sign(huge) }, huge);
    assert.equal(oversized.statusCode, 413);
    assert.equal((await inbox(store)).length, 1);
    assert.ok(log.some((line) => /stale/.test(line)));
    assert.ok(!log.some((line) => line.includes(SECRET)), 'the secret is never logged');
  },
);

storeTest(
  'token mode and Bitrise: a repeat is a 2xx no-op; the API token neither needed nor enough',
  async (store, t) => {
    const { app } = await setUp(store, t, API_TOKEN);
    const bk = buildEvent('build.finished');
    const asBuildkite = (token: string, extra: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/bk',
        payload: bk,
        headers: {
          host: 'ci.example.com',
          'content-type': 'application/json',
          'x-buildkite-event': 'build.finished',
          'x-buildkite-token': token,
          ...extra,
        },
      });
    assert.equal(
      (await asBuildkite('nope-nope-nope-nope', { authorization: `Bearer ${API_TOKEN}` })).statusCode,
      401,
    );
    assert.equal((await asBuildkite(SECRET)).statusCode, 202);
    assert.equal((await asBuildkite(SECRET)).statusCode, 200);

    const br = JSON.stringify({ build_slug: 'b1', build_number: 1, app_slug: 'a1', build_status: 0 });
    const asBitrise = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/br',
        payload: br,
        headers: {
          host: 'ci.example.com',
          'content-type': 'application/json',
          'bitrise-event-type': 'build/triggered',
          ...headers,
        },
      });
    assert.equal((await asBitrise({})).statusCode, 401);
    assert.equal((await asBitrise({ 'x-buildlens-webhook-secret': 'not-it-not-it-not-it' })).statusCode, 401);
    assert.equal((await asBitrise({ 'x-buildlens-webhook-secret': SECRET })).statusCode, 202);
    assert.equal((await asBitrise({ 'x-buildlens-webhook-secret': SECRET })).statusCode, 200);
    const notJson = await app.inject({
      method: 'POST',
      url: '/webhooks/br',
      payload: 'build finished',
      headers: {
        host: 'ci.example.com',
        'content-type': 'text/plain',
        'bitrise-event-type': 'build/finished',
        'x-buildlens-webhook-secret': SECRET,
      },
    });
    assert.equal(notJson.statusCode, 400);
    assert.deepEqual(
      (await inbox(store)).map((r) => r.event),
      ['build.finished', 'build/triggered'],
    );
    // The rest of the API still needs the token.
    const runs = await app.inject({ method: 'GET', url: '/api/runs', headers: { host: 'ci.example.com' } });
    assert.equal(runs.statusCode, 401);
  },
);
