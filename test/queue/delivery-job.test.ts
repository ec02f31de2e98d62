// A worker's delivery job on both engines: it processes its delivery with the other pending ones of the
// same connection (a burst is one batch under the connection's lock), leaves other connections' alone, and
// a job whose delivery a batch already took does nothing.
import assert from 'node:assert/strict';
import { runDeliveryJob } from '../../src/queue/worker.js';
import { addConnection } from '../../src/store/connections.js';
import { acceptDelivery } from '../../src/store/inbox.js';
import { withSyncLock } from '../../src/store/lock.js';
import type { Store } from '../../src/store/store.js';
import { storeTest } from '../store/engines.js';
import { buildkiteDeliveryBody, REST_BUILD } from '../webhooks/buildkite-delivery.js';

async function connection(store: Store, name: string) {
  return addConnection(store, {
    name,
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: name,
    token: `provider-token-of-${name}-0123`,
  });
}

async function receive(store: Store, connectionId: number, n: number, event = 'ping'): Promise<number> {
  await acceptDelivery(store, {
    connectionId,
    event,
    body: event === 'ping' ? JSON.stringify({ event, n }) : buildkiteDeliveryBody(event),
    signature: null,
    subject: null,
    final: false,
    receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
  });
  const row = await store.db
    .selectFrom('webhook_inbox')
    .select('id')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return row.id;
}

const states = (store: Store) =>
  store.db.selectFrom('webhook_inbox').select(['id', 'connection_id', 'state']).orderBy('id').execute();

storeTest('a delivery job takes the pending deliveries of its connection with it', async (store) => {
  const a = await connection(store, 'org-a');
  const b = await connection(store, 'org-b');
  const ids = [await receive(store, a.id, 1), await receive(store, b.id, 2), await receive(store, a.id, 3)];
  const mine = await receive(store, a.id, 4);

  assert.deepEqual(await runDeliveryJob(store, { inbox: mine }), { processed: 3 });
  assert.deepEqual(
    (await states(store)).map((r) => [r.connection_id, r.state]),
    [
      [a.id, 'ignored'],
      [b.id, 'pending'],
      [a.id, 'ignored'],
      [a.id, 'ignored'],
    ],
  );
  // The jobs of the deliveries the batch took find nothing to do.
  assert.deepEqual(await runDeliveryJob(store, { inbox: ids[0] as number }), { processed: 0 });
  assert.deepEqual(await runDeliveryJob(store, { inbox: ids[1] as number }), { processed: 1 });
});

storeTest('a delivery job meeting its connection’s lock is tried again, nothing counted', async (store) => {
  // The organization of the example build, so that the delivery is written.
  const a = await connection(store, 'my-great-org');
  const id = await receive(store, a.id, 1, 'build.finished');
  await withSyncLock(store, { connectionId: a.id, name: a.name }, async () => {
    await assert.rejects(runDeliveryJob(store, { inbox: id }), /holds its lock: after it/);
  });
  const [row] = await store.db.selectFrom('webhook_inbox').select(['state', 'attempts']).execute();
  assert.deepEqual(row, { state: 'pending', attempts: 0 });
  assert.deepEqual(await runDeliveryJob(store, { inbox: id }), { processed: 1 });
  const runs = await store.db.selectFrom('runs').select('key').execute();
  assert.deepEqual(runs, [{ key: REST_BUILD.id }]);
});
