// Deliveries written together (a group commit) on both store engines: each gets what it would get alone,
// in arrival order (a signature used earlier in the same batch is a replay, the same body a duplicate),
// and deliveries arriving at once through the receiver's writer share one transaction.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { addConnection } from '../../src/store/connections.js';
import { acceptDeliveries, acceptDelivery, type Delivery } from '../../src/store/inbox.js';
import type { Store } from '../../src/store/store.js';
import { InboxWriter } from '../../src/webhooks/inbox-writer.js';
import { storeTest } from '../store/engines.js';

async function connections(store: Store): Promise<[number, number]> {
  const add = (name: string) =>
    addConnection(store, {
      name,
      provider: 'buildkite',
      baseUrl: 'http://127.0.0.1:9/v2',
      org: null,
      token: `provider-token-never-used-${name}-0`,
    });
  return [(await add('a')).id, (await add('b')).id];
}

const delivery = (connectionId: number, body: string, signature: string | null): Delivery => ({
  connectionId,
  event: 'build.finished',
  body,
  signature,
  subject: null,
  final: true,
  receivedAt: new Date('2026-12-06T08:00:00Z'),
});

storeTest('a batch of deliveries is judged one after another, as if they came alone', async (store) => {
  const [a, b] = await connections(store);
  assert.equal(await acceptDelivery(store, delivery(a, '{"n":0}', '1,old')), 'stored');
  const answers = await acceptDeliveries(store, [
    delivery(a, '{"n":1}', '2,s1'),
    delivery(a, '{"n":2}', '2,s1'), // the signature just used
    delivery(a, '{"n":1}', '3,s2'), // the same body signed anew
    delivery(a, '{"n":3}', '1,old'), // a signature stored before
    delivery(a, '{"n":0}', null), // a body stored before
    delivery(b, '{"n":1}', '2,s1'), // another connection: its own signatures and bodies
    delivery(b, '{"n":4}', null),
  ]);
  assert.deepEqual(answers, ['stored', 'replayed', 'duplicate', 'replayed', 'duplicate', 'stored', 'stored']);
  const stored = await store.db
    .selectFrom('webhook_inbox')
    .select(['connection_id', 'body'])
    .orderBy('id')
    .execute();
  assert.deepEqual(
    stored.map((r) => [r.connection_id, r.body]),
    [
      [a, '{"n":0}'],
      [a, '{"n":1}'],
      [b, '{"n":1}'],
      [b, '{"n":4}'],
    ],
  );
});

storeTest('deliveries arriving at once are written in one transaction', async (store) => {
  const [a] = await connections(store);
  const writer = new InboxWriter(store);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => writer.accept(delivery(a, `{"n":${i}}`, `1,s${i}`))),
  );
  assert.deepEqual(answers, Array(20).fill('stored'));
  assert.equal(await writer.accept(delivery(a, '{"n":3}', '2,again')), 'duplicate');
  if (store.dialect === 'postgres') {
    // Rows a transaction inserted carry its id.
    const { rows } = await sql<{
      n: number;
    }>`select count(distinct xmin::text) as n from webhook_inbox`.execute(store.db);
    assert.equal(Number(rows[0]?.n), 1);
  }
});
