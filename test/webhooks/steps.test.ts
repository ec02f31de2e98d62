// Steps of runs that arrive by webhook, for both providers: the sandbox sends eight hours of its builds'
// deliveries to a real server on 127.0.0.1 (no faults). Buildkite deliveries carry the jobs, which are the
// steps; a Bitrise delivery starts a sync of its app, which fetches the log summary of every build it
// finds finished. Either way the store ends with the steps a store that polled the sandbox has.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { STEP_LIST_KIND } from '../../src/connectors/contract.js';
import type { Provider } from '../../src/domain/model.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { WebhookSender } from '../../src/sandbox/webhooks.js';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { addConnection } from '../../src/store/connections.js';
import type { Store } from '../../src/store/store.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { syncConnection } from '../../src/sync/sync.js';
import { WebhookProcessor } from '../../src/webhooks/processor.js';
import { freshStore } from '../store/engines.js';

const SECRET = 'webhook-secret-for-step-tests-7a1c';
const STEP_MS = 30 * 60_000;
const HOURS = 8;
const FINISHED = ['succeeded', 'failed', 'aborted', 'skipped'];

function addTo(store: Store, sandbox: Sandbox, provider: Provider) {
  return addConnection(store, {
    name: 'ci',
    provider,
    baseUrl: sandbox[provider].url,
    org: provider === 'buildkite' ? sandbox.buildkite.org : null,
    token: sandbox[provider].token,
  });
}

/** Steps of the runs finished in `store` since `sinceUs`, row by row. */
async function finishedSteps(store: Store, sinceUs: number) {
  return store.db
    .selectFrom('steps as s')
    .innerJoin('runs as r', (join) =>
      join.onRef('r.connection_id', '=', 's.connection_id').onRef('r.key', '=', 's.run_key'),
    )
    .select(['s.key', 's.run_key', 's.job_key', 's.name', 's.status', 's.content_hash'])
    .where('r.status', 'in', FINISHED)
    .where('r.triggered_us', '>=', sinceUs)
    .orderBy('s.key')
    .execute();
}

async function stepsByWebhook(t: TestContext, provider: Provider) {
  const store = (await freshStore(t, 'sqlite')) as Store;
  const sandbox = await startSandbox({
    size: 'small',
    clock: 'manual',
    seed: 5,
    now: '2026-12-01T09:00:00Z',
  });
  t.after(() => sandbox.close());
  const syncOptions = { now: () => sandbox.clock.now(), connector: { timeoutMs: 5000, maxRetries: 1 } };
  const connection = await addTo(store, sandbox, provider);
  await syncConnection(store, 'ci', syncOptions);
  const sinceUs = sandbox.clock.now() * 1000;
  await setWebhookSecret(store, connection, SECRET, new Date(sandbox.clock.now()));
  const processor = new WebhookProcessor(store, { sync: syncOptions });
  const app = await buildApp({
    store,
    sync: new SyncRunner(store),
    token: null,
    loopback: true,
    webhookProcessor: processor,
    log: () => {},
  });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const target = { url: `http://127.0.0.1:${port}/webhooks/ci`, secret: SECRET };
  const sender = new WebhookSender(sandbox, { [provider]: target }, { seed: 11, faultRate: 0 });
  sender.snapshot();
  let delivered = 0;
  for (let at = 0; at < HOURS * 3_600_000; at += STEP_MS) {
    sandbox.clock.advance(STEP_MS);
    delivered += (await sender.flush()).length;
    await processor.idle();
  }
  assert.ok(delivered >= 10, `${delivered} deliveries`);

  const polled = (await freshStore(t, 'sqlite')) as Store;
  await addTo(polled, sandbox, provider);
  await syncConnection(polled, 'ci', syncOptions);
  const truth = await finishedSteps(polled, sinceUs);
  const got = await finishedSteps(store, sinceUs);
  const runs = new Set(truth.map((s) => s.run_key)).size;
  console.log(
    `${provider}: ${delivered} deliveries, ${truth.length} steps of ${runs} runs finished meanwhile`,
  );
  assert.ok(runs >= 3, 'runs with steps finished meanwhile');
  assert.deepEqual(got, truth, 'every finished run’s steps, as polling gets them');
  return store;
}

test('Buildkite deliveries bring the steps their command jobs are', async (t) => {
  await stepsByWebhook(t, 'buildkite');
});

test('a Bitrise delivery’s app sync fetches the log summary of every build it finds finished', async (t) => {
  const store = await stepsByWebhook(t, 'bitrise');
  const summaries = await store.db
    .selectFrom('raw_payloads')
    .select('key')
    .where('kind', '=', STEP_LIST_KIND)
    .execute();
  assert.ok(summaries.length > 0);
});
