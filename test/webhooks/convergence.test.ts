// Convergence on both engines and for both providers: the sandbox sends webhooks for eight hours of its
// builds to a real server on 127.0.0.1, with 20 % of the deliveries lost, duplicated, delayed, reordered,
// badly signed, stale or replayed, and an outage of three hours without any delivery. Every run whose deliveries all
// arrived matches, row by row, a store that polled the sandbox at the same moment; one reconciling sync then
// makes every row match, counts what the webhooks missed, and /metrics shows it.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { Provider } from '../../src/domain/model.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type SentDelivery, WebhookSender } from '../../src/sandbox/webhooks.js';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { addConnection } from '../../src/store/connections.js';
import type { Store } from '../../src/store/store.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { syncConnection } from '../../src/sync/sync.js';
import { WebhookProcessor } from '../../src/webhooks/processor.js';
import { freshStore, storeTest } from '../store/engines.js';

const SECRET = 'webhook-secret-for-convergence-0f3e';
const HOURS = 8;
const STEP_MS = 30 * 60_000;
const OUTAGE_FROM = 2 * 3_600_000;
const OUTAGE_TO = 5 * 3_600_000;
const FINISHED = ['succeeded', 'failed', 'aborted', 'skipped'];

async function rows(store: Store) {
  const runs = await store.db
    .selectFrom('runs')
    .select(['key', 'status', 'triggered_us', 'content_hash'])
    .orderBy('key')
    .execute();
  const jobs = await store.db
    .selectFrom('jobs')
    .select(['key', 'run_key', 'content_hash'])
    .orderBy('key')
    .execute();
  return { runs, jobs };
}

function addTo(store: Store, sandbox: Sandbox, provider: Provider) {
  return addConnection(store, {
    name: 'ci',
    provider,
    baseUrl: sandbox[provider].url,
    org: provider === 'buildkite' ? sandbox.buildkite.org : null,
    token: sandbox[provider].token,
  });
}

/** The status codes a delivery with this fault gets (Buildkite in signature mode; Bitrise by secret). */
function expectedStatuses(provider: Provider, d: SentDelivery): number[] {
  switch (d.fault) {
    case 'lost':
      return [];
    case 'bad_signature':
      return [401];
    case 'stale':
      return provider === 'buildkite' ? [401] : [202];
    case 'replayed':
      return provider === 'buildkite' ? [202, 401] : [202, 200];
    case 'duplicated':
      return [202, 200];
    default:
      return [202];
  }
}

