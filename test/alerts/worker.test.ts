// A worker (PostgreSQL job queue) asks for an alert pass after each sync job it completes, so alerts are
// judged where the syncs run when `serve --workers external` leaves them to workers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openJobQueue } from '../../src/queue/queue.js';
import { startWorker } from '../../src/queue/worker.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { addConnection } from '../../src/store/connections.js';
import { openStore } from '../../src/store/store.js';
import { PG_SKIP, PG_URL, pgDatabaseUrl } from '../store/engines.js';

test('a worker asks for an alert pass after a sync job', { skip: PG_URL ? false : PG_SKIP }, async (t) => {
  const sandbox = await startSandbox({ seed: 2 });
  t.after(() => sandbox.close());
  const schema = `buildlens_alert_worker_${randomBytes(3).toString('hex')}`;
  const databaseUrl = await pgDatabaseUrl();
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await admin.query(`create schema ${schema}`);
  t.after(async () => {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  });
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const store = await openStore(url.toString());
  t.after(() => store.close());
  await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: sandbox.buildkite.url,
    org: 'acme',
    token: sandbox.buildkite.token,
  });
  const log: string[] = [];
  const queue = await openJobQueue(url.toString(), store, { log: (line) => log.push(line), maintain: false });
  let asked = 0;
  const worker = await startWorker(store, queue, {
    syncEveryMs: null,
    concurrency: 1,
    log: (line) => log.push(line),
    tickMs: 60_000,
    afterWork: () => asked++,
  });
  t.after(() => worker.stop());
  await queue.sendSync({ connection: 'bk', trigger: 'api' });
  for (let waited = 0; asked === 0 && waited < 120_000; waited += 100) await sleep(100);
  assert.equal(asked, 1, log.join('\n'));
  assert.ok(
    log.some((line) => line.startsWith('synced "bk" (api)')),
    log.join('\n'),
  );
});
