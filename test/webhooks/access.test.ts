// The webhook route's access over a real socket, in the spirit of test/server/access.test.ts: no spelling
// of /webhooks/{connection} (percent-encoding, dot segments, doubled slashes, absolute form) gets a 2xx
// without the connection's signature, nothing is stored for any of them, and a webhook secret opens no
// other route.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { addConnection } from '../../src/store/connections.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { freshStore } from '../store/engines.js';

const SECRET = 'webhook-secret-for-access-tests-2b9';
const API_TOKEN = 'api-token-for-webhook-access-3c0';

function post(port: number, target: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to POST ${target}`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () =>
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? 0)),
    );
    const lines = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)) })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(
      `POST ${target} HTTP/1.1\r\nHost: ci.example.com\r\n${lines}Connection: close\r\n\r\n${body}`,
    );
  });
}

test('no spelling of the webhook path gets in without the signature; the secret opens nothing else', async (t) => {
  const store = await freshStore(t, 'sqlite');
  assert.ok(store);
  const connection = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: null,
    token: 'provider-token-never-used-0123',
  });
  await setWebhookSecret(store, connection, SECRET);
  const app = await buildApp({
    store,
    sync: new SyncRunner(store),
    token: API_TOKEN,
    loopback: false,
    log: () => {},
  });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const body = JSON.stringify({ event: 'ping' });
  const json = { 'content-type': 'application/json', 'x-buildkite-event': 'ping' };

  const spellings = [
    '/webhooks/bk',
    '/webhooks/%62k',
    '/%77ebhooks/bk',
    '/WEBHOOKS/bk',
    '/webhooks/./bk',
    '/x/../webhooks/bk',
    '//webhooks/bk',
    '/webhooks/bk/',
    '/webhooks/bk?x=1',
    'http://ci.example.com/webhooks/bk',
    '/webhooks/bk%00',
  ];
  for (const target of spellings) {
    for (const headers of [
      json,
      { ...json, 'x-buildkite-token': 'not-the-secret-at-all' },
      { ...json, authorization: `Bearer ${API_TOKEN}` },
    ]) {
      const status = await post(port, target, headers, body);
      assert.ok(status >= 400, `POST ${target} with ${Object.keys(headers).join(',')} answered ${status}`);
    }
  }
  assert.equal((await store.db.selectFrom('webhook_inbox').select('id').execute()).length, 0);

  // The webhook secret is no API token, on any route.
  for (const target of ['/api/sync', '/api/runs', '/api/connections'])
    assert.equal(
      await post(
        port,
        target,
        { ...json, 'x-buildkite-token': SECRET, authorization: `Bearer ${SECRET}` },
        '{}',
      ),
      401,
    );
  // And the real thing gets in.
  assert.equal(await post(port, '/webhooks/bk', { ...json, 'x-buildkite-token': SECRET }, body), 202);
});
