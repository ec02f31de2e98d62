// GET /api/events over real HTTP on both store engines: the data version at once, then a new one when a
// write lands through another handle on the store (another replica, the CLI, a webhook processed
// elsewhere), on every replica listening; the API token is needed; open streams do not keep a server from
// closing.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { dataVersion } from '../../src/store/data-version.js';
import { openStore, type Store } from '../../src/store/store.js';
import { storeTest } from '../store/engines.js';
import { project, run } from '../store/fixtures.js';

const TOKEN = 'api-token-for-the-events-tests-9c1e';

async function replica(store: Store, t: TestContext): Promise<string> {
  const app = await buildApp({
    store,
    sync: new SyncRunner(store),
    token: TOKEN,
    loopback: true,
    log: () => {},
    watchEveryMs: 20,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** Reads server-sent events from a fetch body, one `{event, data}` at a time. */
async function events(url: string, t: TestContext) {
  const abort = new AbortController();
  t.after(() => abort.abort());
  const response = await fetch(`${url}/api/events`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: abort.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return async function next(): Promise<{ event: string; version: number }> {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        const event = field('event');
        if (event === undefined) continue; // retry and keep-alive comments
        return { event, version: (JSON.parse(field('data') ?? '{}') as { version: number }).version };
      }
      const { value, done } = await reader.read();
      assert.equal(done, false, 'the stream stays open');
      buffered += decoder.decode(value, { stream: true });
    }
  };
}

storeTest('/api/events: the data version now, then each new one on every replica', async (store, t) => {
  // Another handle on the same store, as another process holds it (PostgreSQL: the same pool will do).
  const other = store.dialect === 'sqlite' ? await openStore(store.location) : store;
  if (other !== store) t.after(() => other.close());
  const first = await replica(store, t);
  const second = await replica(other, t);

  const refused = await fetch(`${first}/api/events`);
  assert.equal(refused.status, 401, 'the API token is needed');
  await refused.arrayBuffer();

  const before = await dataVersion(store);
  const onFirst = await events(first, t);
  const onSecond = await events(second, t);
  assert.deepEqual(await onFirst(), { event: 'data_version', version: before });
  assert.deepEqual(await onSecond(), { event: 'data_version', version: before });

  // A run lands through the other handle: both replicas read it from the store.
  const id = (
    await addConnection(other, {
      name: 'ci',
      provider: 'bitrise',
      baseUrl: 'http://127.0.0.1:1',
      org: null,
      token: 'provider-token-never-used-0001',
    })
  ).id;
  await writeBatch(other, id, { projects: [project('app1')], runs: [run('r1', 0)], jobs: [], raw: [] });
  const after = await dataVersion(store);
  assert.ok(after > before);
  // Polling may see the connection and the run together or one after the other: wait for the last.
  for (const next of [onFirst, onSecond]) {
    let seen = before;
    while (seen !== after) {
      const { event, version } = await next();
      assert.equal(event, 'data_version');
      assert.ok(version > seen, `versions only move on (${seen} then ${version})`);
      seen = version;
    }
  }
});
