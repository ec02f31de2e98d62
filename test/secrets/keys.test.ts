// The key that seals tokens is never replaced behind the user's back: a lost key file is reported with how
// to restore it, `connect set-token` re-enters a token keeping the connection's data, `connect list` shows
// unreadable tokens as such, and one connection's trouble (an unreadable token, a held lock) fails that
// connection only while `sync --json` still prints its document.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { getConnection } from '../../src/store/connections.js';
import { withSyncLock } from '../../src/store/lock.js';
import { openStore } from '../../src/store/store.js';

delete process.env.BUILDLENS_KEY;

async function setup(t: { after(fn: () => unknown): void }) {
  const sandbox = await startSandbox({ size: 'small', clock: 'manual', now: Date.now() });
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-keys-'));
  t.after(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const db = join(dir, 'buildlens.db');
  const env = { XDG_DATA_HOME: join(dir, 'data'), BITRISE_TOKEN: sandbox.bitrise.token, NO_COLOR: '1' };
  const run = async (args: string[], input = '') => {
    let stdout = '';
    let stderr = '';
    const sink = (write: (text: string) => void) =>
      new Writable({
        write(chunk, _encoding, next) {
          write(String(chunk));
          next();
        },
      });
    const code = await runCli(['--db', db, ...args], {
      stdout: sink((text) => {
        stdout += text;
      }),
      stderr: sink((text) => {
        stderr += text;
      }),
      stdin: Readable.from([input]),
      env,
    });
    for (const token of [sandbox.bitrise.token, sandbox.buildkite.token])
      assert.ok(!(stdout + stderr).includes(token), 'no token in the output');
    return { code, stdout, stderr };
  };
  const add = async (name: string, provider: 'bitrise' | 'buildkite') =>
    run(
      ['connect', 'add', name, '--provider', provider, '--url', sandbox[provider].url, '--token-stdin'],
      sandbox[provider].token,
    );
  return { sandbox, dir, db, run, add, keyFile: join(dir, 'buildlens.key') };
}

test('a lost key file is never replaced silently; set-token re-enters a token and keeps the data', async (t) => {
  const { db, run, add, keyFile, sandbox } = await setup(t);
  assert.equal((await add('bk', 'buildkite')).code, 0);
  assert.equal((await add('br', 'bitrise')).code, 0);
  const first = await run(['-q', 'sync', 'bk']);
  assert.equal(first.code, 0, first.stderr);
  const runsBefore = JSON.parse((await run(['--json', 'runs', '--limit', '1000'])).stdout).length;
  assert.ok(runsBefore > 0);

  unlinkSync(keyFile);
  const refused = await add('third', 'bitrise');
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /^buildlens: the key file .*buildlens\.key is missing, and 2 connections have their tokens encrypted with it: restore it from your backup .*connect set-token NAME"\n$/m,
  );
  assert.ok(!existsSync(keyFile), 'no new key was created');

  const list = await run(['--json', 'connect', 'list']);
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as { name: string; token: string; token_error: string | null }[];
  assert.deepEqual(
    rows.map((r) => [r.name, r.token]),
    [
      ['bk', 'unreadable'],
      ['br', 'unreadable'],
    ],
  );
  assert.match(rows[0]?.token_error ?? '', /key file .* is missing/);
  const table = await run(['connect', 'list']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^bk .* unreadable/m);
  assert.match(table.stderr, /^buildlens: cannot read the token of "bk", "br": /);
  assert.ok(!existsSync(keyFile), 'listing created no key');

  const sync = await run(['--json', '-q', 'sync']);
  assert.equal(sync.code, 3, sync.stderr);
  const document = JSON.parse(sync.stdout) as { failed: { connection: string; error: string }[] };
  assert.deepEqual(
    document.failed.map((f) => f.connection),
    ['bk', 'br'],
  );

  const reentered = await run(['connect', 'set-token', 'bk', '--token-stdin'], sandbox.buildkite.token);
  assert.equal(reentered.code, 0, reentered.stderr);
  assert.match(reentered.stdout, /^saved the new token of "bk"$/m);
  assert.match(reentered.stderr, /created a new key file .*buildlens\.key: tokens saved under the lost key/);
  const after = JSON.parse((await run(['--json', 'connect', 'list'])).stdout) as typeof rows;
  assert.match(after[0]?.token ?? '', /…/);
  assert.equal(after[1]?.token, 'unreadable');
  assert.equal(JSON.parse((await run(['--json', 'runs', '--limit', '1000'])).stdout).length, runsBefore);
  const again = await run(['-q', 'sync', 'bk']);
  assert.equal(again.code, 0, again.stderr);

  // A token the provider refuses is not saved.
  const wrong = await run(['connect', 'set-token', 'br', '--token-stdin'], 'not-the-token-at-all');
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.equal((await run(['-q', 'sync', 'br'])).code, 3);
  assert.equal((await run(['connect', 'set-token', 'br', '--token-stdin'], sandbox.bitrise.token)).code, 0);
  const store = await openStore(db);
  t.after(() => store.close());
  assert.equal((await getConnection(store, 'br')).token, sandbox.bitrise.token);
});

test('a key file readable by others is warned about on every command', async (t) => {
  const { run, add, keyFile } = await setup(t);
  assert.equal((await add('br', 'bitrise')).code, 0);
  chmodSync(keyFile, 0o644);
  const list = await run(['-q', 'connect', 'list']);
  assert.equal(list.code, 0);
  assert.match(
    list.stderr,
    /^buildlens: warning: the key file .*buildlens\.key is readable by other users \(mode 644\); .*chmod 600 /,
  );
  chmodSync(keyFile, 0o600);
  assert.equal((await run(['-q', 'connect', 'list'])).stderr, '');
});

test('sync of every connection: a held lock or an unreadable token fails that connection only', async (t) => {
  const { db, run, add } = await setup(t);
  assert.equal((await add('bk', 'buildkite')).code, 0);
  assert.equal((await add('br', 'bitrise')).code, 0);
  assert.equal((await add('br2', 'bitrise')).code, 0);
  const store = await openStore(db);
  t.after(() => store.close());
  // br2's token sealed under another key: what a key file replaced by hand leaves behind.
  await store.db
    .updateTable('connections')
    .set({ token_enc: `v1:${Buffer.alloc(48, 7).toString('base64')}` })
    .where('name', '=', 'br2')
    .execute();
  const { connection } = await getConnection(store, 'bk');
  let release = () => {};
  let taken = () => {};
  const held = new Promise<void>((ok) => {
    taken = ok;
  });
  const holder = withSyncLock(store, { connectionId: connection.id, name: 'bk' }, async () => {
    taken();
    await new Promise<void>((ok) => {
      release = ok;
    });
  });
  await held;
  const sync = await run(['--json', '-q', 'sync']);
  release();
  await holder;
  assert.equal(sync.code, 3, sync.stderr);
  const document = JSON.parse(sync.stdout) as {
    connections: { connection: string }[];
    failed: { connection: string; error: string }[];
  };
  assert.deepEqual(
    document.connections.map((c) => c.connection),
    ['br'],
  );
  assert.deepEqual(
    document.failed.map((f) => f.connection),
    ['bk', 'br2'],
  );
  assert.match(document.failed[0]?.error ?? '', /^another sync of "bk" is running on this database/);
  assert.match(document.failed[1]?.error ?? '', /^cannot decrypt the token of connection "br2": wrong key/);
  assert.match(sync.stderr, /^buildlens: sync of "bk" failed: .*; sync of "br2" failed: /m);
});
