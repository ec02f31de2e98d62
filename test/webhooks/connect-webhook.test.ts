// `buildlens connect webhook NAME` through the real CLI (in process) on a SQLite file: the secret is made
// once, stored encrypted, shown only when made or asked for; --rotate replaces it; --register is refused
// where it does not apply.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
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