async function converge(store: Store, t: TestContext, provider: Provider) {
  const sandbox = await startSandbox({
    size: 'small',
    clock: 'manual',
    seed: 3,
    now: '2026-12-01T09:00:00Z',
  });
  t.after(() => sandbox.close());
  const syncOptions = { now: () => sandbox.clock.now(), connector: { timeoutMs: 5000, maxRetries: 1 } };
  const connection = await addTo(store, sandbox, provider);
  await syncConnection(store, 'ci', syncOptions);
  const webhookSinceUs = sandbox.clock.now() * 1000;
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
  const sender = new WebhookSender(sandbox, { [provider]: target }, { seed: 11, faultRate: 0.2 });
  sender.snapshot();
  const sent: SentDelivery[] = [];
  const swallowed = new Set<string>();
  for (let at = 0; at < HOURS * 3_600_000; at += STEP_MS) {
    sandbox.clock.advance(STEP_MS);
    // From the third hour to the fifth, an outage: what moves then is never delivered at all.
    if (at >= OUTAGE_FROM && at < OUTAGE_TO) for (const subject of sender.snapshot()) swallowed.add(subject);
    else sent.push(...(await sender.flush()));
    await processor.idle();
  }

  const polled = (await freshStore(t, store.dialect)) as Store;
  await addTo(polled, sandbox, provider);
  await syncConnection(polled, 'ci', syncOptions);
  const truth = await rows(polled);

  const faulty = sent.filter((d) => d.fault !== null);
  const byFault: Record<string, number> = {};
  for (const d of faulty) byFault[d.fault ?? ''] = (byFault[d.fault ?? ''] ?? 0) + 1;
  console.log(
    `${provider}: ${sent.length} deliveries, ${faulty.length} with a fault:`,
    JSON.stringify(byFault),
  );
  assert.ok(sent.length >= 30, `enough deliveries to mean something (${sent.length})`);
  assert.ok(faulty.length / sent.length > 0.1 && faulty.length / sent.length < 0.3);
  for (const d of sent)
    assert.deepEqual(d.statuses, expectedStatuses(provider, d), `${d.event} ${d.subject} (${d.fault})`);

  // Runs none of whose deliveries were lost (duplicates, delays, reordering and replays do no harm). A
  // Bitrise pipeline's deliveries are its workflow builds'.
  const lostFaults =
    provider === 'buildkite' ? ['lost', 'bad_signature', 'stale'] : ['lost', 'bad_signature'];
  const lost = new Set([
    ...swallowed,
    ...sent.filter((d) => lostFaults.includes(d.fault ?? '')).map((d) => d.subject),
  ]);
  const moved = new Set(sent.map((d) => d.subject));
  const subjectsOf = (runKey: string) => [
    runKey,
    ...truth.jobs.filter((j) => j.run_key === runKey).map((j) => j.key),
  ];
  const before = await rows(store);
  const stored = new Map(before.runs.map((r) => [r.key, r]));
  let intact = 0;
  for (const run of truth.runs) {
    const subjects = subjectsOf(run.key);
    if (!subjects.some((s) => moved.has(s)) || subjects.some((s) => lost.has(s))) continue;
    // Finished in the outage hour: its end was never sent.
    if (FINISHED.includes(run.status) && !FINISHED.includes(stored.get(run.key)?.status ?? 'queued'))
      continue;
    intact++;
    assert.deepEqual(stored.get(run.key), run, `run ${run.key} as the webhooks left it`);
  }
  // Buildkite builds now carry more jobs (trigger steps), so fewer arrive with every delivery intact.
  assert.ok(intact >= 3, `${intact} runs arrived intact`);

  const reconciliation = await syncConnection(store, 'ci', syncOptions);
  const after = await rows(store);
  assert.deepEqual(after.runs, truth.runs, 'every run as the provider has it');
  assert.deepEqual(after.jobs, truth.jobs, 'every job as the provider has it');
  // Missed: runs the webhooks left unfinished (or never brought) that the provider has finished.
  const missed = truth.runs.filter(
    (run) =>
      run.triggered_us >= webhookSinceUs &&
      FINISHED.includes(run.status) &&
      !FINISHED.includes(stored.get(run.key)?.status ?? 'queued'),
  );
  console.log(`${provider} reconciliation: ${reconciliation.webhookMissed} runs the webhooks missed`);
  assert.ok(missed.length > 0, 'the faults lost some ends');
  assert.equal(reconciliation.webhookMissed, missed.length);

  // /metrics shows the loss: runs missed, deliveries refused, nothing left in the inbox.
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const refused = sent.reduce((n, d) => n + d.statuses.filter((s) => s === 401).length, 0);
  assert.match(
    metrics,
    new RegExp(`^buildlens_webhook_missed_runs_total\\{connection="ci"\\} ${missed.length}$`, 'm'),
  );
  assert.match(metrics, new RegExp(`^buildlens_webhook_refused_total\\{connection="ci"\\} ${refused}$`, 'm'));
  assert.match(metrics, /^buildlens_webhook_inbox_deliveries\{connection="ci",state="pending"\} 0$/m);
}

storeTest(
  'Buildkite webhooks with 20 % faults converge on the provider after one reconciliation',
  (store, t) => converge(store, t, 'buildkite'),
);

storeTest('Bitrise webhooks with 20 % faults converge on the provider after one reconciliation', (store, t) =>
  converge(store, t, 'bitrise'),
);
