// Access is decided on the route the router matched: no spelling of a path reaches a token-protected
// route without the token. Spellings are generated (percent-encoding in either case, dot segments,
// doubled slashes, absolute-form request lines, HEAD) and sent over a real socket on 127.0.0.1 exactly as
// written, the way `curl --path-as-is` or a hand-made request line would.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { createApiToken, revokeApiToken } from '../../src/store/api-tokens.js';
import { appFor, syncedForFile } from './fixture.js';

const synced = syncedForFile('access');
const TOKEN = 'server-token-for-access-tests-9d41';

interface Answer {
  status: number;
  type: string;
  body: string;
}

/** Sends `requestLine` as written (no client-side normalization) and reads the whole answer. */
function send(port: number, method: string, target: string, token: string | null): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${method} ${target}`)));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // An event stream (/api/events) stays open: its head is the answer.
      const text = Buffer.concat(chunks).toString('latin1');
      if (text.includes('\r\n\r\n') && /\r\ncontent-type: text\/event-stream/i.test(text)) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const type = /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1] ?? '';
      resolve({ status, type, body });
    });
    const auth = token === null ? '' : `Authorization: Bearer ${token}\r\n`;
    // A state-changing request says it has no body, as a client sending none would.
    const length = method === 'GET' || method === 'HEAD' ? '' : 'Content-Length: 0\r\n';
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${auth}${length}Connection: close\r\n\r\n`,
    );
  });
}

/** A deterministic generator, so a failing spelling can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const hex = (c: string, upper: boolean) => {
  const code = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? code.toUpperCase() : code}`;
};

/** One spelling of `path` that a lenient router may still match. */
function spell(path: string, next: () => number): string {
  const segments = path.split('/').slice(1);
  const out: string[] = [];
  for (const segment of segments) {
    if (next() < 0.15) out.push('.');
    if (next() < 0.1) out.push('zz', '..');
    out.push([...segment].map((c) => (next() < 0.35 ? hex(c, next() < 0.5) : c)).join(''));
  }
  let spelled = `/${out.join(next() < 0.1 ? '//' : '/')}`;
  if (next() < 0.3) spelled = `http://${next() < 0.5 ? 'x' : '127.0.0.1'}${spelled}`;
  if (next() < 0.2) spelled += next() < 0.5 ? '?' : '?a=1';
  return spelled;
}

test('no spelling of a path reaches a protected route without the token', async (t) => {
  const { app } = await appFor(synced(), t, { token: TOKEN, loopback: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const port = address.port;

  const openapi = await send(port, 'GET', '/api/openapi.json', TOKEN);
  const documented = Object.keys((JSON.parse(openapi.body) as { paths: object }).paths);
  const run = await send(port, 'GET', '/api/runs?limit=1', TOKEN);
  const runKey = (JSON.parse(run.body) as { runs: { key: string }[] }).runs[0]?.key ?? 'none';
  const paths = documented
    .filter((p) => p !== '/healthz')
    .map((p) => p.replace('{name}', 'bitrise-sandbox').replace(/\{[a-z_]+\}/g, encodeURIComponent(runKey)));
  assert.ok(paths.length >= 8, `the API documents its routes (${paths.join(', ')})`);

  const next = random(20261206);
  let reached = 0;
  let tried = 0;
  for (const path of paths) {
    for (let i = 0; i < 40; i++) {
      const target = i === 0 ? path : spell(path, next);
      const method = next() < 0.25 ? 'HEAD' : 'GET';
      tried++;
      const without = await send(port, method, target, null);
      const isShell = without.status === 200 && without.type.startsWith('text/html');
      assert.ok(
        without.status === 401 || without.status === 404 || without.status === 400 || isShell,
        `${method} ${target} answered ${without.status} (${without.type}) without the token`,
      );
      if (isShell) assert.doesNotMatch(without.body, /"rows"|"runs"|buildlens_runs/, target);
      const withToken = await send(port, method, target, TOKEN);
      if (withToken.status === 200 && !withToken.type.startsWith('text/html')) reached++;
    }
  }
  // The generated spellings must really reach the routes, or the check above proves nothing.
  assert.ok(reached > tried / 3, `only ${reached} of ${tried} spellings reached a route with the token`);
});

test('roles: no spelling of an admin route lets a viewer in; every route says who may call it', async (t) => {
  const { store } = synced();
  const viewer = await createApiToken(store, 'access-test-viewer', 'viewer');
  t.after(() => revokeApiToken(store, 'access-test-viewer'));
  const { app } = await appFor(synced(), t, { token: TOKEN, loopback: false });
  // Declares nothing: deny by default, so it needs an admin.
  app.get('/api/undeclared', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const port = address.port;

  const document = JSON.parse((await send(port, 'GET', '/api/openapi.json', TOKEN)).body) as {
    paths: Record<string, Record<string, { 'x-buildlens-access'?: string }>>;
  };
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      path: path.replace('{name}', 'bitrise-sandbox').replace(/\{[a-z_]+\}/g, 'x'),
      method: method.toUpperCase(),
      access: operation['x-buildlens-access'],
    })),
  );
  for (const { path, method, access } of operations) {
    const expected =
      path === '/healthz'
        ? 'open'
        : path.startsWith('/webhooks/')
          ? 'webhook'
          : method === 'GET'
            ? 'viewer'
            : 'admin';
    assert.equal(access, expected, `${method} ${path}`);
  }
  assert.equal(
    (await send(port, 'GET', '/api/undeclared', viewer)).status,
    403,
    'a route that declares nothing is refused to a viewer',
  );
  assert.equal((await send(port, 'GET', '/api/undeclared', TOKEN)).status, 200);

  const next = random(20261207);
  let refused = 0;
  for (const { path, method, access } of operations) {
    for (let i = 0; i < 20; i++) {
      const target = i === 0 ? path : spell(path, next);
      const answer = await send(port, method, target, viewer);
      if (access === 'admin') {
        assert.ok(
          answer.status === 403 || answer.status === 404 || answer.status === 400,
          `${method} ${target} answered ${answer.status} to a viewer`,
        );
        if (answer.status === 403) refused++;
      } else if (access === 'viewer' && i === 0)
        assert.ok(answer.status !== 401 && answer.status !== 403, `${method} ${target}: ${answer.status}`);
    }
  }
  assert.ok(refused > 20, `only ${refused} spellings of admin routes reached their route`);
});
