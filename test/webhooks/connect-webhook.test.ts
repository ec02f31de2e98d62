// `buildlens connect webhook NAME` through the real CLI (in process) on a SQLite file: the secret is made
// once, stored encrypted, shown only when made or asked for; --rotate replaces it; --register creates the
// Bitrise webhook on every app of the sandbox and names the app that refused.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startSandbox } from '../../src/sandbox/index.js';
import { runInProcess } from '../cli/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'buildlens-connect-webhook-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'buildlens.db');
const env = { XDG_DATA_HOME: join(dir, 'data'), BUILDKITE_TOKEN: 'buildkite-token-for-cli-tests-0001' };
const cli = (...args: string[]) => runInProcess(['--db', db, ...args], { env });

test('connect webhook makes a secret once, shows it only when asked, and rotates it', async () => {
  const added = await cli('connect', 'add', 'bk', '--provider', 'buildkite', '--org', 'acme', '--no-verify');
  assert.equal(added.code, 0, added.stderr);

  const first = await cli('--json', 'connect', 'webhook', 'bk', '--url', 'https://ci.example.com/');
  assert.equal(first.code, 0, first.stderr);
  const made = JSON.parse(first.stdout) as { url: string; secret: string; provider: string };
  assert.equal(made.url, 'https://ci.example.com/webhooks/bk');
  assert.match(made.secret, /^[A-Za-z0-9_-]{32}$/);
  assert.ok(!readFileSync(db).includes(made.secret), 'the secret is not stored in clear');

  const again = await cli('connect', 'webhook', 'bk');
  assert.equal(again.code, 0, again.stderr);
  assert.ok(!again.stdout.includes(made.secret), 'not printed again unless asked');
  assert.match(again.stdout, /X-Buildkite-Signature/);
  assert.match(again.stdout, /--show-secret/);

  const shown = await cli('connect', 'webhook', 'bk', '--show-secret');
  assert.match(shown.stdout, new RegExp(`secret: ${made.secret}`));

  const rotated = JSON.parse((await cli('--json', 'connect', 'webhook', 'bk', '--rotate')).stdout) as {
    secret: string;
  };
  assert.notEqual(rotated.secret, made.secret);

  const register = await cli('connect', 'webhook', 'bk', '--register', '--url', 'https://ci.example.com');
  assert.equal(register.code, 2);
  assert.match(register.stderr, /--register is for Bitrise/);
  const unknown = await cli('connect', 'webhook', 'nosuch');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown connection "nosuch"/);
});

test('connect webhook --register creates the Bitrise webhook on every app and names those that refused', async (t) => {
  const probe = await startSandbox({ size: 'small' });
  const slugs = probe.bitrise.world.apps().map((a) => a.slug);
  await probe.close();
  const forbidden = slugs[1] ?? '';
  const sandbox = await startSandbox({ size: 'small', bitrise: { webhookForbiddenApps: [forbidden] } });
  t.after(() => sandbox.close());
  const withToken = { ...env, BITRISE_TOKEN: sandbox.bitrise.token };
  const run = (...args: string[]) => runInProcess(['--db', db, ...args], { env: withToken });
  assert.equal(
    (await run('connect', 'add', 'br', '--provider', 'bitrise', '--url', sandbox.bitrise.url)).code,
    0,
  );

  const noUrl = await run('connect', 'webhook', 'br', '--register');
  assert.equal(noUrl.code, 2);
  assert.match(noUrl.stderr, /--register needs --url/);

  const registered = await run(
    '--json',
    'connect',
    'webhook',
    'br',
    '--register',
    '--url',
    'https://ci.example.com',
  );
  assert.equal(registered.code, 3, registered.stderr);
  const document = JSON.parse(registered.stdout) as {
    secret: string;
    registered: string[];
    not_registered: { app: string; reason: string }[];
  };
  assert.deepEqual(
    document.registered,
    slugs.filter((s) => s !== forbidden),
  );
  assert.deepEqual(
    document.not_registered.map((f) => f.app),
    [forbidden],
  );
  assert.match(document.not_registered[0]?.reason ?? '', /^403 /);
  assert.match(registered.stderr, /could not be registered on 1 of/);

  const listed = await fetch(`${sandbox.bitrise.url}/apps/${slugs[0]}/outgoing-webhooks`, {
    headers: { authorization: sandbox.bitrise.token },
  });
  const [webhook] = ((await listed.json()) as { data: Record<string, unknown>[] }).data;
  assert.equal(webhook?.url, 'https://ci.example.com/webhooks/br');
  assert.deepEqual(webhook?.events, ['build/triggered', 'build/finished']);
  assert.deepEqual(webhook?.headers, { 'x-buildlens-webhook-secret': document.secret });
});
