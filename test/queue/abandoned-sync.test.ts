// A worker killed with SIGKILL during a sync leaves that job active in pg-boss until it expires (30
// minutes). Real worker processes on PostgreSQL against a slow sandbox: the sync of one connection is
// taken by a worker that is then killed, and another worker finishes it once its free sync lock shows it
// abandoned, once, with the provider's rows; meanwhile a sync on a live worker that runs far beyond the
// grace is left alone.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LOCK_GRACE_S } from '../../src/queue/abandoned-syncs.js';
import { openJobQueue, SYNC_QUEUE } from '../../src/queue/queue.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { addConnection } from '../../src/store/connections.js';
import { syncLockHolder } from '../../src/store/lock.js';
import { openStore } from '../../src/store/store.js';
import { syncConnection } from '../../src/sync/sync.js';
import { buildCli } from '../cli/built-cli.js';
import { PG_SKIP, PG_URL } from '../store/engines.js';
import { processEnv, rowsOf, scratchDatabase } from './queue-rig.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin', 'buildlens');
/** Far below the 30-minute expiry: only the abandoned-sync check can finish the sync by then. */
const RECOVERY_DEADLINE_MS = 180_000;
/** Each request of the live connection's sync (three of them) answers this late. */
const LIVE_SLOW_MS = 20_000;
/** The worker ticks every 5 s: the live sync must outlast the grace and two looks after it. */
const LIVE_AT_LEAST_S = LOCK_GRACE_S + 2 * 5;

async function until<T>(what: string, deadlineMs: number, look: () => Promise<T | null>, logs: string[]) {
  for (const from = Date.now(); ; await sleep(250)) {
    const found = await look();
    if (found !== null) return found;
    assert.ok(Date.now() - from < deadlineMs, `${what}:\n${logs.join('')}`);
  }
}

test('a sync whose worker was killed is finished by another worker long before it expires; a live long sync is left alone', async (t) => {
  if (!PG_URL) return t.skip(PG_SKIP);
  buildCli();
  const env = processEnv(await scratchDatabase(t, 'buildlens_abandoned'));

  const hour = 3_600_000;
  const sandbox = await startSandbox({
    size: 'small',
    seed: 7,
    clock: 'manual',
    now: Math.floor(Date.now() / hour) * hour - 8 * hour,
    buildkite: { organizations: 2 },
  });
  t.after(() => sandbox.close());
  // acme's first sync takes three requests, globex's two.
  const [live, killed] = sandbox.buildkite.world.model.orgs.map((o) => o.slug) as [string, string];
  const liveSlow = `slow:ms=${LIVE_SLOW_MS},on=buildkite,path=/organizations/${live}/`;
  sandbox.faults.set(`${liveSlow};slow:ms=15000,on=buildkite,path=/organizations/${killed}/`);

  const store = await openStore(env.BUILDLENS_DB);
  t.after(() => store.close());
  const connection = async (org: string, name = org) =>
    addConnection(store, {
      name,
      provider: 'buildkite',
      baseUrl: sandbox.buildkite.url,
      org,
      token: sandbox.buildkite.orgTokens[org] as string,
    });
  const killedConnection = await connection(killed);
  const liveConnection = await connection(live);
  const queue = await openJobQueue(env.BUILDLENS_DB, store, { log: () => {}, maintain: false });
  t.after(() => queue.stop());

  const children = new Set<ChildProcess>();
  const logs: string[] = [];
  const startWorker = (label: string) => {
    const child = spawn(process.execPath, [BIN, 'worker', '--sync-every', 'off', '--concurrency', '1'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => logs.push(`${label}: ${d}`));
    child.stderr?.on('data', (d) => logs.push(`${label}: ${d}`));
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };
  t.after(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  const lockedBy = (connectionId: number, worker: ChildProcess) => async () =>
    (await syncLockHolder(store, connectionId))?.pid === worker.pid ? true : null;

  // The first worker takes the sync asked through the API, and is killed during it.
  const doomed = startWorker('worker 1');
  const killedJob = await queue.sendSync({ connection: killed, trigger: 'api' });
  assert.ok(killedJob);
  await until('worker 1 syncs', 60_000, lockedBy(killedConnection.id, doomed), logs);
  // The second takes a long sync of another connection, and runs it to its end.
  const busy = startWorker('worker 2');
  const liveJob = await queue.sendSync({ connection: live, trigger: 'api' });
  assert.ok(liveJob);
  await until('worker 2 syncs', 60_000, lockedBy(liveConnection.id, busy), logs);
  startWorker('worker 3');
  doomed.kill('SIGKILL');
  const killedAt = Date.now();
  // The provider answers the killed connection quickly from now on.
  sandbox.faults.set(liveSlow);

  const done = (id: string) => async () =>
    (await queue.job(SYNC_QUEUE, id))?.state === 'completed' ? true : null;
  await until('the killed worker’s sync finished elsewhere', RECOVERY_DEADLINE_MS, done(killedJob), logs);
  const recoveredS = Math.round((Date.now() - killedAt) / 1000);
  await until('the live sync finished', RECOVERY_DEADLINE_MS, done(liveJob), logs);

  const client = new pg.Client({ connectionString: env.BUILDLENS_DB });
  await client.connect();
  const { rows: attempts } = await client.query(
    `select data->>'connection' as connection, state, retry_count, output,
            extract(epoch from completed_on - started_on)::float as seconds
       from buildlens_queue.job where name = $1 order by created_on`,
    [SYNC_QUEUE],
  );
  await client.end();
  const [killedAttempt, liveAttempt] = attempts;
  assert.equal(attempts.length, 2, 'one job each');
  assert.equal(killedAttempt.connection, killed);
  assert.equal(killedAttempt.retry_count, 1, 'the killed sync was tried again once');
  assert.ok('summary' in killedAttempt.output, 'its second attempt synced');
  assert.equal(liveAttempt.connection, live);
  assert.equal(liveAttempt.retry_count, 0, 'the live sync was never taken from its worker');
  assert.ok('summary' in liveAttempt.output);
  assert.ok(
    liveAttempt.seconds > LIVE_AT_LEAST_S,
    `the live sync ran past the grace while the others looked (${liveAttempt.seconds} s)`,
  );
  const handedOn = logs.join('').match(/sync of "[^"]+" \(job [^)]+\) abandoned/g) ?? [];
  assert.deepEqual(handedOn, [`sync of "${killed}" (job ${killedJob}) abandoned`]);

  // The connection holds what a fresh sync reads, nothing twice.
  sandbox.faults.set('');
  const reference = await connection(killed, `${killed}-reference`);
  await syncConnection(store, reference.name);
  const expected = await rowsOf(store, reference.id);
  assert.ok(expected.runs.length > 0);
  assert.deepEqual(await rowsOf(store, killedConnection.id), expected);
  console.log(
    `killed worker's sync finished on another ${recoveredS} s after the kill; the live sync ran ${Math.round(liveAttempt.seconds)} s untouched`,
  );
});
