// SQLite reads on reader threads (what `serve` opens): the same answers as the main connection, a read
// sees every write committed before it, a transaction reads its own uncommitted writes, and a slow read
// holds neither the event loop nor a quick read asked after it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
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
