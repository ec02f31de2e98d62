// Named tokens and roles over a real socket on 127.0.0.1 (DESIGN.md "Server access"): a viewer reads, an
// admin also verifies connections, sets default branches and starts syncs; the bootstrap token is an
// admin; a revoked token is refused at once; every admin request leaves an audit line naming the token;
// no token appears in any answer, audit line or log line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer, UnsafeServerOptions } from '../../src/server/serve.js';
import { createApiToken, revokeApiToken } from '../../src/store/api-tokens.js';
import { listAudit } from '../../src/store/audit.js';
import { appFor, syncedForFile } from './fixture.js';

const synced = syncedForFile('roles');
const BOOTSTRAP = 'bootstrap-token-for-role-tests-77e1';

interface Answer {
  status: number;
  text: string;
  headers: string;
}

async function listening(
  t: Parameters<typeof appFor>[1],
  options: { token: string | null; loopback: boolean },
) {
  const { app, sync, errors } = await appFor(synced(), t, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const base = `http://127.0.0.1:${address.port}`;
  const answers: Answer[] = [];
  const call = async (
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = {
      status: response.status,
      text: await response.text(),
      headers: JSON.stringify([...response.headers]),
    };
    answers.push(answer);
    return answer;
  };
  return { call, answers, errors, sync };
}

const ADMIN_ROUTES = [
  ['POST', '/api/connections/bitrise-sandbox/verify', undefined],
  ['PUT', '/api/projects/bitrise-sandbox/none-such/default-branch', { branch: 'main' }],
  ['POST', '/api/sync', { connections: ['bitrise-sandbox'] }],
] as const;

test('a viewer reads, an admin also manages; the bootstrap token is an admin; revoked is refused', async (t) => {
  const { store } = synced();
  const viewer = await createApiToken(store, 'wall-screen', 'viewer');
  const admin = await createApiToken(store, 'platform-oncall', 'admin');
  t.after(() => revokeApiToken(store, 'platform-oncall'));
  const { call, answers, errors, sync } = await listening(t, { token: BOOTSTRAP, loopback: false });
  const started = new Date();

  for (const token of [viewer, admin, BOOTSTRAP])
    for (const path of ['/api/report?by=project', '/api/runs?limit=2', '/api/connections', '/metrics'])
      assert.equal((await call('GET', path, token)).status, 200, path);

  for (const [method, path, body] of ADMIN_ROUTES) {
    const refused = await call(method, path, viewer, body);
    assert.equal(refused.status, 403, `${method} ${path}`);
    assert.equal(JSON.parse(refused.text).message, 'this needs an admin token; "wall-screen" is a viewer');
    assert.equal((await call(method, path, null, body)).status, 401, `${method} ${path} without a token`);
  }
  assert.equal((await call('POST', '/api/connections/bitrise-sandbox/verify', admin)).status, 200);
  assert.equal(
    (await call('PUT', '/api/projects/bitrise-sandbox/none-such/default-branch', admin, { branch: 'main' }))
      .status,
    404,
  );
  assert.equal(
    (await call('POST', '/api/sync', BOOTSTRAP, { connections: ['bitrise-sandbox'] })).status,
    202,
  );
  await sync.idle();

  const audit = (await listAudit(store, { limit: 100, since: started })).map((r) => [
    r.actor,
    r.action,
    r.target,
    r.outcome,
  ]);
  assert.deepEqual(audit, [
    ['wall-screen', 'connection.verify', '{"name":"bitrise-sandbox"}', '403'],
    // Refused before the body is read: the line names what the path named.
    [
      'wall-screen',
      'project.default-branch',
      '{"connection":"bitrise-sandbox","project":"none-such"}',
      '403',
    ],
    ['wall-screen', 'sync.start', null, '403'],
    ['platform-oncall', 'connection.verify', '{"name":"bitrise-sandbox"}', 'ok'],
    [
      'platform-oncall',
      'project.default-branch',
      '{"connection":"bitrise-sandbox","project":"none-such","branch":"main"}',
      '404',
    ],
    ['BUILDLENS_SERVER_TOKEN', 'sync.start', '{"connections":["bitrise-sandbox"]}', 'ok'],
  ]);

  await revokeApiToken(store, 'wall-screen');
  const revoked = await call('GET', '/api/report', viewer);
  assert.equal(revoked.status, 401);
  assert.equal((await call('GET', '/api/report', `${admin}x`)).status, 401);
  assert.equal((await call('GET', '/api/report', admin)).status, 200);

  const everything = [
    ...answers.map((a) => a.text + a.headers),
    ...errors,
    JSON.stringify(await listAudit(store, { limit: 1000 })),
  ].join('\n');
  for (const token of [viewer, admin, BOOTSTRAP]) assert.ok(!everything.includes(token), 'a token leaked');
});

test('on loopback without a bootstrap token, no token is asked; audit lines name the local user', async (t) => {
  const { call, sync } = await listening(t, { token: null, loopback: true });
  const started = new Date();
  assert.equal((await call('POST', '/api/sync', null, { connections: ['bitrise-sandbox'] })).status, 202);
  await sync.idle();
  const audit = await listAudit(synced().store, { limit: 10, since: started });
  assert.deepEqual(
    audit.map((r) => [r.actor, r.action, r.outcome]),
    [['local', 'sync.start', 'ok']],
  );
});

test('off loopback, a named admin token is enough to start; nothing at all is refused', async (t) => {
  const { store } = synced();
  const options = { store, host: '0.0.0.0', port: 0, token: null, syncEveryMs: null } as const;
  await assert.rejects(startServer(options), UnsafeServerOptions);
  await createApiToken(store, 'only-a-viewer', 'viewer');
  t.after(() => revokeApiToken(store, 'only-a-viewer'));
  await assert.rejects(startServer(options), UnsafeServerOptions, 'a viewer cannot manage anything');
  const admin = await createApiToken(store, 'first-admin', 'admin');
  t.after(() => revokeApiToken(store, 'first-admin'));
  const server = await startServer(options);
  t.after(() => server.close());
  const port = new URL(server.url).port;
  assert.equal((await fetch(`http://127.0.0.1:${port}/api/report`)).status, 401);
  const answer = await fetch(`http://127.0.0.1:${port}/api/report`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  assert.equal(answer.status, 200);
});
