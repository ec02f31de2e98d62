// One sync per connection at a time, across processes: while a sync holds a connection, a second `buildlens
// sync` refuses in one line naming the holder and touches nothing; a holder killed with SIGKILL does not
// block the next sync. On SQLite (a lock file beside the database) and PostgreSQL (an advisory lock).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { listConnectionRecords } from '../../src/store/connection-records.js';
import { addConnection, getConnection, removeConnection } from '../../src/store/connections.js';
import { lockFilePath, SyncLockedError, syncLockHolder, withSyncLock } from '../../src/store/lock.js';
import { openStore, type Store } from '../../src/store/store.js';
import { readSyncState } from '../../src/store/sync-state.js';
import { syncConnection } from '../../src/sync/sync.js';
import { compareWithTruth, connectBoth, startRig } from '../faults/rig.js';
import { freshStore, pgDatabaseUrl } from '../store/engines.js';
import { type CliResult, integrity, killAfter, startCli } from './cli.js';

const REFUSED =
  /^buildlens: sync of "bitrise" failed: another sync of "bitrise" is running on this database \(pid (\d+) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); wait for it to finish$/;

/** Holds the sync lock of a connection until `release()` is called. */
async function holdLock(store: Store, name: string) {
  const { connection } = await getConnection(store, name);
  let release = () => {};
  const released = new Promise<void>((ok) => {
    release = ok;
  });
  let taken = () => {};
  const held = new Promise<void>((ok) => {
    taken = ok;
  });
  const done = withSyncLock(store, { connectionId: connection.id, name }, async () => {
    taken();
    await released;
  });
  await Promise.race([held, done]);
  return { connection, release, done };
}

/** The last sync's result of each connection (bitrise, buildkite), as `connect list` and the API show it. */
async function results(store: Store): Promise<string[]> {
  return (await listConnectionRecords(store)).map((c) => c.last_sync_result);
}

function assertRefused(result: CliResult, holderPid: number): void {
  // The connection's failure, like a provider's: exit 3, the other connections still sync.
  assert.equal(result.code, 3, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  const match = REFUSED.exec(lines[0] ?? '');
  assert.ok(match, lines[0]);
  assert.equal(Number(match[1]), holderPid, 'the holder is named');
}

test('SQLite: a second sync refuses while one holds the connection; a SIGKILLed holder does not block', async (t) => {
  const rig = await startRig({ now: Date.now() });
  t.after(() => rig.close());
  const env = { XDG_DATA_HOME: join(rig.dir, 'data'), NO_COLOR: '1' };
  const sync = () => startCli(['--db', rig.dbPath, '-q', 'sync', 'bitrise'], env, rig.dir);

  const holder = await holdLock(rig.store, 'bitrise');
  const path = lockFilePath(rig.store, holder.connection.id);
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
  assertRefused(await sync().done, process.pid);
  const untouched = await readSyncState(rig.store, holder.connection.id);
  assert.equal(untouched.lastStartedAt, null, 'the refused sync recorded nothing');
  // In this process too: the lock is per database, not per process.
  await assert.rejects(syncConnection(rig.store, 'bitrise'), SyncLockedError);
  holder.release();
  await holder.done;
  assert.equal(existsSync(path), false, 'released: the lock file is gone');

  // Killed mid-sync, the holder leaves its lock file behind; the next sync takes it over.
  const killed = await killAfter(rig.sandbox, 3, ['--db', rig.dbPath, '-q', 'sync', 'bitrise'], env, rig.dir);
  assert.ok(killed.killed, `killed mid-sync: ${killed.stderr}`);
  const stale = JSON.parse(readFileSync(path, 'utf8')) as { pid: number };
  assert.equal(stale.pid, killed.pid, 'the dead holder’s lock is still there');
  assert.deepEqual(await results(rig.store), ['interrupted', 'never']);
  const again = await holdLock(rig.store, 'bitrise');
  assert.deepEqual(await results(rig.store), ['running', 'never'], 'a live holder');
  again.release();
  await again.done;
  const next = await sync().done;
  assert.equal(next.code, 0, next.stderr);
  assert.equal(existsSync(path), false);
  assert.deepEqual(await results(rig.store), ['ok', 'never']);
  assert.equal(integrity(rig.dbPath), 'ok');
  const { mismatches } = await compareWithTruth(rig.store, rig.sandbox, 'bitrise');
  assert.deepEqual(mismatches.slice(0, 5), []);
});

/** The PostgreSQL URL of a store's schema, for a child process. */
async function urlOf(store: Store): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  const url = new URL(await pgDatabaseUrl());
  url.searchParams.set('options', `-c search_path=${rows[0]?.schema}`);
  return url.toString();
}

test('PostgreSQL: a second sync refuses while one holds the connection; a SIGKILLed holder does not block', async (t) => {
  const store = await freshStore(t, 'postgres');
  if (!store) return;
  const rig = await startRig({ now: Date.now() });
  t.after(() => rig.close());
  await connectBoth(store, rig.sandbox);
  const url = await urlOf(store);
  // The child reads the same key file (the user's data directory, set by freshStore).
  const env = { XDG_DATA_HOME: process.env.XDG_DATA_HOME, NO_COLOR: '1' };
  const args = ['--db', url, '-q', 'sync', 'bitrise'];

  const holder = await holdLock(store, 'bitrise');
  assertRefused(await startCli(args, env, rig.dir).done, process.pid);
  // A second pool is another session, as another process would be.
  const other = await openStore(url);
  t.after(() => other.close());
  await assert.rejects(syncConnection(other, 'bitrise'), SyncLockedError);
  assert.equal((await readSyncState(store, holder.connection.id)).lastStartedAt, null);
  holder.release();
  await holder.done;

  const killed = await killAfter(rig.sandbox, 3, args, env, rig.dir);
  assert.ok(killed.killed, `killed mid-sync: ${killed.stderr}`);
  // The server ends the dead client's session when it notices the closed socket: wait for that, bounded.
  for (let waited = 0; (await syncLockHolder(store, holder.connection.id)) && waited < 10_000; waited += 50)
    await sleep(50);
  assert.deepEqual(await results(store), ['interrupted', 'never']);
  const next = await startCli(args, env, rig.dir).done;
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(await results(store), ['ok', 'never']);
  const { mismatches } = await compareWithTruth(store, rig.sandbox, 'bitrise');
  assert.deepEqual(mismatches.slice(0, 5), []);
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`removing a connection is refused while a sync holds it, and done after [${dialect}]`, async (t) => {
    const store = await freshStore(t, dialect);
    if (!store) return;
    await addConnection(store, {
      name: 'bitrise',
      provider: 'bitrise',
      baseUrl: 'http://127.0.0.1:9',
      org: null,
      token: 'x',
    });
    const holder = await holdLock(store, 'bitrise');
    await assert.rejects(removeConnection(store, 'bitrise'), (error: Error) => {
      assert.ok(error instanceof SyncLockedError);
      assert.match(error.message, /another sync of "bitrise" is running on this database/);
      return true;
    });
    assert.equal((await listConnectionRecords(store)).length, 1, 'nothing removed');
    holder.release();
    await holder.done;
    await removeConnection(store, 'bitrise');
    assert.equal((await listConnectionRecords(store)).length, 0);
  });
}
