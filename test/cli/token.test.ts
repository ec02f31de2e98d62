// The built `bin/buildlens` manages named tokens and serves with them: a token is printed once and never
// again (list, audit, errors, the server's log); the server takes it with its role and refuses it as soon
// as another process revokes it; `buildlens audit` names who did what.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { buildCli } from './built-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'buildlens');
const BOOTSTRAP = 'bootstrap-token-for-the-cli-test-3b9a';

let dir: string;
let env: NodeJS.ProcessEnv;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function buildlens(args: string[]): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, '--db', join(dir, 'b.db'), ...args], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end('');
  });
}

before(() => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'buildlens-token-'));
  const { BUILDLENS_DB: _db, BUILDLENS_KEY: _key, BUILDLENS_SERVER_TOKEN: _token, ...rest } = process.env;
  env = { ...rest, XDG_DATA_HOME: join(dir, 'data'), NO_COLOR: '1' };
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function serve(t: { after: (fn: () => unknown) => void }, output: { text: string }): Promise<string> {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, '--db', join(dir, 'b.db'), 'serve', '--port', '0'],
    { cwd: dir, env: { ...env, BUILDLENS_SERVER_TOKEN: BOOTSTRAP } },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  t.after(async () => {
    child.kill('SIGINT');
    await exited;
  });
  child.stdout?.on('data', (chunk) => {
    output.text += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output.text += chunk;
  });
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url && child.exitCode === null && Date.now() < deadline) {
    url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output.text)?.[1];
    if (!url) await new Promise((ready) => setTimeout(ready, 100));
  }
  assert.ok(url, output.text);
  return url;
}

test('token create, list, revoke and audit; the server takes tokens by role', async (t) => {
  const made = await buildlens(['token', 'create', 'wall-screen', '--role', 'viewer']);
  assert.equal(made.code, 0, made.stderr);
  const viewer = made.stdout.trim();
  assert.match(viewer, /^bl_[A-Za-z0-9_-]{43}$/);
  assert.match(made.stderr, /shown this once/);
  const madeJson = await buildlens(['--json', 'token', 'create', 'oncall', '--role', 'admin']);
  assert.equal(madeJson.code, 0, madeJson.stderr);
  const { token: admin, role } = JSON.parse(madeJson.stdout) as { token: string; role: string };
  assert.equal(role, 'admin');

  for (const [args, message] of [
    [['token', 'create', 'wall-screen', '--role', 'viewer'], /a token named "wall-screen" exists/],
    [['token', 'create', 'x', '--role', 'owner'], /--role must be one of viewer, admin|--role/],
    [['token', 'create', 'x y', '--role', 'viewer'], /token name must be/],
    [['token', 'revoke', 'nobody'], /no token named "nobody"/],
  ] as const) {
    const failed = await buildlens([...args]);
    assert.equal(failed.code, 2, `${args.join(' ')}: ${failed.stderr}`);
    assert.equal(failed.stderr.trimEnd().split('\n').length, 1, failed.stderr);
    assert.match(failed.stderr, message);
  }

  const listed = await buildlens(['token', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^oncall\s+admin\s+\S+$/m);
  assert.match(listed.stdout, /^wall-screen\s+viewer\s+\S+$/m);
  const listedJson = JSON.parse((await buildlens(['--json', 'token', 'list'])).stdout) as { name: string }[];
  assert.deepEqual(
    listedJson.map((r) => r.name),
    ['oncall', 'wall-screen'],
  );

  const output = { text: '' };
  const url = await serve(t, output);
  const call = (method: string, path: string, token: string) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : '{}',
    });
  assert.equal((await call('GET', '/api/report', viewer)).status, 200);
  assert.equal((await call('POST', '/api/sync', viewer)).status, 403);
  assert.equal((await call('POST', '/api/sync', admin)).status, 202);

  // Revoked by another process: refused from the next request on.
  const revoked = await buildlens(['token', 'revoke', 'wall-screen']);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await call('GET', '/api/report', viewer)).status, 401);
  assert.equal((await call('GET', '/api/report', admin)).status, 200);

  const audit = JSON.parse((await buildlens(['--json', 'audit'])).stdout) as {
    actor: string;
    action: string;
    target: string | null;
    outcome: string;
  }[];
  const user = `cli:${(await import('node:os')).userInfo().username}`;
  assert.deepEqual(
    audit.map((r) => [r.actor, r.action, r.target, r.outcome]),
    [
      [user, 'token.create', 'wall-screen', 'ok'],
      [user, 'token.create', 'oncall', 'ok'],
      ['wall-screen', 'sync.start', null, '403'],
      ['oncall', 'sync.start', '{"connections":[]}', 'ok'],
      [user, 'token.revoke', 'wall-screen', 'ok'],
    ],
  );
  const table = await buildlens(['audit', '--limit', '2']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^when\s+who\s+what\s+on\s+outcome$/m);
  assert.match(table.stdout, /^\S+\s+oncall\s+sync\.start\s+\{"connections":\[\]\}\s+ok$/m);
  assert.equal(table.stdout.trim().split('\n').length, 3, table.stdout);

  const everything = [listed.stdout, listed.stderr, JSON.stringify(audit), table.stdout, output.text].join(
    '\n',
  );
  for (const token of [viewer, admin, BOOTSTRAP]) assert.ok(!everything.includes(token), 'a token leaked');
});
