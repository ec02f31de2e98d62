// On PostgreSQL each sync lock holds a pooled session for its whole work, and that work needs sessions of
// its own: a worker running its syncs and delivery batches at once (2 × --concurrency locks) must not hold
// the whole pool, or every one of them waits for a session that never comes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withSyncLock } from '../../src/store/lock.js';
import { freshStore } from './engines.js';

const LOCKS = 12;

test('as many sync locks as a worker asks for, held at once, each get a session for their work [postgres]', async (t) => {
  const store = await freshStore(t, 'postgres', { lockSessions: LOCKS });
  if (!store) return;
  let holding = 0;
  let allHeld: () => void = () => {};
  const everyoneHolds = new Promise<void>((done) => {
    allHeld = done;
  });
  const deadline = new Promise<never>((_, fail) =>
    setTimeout(() => fail(new Error(`only ${holding} of ${LOCKS} locks taken`)), 15_000).unref(),
  );
  const counts = await Promise.all(
    Array.from({ length: LOCKS }, (_, i) =>
      withSyncLock(store, { connectionId: 1000 + i, name: `c${i}` }, async () => {
        holding++;
        if (holding === LOCKS) allHeld();
        // Every lock is held before any does its work, as when all of a worker's jobs run together.
        await Promise.race([everyoneHolds, deadline]);
        const rows = await Promise.race([
          store.db.selectFrom('connections').select('id').execute(),
          deadline,
        ]);
        return rows.length;
      }),
    ),
  );
  assert.deepEqual(counts, Array(LOCKS).fill(0));
});
