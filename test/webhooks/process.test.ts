// Processing Buildkite deliveries from the inbox on both engines: the delivery's own build and job objects
// become the run and its jobs (no API call: the connection's URL answers nothing), an older event arriving
// late never moves the run back, and processing a delivery twice writes nothing new.
import assert from 'node:assert/strict';
import { addConnection } from '../../src/store/connections.js';
import { acceptDelivery } from '../../src/store/inbox.js';
import { withSyncLock } from '../../src/store/lock.js';
import type { Store } from '../../src/store/store.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { WebhookProcessor } from '../../src/webhooks/processor.js';
import { storeTest } from '../store/engines.js';
import { buildkiteDeliveryBody, REST_BUILD } from './buildkite-delivery.js';

const JOB = REST_BUILD.jobs[0] as Record<string, unknown>;

const delivery = (event: string, build: Record<string, unknown>, job?: Record<string, unknown>) => ({
  event,
  body: buildkiteDeliveryBody(event, build, job),
});

async function setUp(store: Store) {
  const connection = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'my-great-org',
    token: 'provider-token-never-used-0123',
  });
  await setWebhookSecret(store, connection, 'webhook-secret-for-process-tests-01');
  const processor = new WebhookProcessor(store, { log: (line) => assert.fail(line), lockedRetryMs: 50 });
  let at = 0;
  const receive = async (d: { event: string; body: string }) => {
    await acceptDelivery(store, {
      connectionId: connection.id,
      ...d,
      signature: null,
      subject: REST_BUILD.id as string,
      final: d.event === 'build.finished',
      receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, at++)),
    });
  };
  return { connection, processor, receive };
}

const runOf = (store: Store) =>
  store.db
    .selectFrom('runs')
    .select(['key', 'status', 'provider_status', 'classification', 'duration_s'])
    .execute();
const jobsOf = (store: Store) => store.db.selectFrom('jobs').select(['key', 'status']).execute();

const RUNNING = { state: 'running', finished_at: null };
const SCHEDULED = { state: 'scheduled', started_at: null, finished_at: null };
const JOB_RUNNING = { ...JOB, state: 'running', finished_at: null, exit_status: null };

storeTest('Buildkite deliveries become the run and its jobs, without asking the API', async (store) => {
  const { processor, receive } = await setUp(store);
  await receive(delivery('build.scheduled', SCHEDULED));
  await receive(delivery('job.started', RUNNING, JOB_RUNNING));
  processor.kick();
  await processor.idle();
  assert.deepEqual(await runOf(store), [
    {
      key: REST_BUILD.id,
      status: 'running',
      provider_status: 'running',
      classification: null,
      duration_s: null,
    },
  ]);
  assert.deepEqual(await jobsOf(store), [{ key: JOB.id, status: 'running' }]);

  await receive(delivery('job.finished', RUNNING, JOB));
  await receive(delivery('build.finished', {}));
  processor.kick();
  await processor.idle();
  assert.deepEqual(await runOf(store), [
    {
      key: REST_BUILD.id,
      status: 'succeeded',
      provider_status: 'passed',
      classification: 'success',
      duration_s: 180,
    },
  ]);
  assert.deepEqual(await jobsOf(store), [{ key: JOB.id, status: 'succeeded' }]);
  const states = await store.db.selectFrom('webhook_inbox').select('state').execute();
  assert.deepEqual(
    states.map((s) => s.state),
    ['done', 'done', 'done', 'done'],
  );
});

storeTest('an older event arriving after a newer one never moves the run back', async (store) => {
  const { processor, receive } = await setUp(store);
  // Reordered: the end first, then the events before it.
  await receive(delivery('build.finished', {}));
  await receive(delivery('job.finished', RUNNING, JOB));
  processor.kick();
  await processor.idle();
  await receive(delivery('build.running', RUNNING));
  await receive(delivery('job.started', RUNNING, JOB_RUNNING));
  await receive(delivery('build.scheduled', SCHEDULED));
  processor.kick();
  await processor.idle();
  assert.deepEqual(await runOf(store), [
    {
      key: REST_BUILD.id,
      status: 'succeeded',
      provider_status: 'passed',
      classification: 'success',
      duration_s: 180,
    },
  ]);
  assert.deepEqual(await jobsOf(store), [{ key: JOB.id, status: 'succeeded' }]);
});

storeTest('a delivery waits for a sync of its connection and is written after it', async (store) => {
  const { connection, processor, receive } = await setUp(store);
  await receive(delivery('job.finished', RUNNING, JOB));
  const inbox = () => store.db.selectFrom('webhook_inbox').select('state').execute();
  // A merge made during the sync would write over what the sync wrote with what it read before.
  await withSyncLock(store, { connectionId: connection.id, name: 'bk' }, async () => {
    processor.kick();
    await processor.idle();
    assert.deepEqual(await runOf(store), [], 'nothing written while the sync holds the connection');
    assert.deepEqual(await inbox(), [{ state: 'pending' }]);
  });
  // Tried again by itself, soon after the sync.
  for (let waited = 0; waited < 5000 && (await inbox())[0]?.state === 'pending'; waited += 25)
    await new Promise((done) => setTimeout(done, 25));
  await processor.idle();
  assert.deepEqual(await inbox(), [{ state: 'done' }]);
  assert.deepEqual(await jobsOf(store), [{ key: JOB.id, status: 'succeeded' }]);
  processor.stop();
});

storeTest('a ping and deliveries of another organization are ignored, with the reason', async (store) => {
  const { processor, receive } = await setUp(store);
  await receive({ event: 'ping', body: JSON.stringify({ event: 'ping', service: { id: 's' } }) });
  const other = delivery('build.finished', {
    url: 'https://api.buildkite.com/v2/organizations/other/pipelines/p/builds/2',
  });
  await receive({
    event: other.event,
    body: other.body.replaceAll('/organizations/my-great-org/', '/organizations/other/'),
  });
  processor.kick();
  await processor.idle();
  const rows = await store.db.selectFrom('webhook_inbox').select(['state', 'error']).orderBy('id').execute();
  assert.deepEqual(rows, [
    { state: 'ignored', error: 'ping carries no build' },
    { state: 'ignored', error: 'for organization other; the connection reads my-great-org' },
  ]);
  assert.deepEqual(await runOf(store), []);
});
