// Connections: CRUD, tokens encrypted at rest, wrong keys, and cascading removal.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { writeBatch } from '../../src/store/batch.js';
import {
  addConnection,
  getConnection,
  listConnections,
  removeConnection,
} from '../../src/store/connections.js';
import { NotFoundError, StoreError } from '../../src/store/errors.js';
import { decryptSecret, encryptSecret, keyFileFor, loadKey } from '../../src/store/secrets.js';
import type { Store } from '../../src/store/store.js';
import { recordSyncStart } from '../../src/store/sync-state.js';
import { storeTest } from './engines.js';
import { job, project, raw, run } from './fixtures.js';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;

const bitrise = (name: string, token = TOKEN) =>
  ({ name, provider: 'bitrise', baseUrl: 'http://127.0.0.1:1/bitrise/v0.1', org: null, token }) as const;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof Error, 'expected a rejection');
  return error;
}

storeTest('add, list, get and remove a connection', async (store) => {
  const added = await addConnection(store, { ...bitrise('ci'), org: 'acme' });
  assert.equal(typeof added.id, 'number');
  assert.deepEqual(
    { ...added, createdAt: undefined },
    {
      id: added.id,
      name: 'ci',
      provider: 'bitrise',
      baseUrl: bitrise('ci').baseUrl,
      org: 'acme',
      createdAt: undefined,
      coveredFrom: null,
    },
  );
  assert.ok(!Number.isNaN(Date.parse(added.createdAt)));
  await addConnection(store, bitrise('another'));
  assert.deepEqual(
    (await listConnections(store)).map((c) => c.name),
    ['another', 'ci'],
  );
  const got = await getConnection(store, 'ci');
  assert.deepEqual(got, { connection: added, token: TOKEN });

  await removeConnection(store, 'ci');
  assert.deepEqual(
    (await listConnections(store)).map((c) => c.name),
    ['another'],
  );
});

storeTest('a duplicate name and unknown names are clear errors', async (store) => {
  await addConnection(store, bitrise('ci'));
  const duplicate = await rejection(addConnection(store, bitrise('ci')));
  assert.ok(duplicate instanceof StoreError);
  assert.equal(duplicate.message, 'connection "ci" already exists');

  const unknown = await rejection(getConnection(store, 'nope'));
  assert.ok(unknown instanceof NotFoundError);
  assert.equal(unknown.message, 'unknown connection "nope"');
  const removeUnknown = await rejection(removeConnection(store, 'nope'));
  assert.ok(removeUnknown instanceof NotFoundError);
});

async function storedToken(store: Store, name: string): Promise<string> {
  const row = await store.db
    .selectFrom('connections')
    .select('token_enc')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row.token_enc;
}

storeTest('the token is stored encrypted, with a 0600 key file', async (store) => {
  await addConnection(store, bitrise('ci'));
  const stored = await storedToken(store, 'ci');
  assert.ok(!stored.includes(TOKEN));
  assert.ok(!Buffer.from(stored, 'base64').toString('latin1').includes(TOKEN));
  const keyFile = keyFileFor(store);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(decryptSecret(loadKey(keyFile), stored, 'token'), TOKEN);
  if (store.dialect === 'sqlite') {
    assert.equal(keyFile, join(dirname(store.location), 'buildlens.key'));
    // Neither the database nor its WAL holds the token's bytes anywhere.
    for (const file of readdirSync(dirname(store.location))) {
      assert.ok(!readFileSync(join(dirname(store.location), file)).includes(TOKEN), `token found in ${file}`);
    }
  }
});

storeTest('a wrong key is a clear StoreError, not a crash', async (store) => {
  await addConnection(store, bitrise('ci'));
  process.env.BUILDLENS_KEY = randomBytes(32).toString('hex');
  try {
    const error = await rejection(getConnection(store, 'ci'));
    assert.ok(error instanceof StoreError);
    assert.match(error.message, /^cannot decrypt the token of connection "ci": wrong key/);
    assert.ok(!error.message.includes(TOKEN));
  } finally {
    delete process.env.BUILDLENS_KEY;
  }
  assert.equal((await getConnection(store, 'ci')).token, TOKEN);
});

test('BUILDLENS_KEY: 64 hex characters or base64 of 32 bytes; anything else is refused', () => {
  const bytes = randomBytes(32);
  const fromHex = loadKey('/nonexistent/key', { BUILDLENS_KEY: bytes.toString('hex') });
  const fromBase64 = loadKey('/nonexistent/key', { BUILDLENS_KEY: bytes.toString('base64') });
  assert.deepEqual(fromHex, bytes);
  assert.deepEqual(fromBase64, bytes);
  const sealed = encryptSecret(fromHex, 'secret');
  assert.equal(decryptSecret(fromBase64, sealed, 'x'), 'secret');
  assert.notEqual(encryptSecret(fromHex, 'secret'), sealed, 'each encryption uses a fresh IV');
  for (const bad of [
    'abc',
    bytes.toString('hex').slice(2),
    randomBytes(16).toString('base64'),
    `${'zz'.repeat(32)}`,
  ]) {
    assert.throws(() => loadKey('/nonexistent/key', { BUILDLENS_KEY: bad }), {
      name: 'SecretError',
      message: 'BUILDLENS_KEY must be 64 hex characters or base64 of 32 bytes',
    });
  }
});

storeTest('a tampered token is refused', async (store) => {
  await addConnection(store, bitrise('ci'));
  const stored = await storedToken(store, 'ci');
  const bytes = Buffer.from(stored.slice(3), 'base64');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  await store.db
    .updateTable('connections')
    .set({ token_enc: `v1:${bytes.toString('base64')}` })
    .where('name', '=', 'ci')
    .execute();
  await assert.rejects(getConnection(store, 'ci'), { name: 'SecretError' });
});

storeTest('removing a connection removes everything imported through it, and only that', async (store) => {
  const gone = await addConnection(store, bitrise('gone'));
  const kept = await addConnection(store, bitrise('kept'));
  for (const c of [gone, kept]) {
    await writeBatch(
      store,
      c.id,
      { projects: [project('app1')], runs: [run('r1')], jobs: [job('j1', 'r1')], raw: [raw('build', 'r1')] },
      { cursor: 1 },
    );
    await recordSyncStart(store, c.id);
  }
  await removeConnection(store, 'gone');
  for (const table of ['projects', 'runs', 'jobs', 'raw_payloads', 'sync_state'] as const) {
    const rows = await store.db.selectFrom(table).select('connection_id').execute();
    assert.deepEqual(rows, [{ connection_id: kept.id }], table);
  }
});
