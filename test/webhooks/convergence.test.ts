// Convergence on both engines: the sandbox sends Buildkite webhooks for eight hours of its builds to a real
// server on 127.0.0.1, with 20 % of the deliveries lost, duplicated, delayed, reordered, badly signed,
// stale or replayed, and then an hour without any delivery. Every run whose deliveries all arrived matches, row by row, a store that polled the
// sandbox at the same moment; one reconciling sync then makes every row match, and counts what the
// webhooks missed.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { startSandbox } from '../../src/sandbox/index.js';
import { WebhookSender } from '../../src/sandbox/webhooks.js';
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

async function buildkiteStore(store: Store, sandbox: Awaited<ReturnType<typeof startSandbox>>) {
  return addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: sandbox.buildkite.url,
    org: sandbox.buildkite.org,
    token: sandbox.buildkite.token,
  });
}

storeTest(
  'Buildkite webhooks with 20 % faults converge on the provider after one reconciliation',
  async (store, t: TestContext) => {
    const sandbox = await startSandbox({
      size: 'small',
      clock: 'manual',
      seed: 3,
      now: '2026-12-01T09:00:00Z',
    });
    t.after(() => sandbox.close());
    const syncOptions = { now: () => sandbox.clock.now(), connector: { timeoutMs: 5000, maxRetries: 1 } };
    const connection = await buildkiteStore(store, sandbox);
    await syncConnection(store, 'bk', syncOptions);
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

    const sender = new WebhookSender(
      sandbox,
      { buildkite: { url: `http://127.0.0.1:${port}/webhooks/bk`, secret: SECRET } },
      { seed: 11, faultRate: 0.2 },
    );
    sender.snapshot();
    const sent = [];
    for (let at = 0; at < HOURS * 3_600_000; at += STEP_MS) {
      sandbox.clock.advance(STEP_MS);
      sent.push(...(await sender.flush()));
    }
    // Then an outage: nothing of the last hour is delivered at all.
    sandbox.clock.advance(3_600_000);
    await processor.idle();

    const polled = (await freshStore(t, store.dialect)) as Store;
    await buildkiteStore(polled, sandbox);
    await syncConnection(polled, 'bk', syncOptions);
    const truth = await rows(polled);

    const faulty = sent.filter((d) => d.fault !== null);
    const byFault: Record<string, number> = {};
    for (const d of faulty) byFault[d.fault ?? ''] = (byFault[d.fault ?? ''] ?? 0) + 1;
    console.log(`${sent.length} deliveries, ${faulty.length} with a fault:`, byFault);
    assert.ok(sent.length >= 50, `enough deliveries to mean something (${sent.length})`);
    assert.ok(faulty.length / sent.length > 0.1 && faulty.length / sent.length < 0.3);
    for (const d of sent) {
      const expected =
        d.fault === 'lost'
          ? []
          : d.fault === 'bad_signature' || d.fault === 'stale'
            ? [401]
            : d.fault === 'replayed'
              ? [202, 401]
              : d.fault === 'duplicated'
                ? [202, 200]
                : [202];
      assert.deepEqual(d.statuses, expected, `${d.event} ${d.subject} (${d.fault})`);
    }

    // Runs none of whose deliveries were lost (duplicates, delays, reordering and replays do no harm).
    const lost = new Set(
      sent.filter((d) => ['lost', 'bad_signature', 'stale'].includes(d.fault ?? '')).map((d) => d.subject),
    );
    const moved = new Set(sent.map((d) => d.subject));
    const before = await rows(store);
    const stored = new Map(before.runs.map((r) => [r.key, r]));
    let intact = 0;
    for (const run of truth.runs) {
      if (!moved.has(run.key) || lost.has(run.key)) continue;
      intact++;
      assert.deepEqual(stored.get(run.key), run, `run ${run.key} as the webhooks left it`);
    }
    assert.ok(intact >= 5, `${intact} runs arrived intact`);

    const reconciliation = await syncConnection(store, 'bk', syncOptions);
    const after = await rows(store);
    assert.deepEqual(after.runs, truth.runs, 'every run as the provider has it');
    assert.deepEqual(after.jobs, truth.jobs, 'every job as the provider has it');
    // Missed: runs the webhooks left unfinished (or never brought) that the provider has finished.
    const FINISHED = ['succeeded', 'failed', 'aborted', 'skipped'];
    const missed = truth.runs.filter(
      (run) =>
        run.triggered_us >= webhookSinceUs &&
        FINISHED.includes(run.status) &&
        !FINISHED.includes(stored.get(run.key)?.status ?? 'queued'),
    );
    console.log(`reconciliation: ${reconciliation.webhookMissed} runs the webhooks missed`);
    assert.ok(missed.length > 0, 'the faults lost some ends');
    assert.equal(reconciliation.webhookMissed, missed.length);

    // /metrics shows the loss: runs missed, deliveries refused, nothing left in the inbox.
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const refused = sent.filter((d) => ['bad_signature', 'stale', 'replayed'].includes(d.fault ?? '')).length;
    assert.match(
      metrics,
      new RegExp(`^buildlens_webhook_missed_runs_total\\{connection="bk"\\} ${missed.length}$`, 'm'),
    );
    assert.match(
      metrics,
      new RegExp(`^buildlens_webhook_refused_total\\{connection="bk"\\} ${refused}$`, 'm'),
    );
    assert.match(metrics, /^buildlens_webhook_inbox_deliveries\{connection="bk",state="pending"\} 0$/m);
  },
);
