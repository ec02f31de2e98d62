// Who may call: bearer token (constant-time compare), loopback Host names only, no cross-origin use,
// strict headers on every answer; and one test over a real socket on 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, tokenMatches } from '../../src/server/security.js';
import { startServer, UnsafeServerOptions } from '../../src/server/serve.js';
import { appFor, syncedForFile } from './fixture.js';

const synced = syncedForFile('security');
const TOKEN = 'server-token-for-tests-5f2c';

test('tokens compare by content only; loopback hosts are recognised', () => {
  assert.equal(tokenMatches(TOKEN, TOKEN), true);
  assert.equal(tokenMatches(`${TOKEN}x`, TOKEN), false);
  assert.equal(tokenMatches('', TOKEN), false);
  assert.equal(tokenMatches(TOKEN.toUpperCase(), TOKEN), false);
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
    assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '10.0.0.1', '192.168.1.2', '::', 'example.com', '128.0.0.1'])
    assert.ok(!isLoopbackHost(host), host);
});

test('with a token, every data request needs it; liveness and the app shell do not', async (t) => {
  const { app } = await appFor(synced(), t, { token: TOKEN, loopback: false });
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'liveness is open (DESIGN.md)');
  for (const url of ['/api/report', '/api/connections', '/metrics', '/api/openapi.json']) {
    const missing = await app.inject({ url });
    assert.equal(missing.statusCode, 401, url);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assert.equal(missing.json().error, 'unauthorized');
    const wrong = await app.inject({ url, headers: { authorization: `Bearer ${TOKEN}-no` } });
    assert.equal(wrong.statusCode, 401, url);
    const basic = await app.inject({ url, headers: { authorization: `Basic ${TOKEN}` } });
    assert.equal(basic.statusCode, 401, url);
    const right = await app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(right.statusCode, 200, url);
  }
  const post = await app.inject({ method: 'POST', url: '/api/sync', payload: {} });
  assert.equal(post.statusCode, 401);
  const shell = await app.inject({ url: '/runs?days=7' });
  assert.equal(shell.statusCode, 200, 'the page loads so it can ask for the token');
});

test('refuses to listen off loopback without a token', async () => {
  await assert.rejects(
    startServer({ store: synced().store, host: '0.0.0.0', port: 0, token: null, syncEveryMs: null }),
    (error: unknown) => error instanceof UnsafeServerOptions && /BUILDLENS_SERVER_TOKEN/.test(error.message),
  );
  await assert.rejects(
    startServer({ store: synced().store, host: '0.0.0.0', port: 0, token: '   ', syncEveryMs: null }),
    UnsafeServerOptions,
  );
});

test('on loopback, a foreign Host name (DNS rebinding) and cross-origin changes are refused', async (t) => {
  const { app } = await appFor(synced(), t);
  const rebound = await app.inject({ url: '/api/report', headers: { host: 'attacker.example:8080' } });
  assert.equal(rebound.statusCode, 403);
  for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080'])
    assert.equal((await app.inject({ url: '/healthz', headers: { host } })).statusCode, 200, host);

  const foreign = await app.inject({
    method: 'POST',
    url: '/api/connections/bitrise-sandbox/verify',
    headers: { host: '127.0.0.1:8080', origin: 'http://attacker.example' },
  });
  assert.equal(foreign.statusCode, 403);
  const own = await app.inject({
    method: 'POST',
    url: '/api/connections/bitrise-sandbox/verify',
    headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' },
  });
  assert.equal(own.statusCode, 200);
});

test('security headers on data and pages; no CORS', async (t) => {
  const { app } = await appFor(synced(), t);
  for (const url of ['/api/report', '/', '/project/x/y', '/api/nothing']) {
    const response = await app.inject({ url, headers: { origin: 'http://attacker.example' } });
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/, url);
    assert.match(csp, /frame-ancestors 'none'/, url);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, url);
    assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(response.headers['x-frame-options'], 'DENY', url);
    assert.equal(response.headers['access-control-allow-origin'], undefined, url);
  }
  assert.equal((await app.inject({ url: '/api/sync' })).headers['cache-control'], 'no-store');
  // Cached per data version: a browser revalidates it every time, a shared cache never keeps it.
  assert.equal((await app.inject({ url: '/api/report' })).headers['cache-control'], 'private, no-cache');
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/sync',
    headers: { origin: 'http://attacker.example', 'access-control-request-method': 'POST' },
  });
  assert.notEqual(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  assert.equal(preflight.headers['access-control-allow-methods'], undefined);
});

test('real socket on 127.0.0.1: health, data, the app shell and its headers', async () => {
  const server = await startServer({
    store: synced().store,
    host: '127.0.0.1',
    port: 0,
    token: null,
    syncEveryMs: null,
  });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const report = await fetch(`${server.url}/api/report?by=connection`);
    const body = (await report.json()) as { rows: { connection: string }[] };
    assert.deepEqual(
      body.rows.map((r) => r.connection),
      ['bitrise-sandbox', 'buildkite-sandbox'],
    );
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  } finally {
    await server.close();
  }
});
