// SQLite reads on reader threads (what `serve` opens): the same answers as the main connection, a read
// sees every write committed before it, a transaction reads its own uncommitted writes, and a slow read
// holds neither the event loop nor a quick read asked after it. A thread that stops is replaced, its read
// under way fails in one line, and replacements are bounded.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { dataVersion } from '../../src/store/data-version.js';
import { inWriteTransaction } from '../../src/store/dialect.js';
import { openStore } from '../../src/store/store.js';
import { scratch } from './engines.js';

test('reads on reader threads: same answers, read-your-writes, transactions on the main connection', async (t) => {
  const path = join(scratch, 'readers.db');
  const plain = await openStore(path);
  t.after(() => plain.close());
  const store = await openStore(path, { readers: 2 });
  t.after(() => store.close());

  assert.equal(await dataVersion(store), await dataVersion(plain));
  await sql`update data_version set version = version + 1 where id = 1`.execute(store.db);
  assert.equal(await dataVersion(store), await dataVersion(plain), 'a read after a commit sees it');

  const before = await dataVersion(store);
  await inWriteTransaction(store, async (db) => {
    await sql`update data_version set version = version + 1 where id = 1`.execute(db);
    assert.equal(await dataVersion({ db }), before + 1, 'the transaction reads its own write');
    assert.equal(await dataVersion(store), before, 'others read the last commit meanwhile');
  });
  assert.equal(await dataVersion(store), before + 1);
  await assert.rejects(
    sql`select * from no_such_table`.execute(store.db),
    (error: { code?: string; message: string }) =>
      error.code === 'SQLITE_ERROR' && /no such table/.test(error.message),
  );

  // A slow read on one thread; a quick one asked after it, and the event loop, go first.
  const order: string[] = [];
  const slow = sql<{ n: number }>`select count(*) as n from (
      with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select x from c)`
    .execute(store.db)
    .then(({ rows }) => order.push(`slow ${rows[0]?.n}`));
  const loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => order.push('event loop'));
  const quick = dataVersion(store).then(() => order.push('quick'));
  await Promise.all([slow, loop, quick]);
  assert.deepEqual(order.slice(-1), ['slow 3000000']);
  assert.deepEqual(new Set(order.slice(0, 2)), new Set(['event loop', 'quick']));
});

test('a reader thread that stops is replaced: its read fails with a clear error, later reads go to a new thread; restarts are bounded', async (t) => {
  const path = join(scratch, 'readers-restart.db');
  const threads: Worker[] = [];
  const store = await openStore(path, { readers: 1, onReaderThread: (thread) => threads.push(thread) });
  t.after(() => store.close());
  const version = await dataVersion(store);
  assert.equal(threads.length, 1);

  // A read under way when its thread is stopped fails; it is not answered by anyone else.
  const slow = sql`select count(*) as n from (
      with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select x from c)`.execute(
    store.db,
  );
  await sleep(100);
  await threads[0]?.terminate();
  await assert.rejects(slow, {
    name: 'StoreError',
    message: 'a reader thread of the store stopped (exit 1) during this read; ask again',
  });
  // The only reader slot has a new thread, which answers.
  assert.equal(threads.length, 2);
  assert.notEqual(threads[1]?.threadId, threads[0]?.threadId);
  assert.equal(await dataVersion(store), version);
  assert.equal(threads.length, 2, 'the new thread answered; none other started');

  // Threads stopped again and again are replaced a bounded number of times, then reads fail in one line.
  for (let stopped = threads.length; ; stopped = threads.length) {
    await threads.at(-1)?.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    if (threads.length === stopped) break;
    assert.ok(threads.length < 20, 'restarts are bounded');
  }
  assert.equal(threads.length, 6, 'the first thread and five restarts');
  await assert.rejects(dataVersion(store), {
    name: 'StoreError',
    message: /^a reader thread of the store stopped \(exit \d+\); .*restarted 5 times within a minute/,
  });
});
