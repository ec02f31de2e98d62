// The team server as docs/deploy.md lays it out, on loopback: two `serve --workers external` replicas and
// three `worker` processes (the real CLI, started with the ExecStart lines of deploy.md's systemd units)
// on one PostgreSQL database, 30 connections over five Buildkite organizations (each with a token of its
// own, six connections each) and two Bitrise connections sharing one token (the sandbox answers every
// 20th Bitrise request with a 429, whose back-off every worker honours), webhooks sent to both replicas
// while the sandbox's time moves, and workers killed with SIGKILL at random points and started again.
// Then the sandbox's time stands still: every connection's store converges row by row on what a fresh
// sync of the same window reads, every delivery was processed once (one job per inbox id, none left
// pending or failed), and the Buildkite sandbox, whose windows are small enough that the workers together
// would overrun them many times, served no 429. The workers' first syncs look back 3 days, so a Bitrise
// backfill (about 80 requests) is done before the kills begin.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startSandbox } from '../../src/sandbox/index.js';
import { Random } from '../../src/sandbox/random.js';
import { type SentDelivery, WebhookSender } from '../../src/sandbox/webhooks.js';
import { addConnection, type NewConnection } from '../../src/store/connections.js';
import { openStore } from '../../src/store/store.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { syncConnection } from '../../src/sync/sync.js';
import { buildCli } from '../cli/built-cli.js';
import { PG_SKIP, PG_URL } from '../store/engines.js';
import { processEnv, rowsOf, scratchDatabase } from './queue-rig.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'buildlens');
const SECRET = 'multi-process-webhook-secret-5d1c';
const ORGS = 5;
const PER_ORG = 6;
const ACTIVE_MS = 16_000;
const STEP_MS = 3000;
/** Sandbox time each step moves, so builds start and finish and webhooks flow. */
const SANDBOX_STEP_MS = 20 * 60_000;
const CONVERGE_MS = 45_000;
const BITRISE = 2;
const LOOKBACK_DAYS = 3;
const DAY_MS = 86_400_000;

/** The ExecStart lines of docs/deploy.md, as the test runs them. */
function unitCommands(port: (n: number) => number) {
  const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const lines = [...doc.matchAll(/^ExecStart=\/usr\/bin\/buildlens (.+)$/gm)].map((m) => m[1] as string);
  const serve = lines.find((l) => l.startsWith('serve '));
  const worker = lines.find((l) => l.startsWith('worker '));
  assert.ok(serve && worker, 'deploy.md has a serve and a worker unit');
  return {
    serve: (n: number) => serve.replace('%i', String(port(n))).split(' '),
    worker: () =>
      worker
        .replace(`${'$'}{BUILDLENS_SYNC_EVERY}`, '10s')
        .replace(`${'$'}{BUILDLENS_LOOKBACK}`, `${LOOKBACK_DAYS}d`)
        .split(' '),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

test('2 serve replicas and 3 workers killed at random converge on the sandbox, no 429', async (t) => {
  if (!PG_URL) return t.skip(PG_SKIP);
  buildCli();
  const env = processEnv(await scratchDatabase(t, 'buildlens_queue_mp'));

  const hour = 3_600_000;
  const sandbox = await startSandbox({
    size: 'small',
    seed: 21,
    clock: 'manual',
    now: Math.floor(Date.now() / hour) * hour - 8 * hour,
    buildkite: {
      organizations: ORGS,
      rateLimitPerOrg: 20,
      rateLimitPerUser: 15,
      rateLimitWindowMs: 1000,
      rateLimitRealTime: true,
    },
  });
  t.after(() => sandbox.close());
  const orgs = sandbox.buildkite.world.model.orgs.map((o) => o.slug);
  assert.equal(orgs.length, ORGS);
  sandbox.faults.set('429:on=bitrise,every=20,retry-after=1');

  const store = await openStore(env.BUILDLENS_DB);
  t.after(() => store.close());
  const connections: { id: number; spec: NewConnection }[] = [];
  for (const org of orgs)
    for (let i = 1; i <= PER_ORG; i++) {
      const spec: NewConnection = {
        name: `${org}-${i}`,
        provider: 'buildkite',
        baseUrl: sandbox.buildkite.url,
        org,
        token: sandbox.buildkite.orgTokens[org] as string,
      };
      const c = await addConnection(store, spec);
      if (i === 1) await setWebhookSecret(store, c, SECRET);
      connections.push({ id: c.id, spec });
    }
  for (let i = 1; i <= BITRISE; i++) {
    const spec: NewConnection = {
      name: `bitrise-${i}`,
      provider: 'bitrise',
      baseUrl: sandbox.bitrise.url,
      org: null,
      token: sandbox.bitrise.token,
    };
    connections.push({ id: (await addConnection(store, spec)).id, spec });
  }
  assert.equal(connections.length, ORGS * PER_ORG + BITRISE);

  const ports = [await freePort(), await freePort()];
  const commands = unitCommands((n) => ports[n] as number);
  const children = new Set<ChildProcess>();
  const logs: string[] = [];
  const start = (args: string[], label: string) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => logs.push(`${label}: ${d}`));
    child.stderr?.on('data', (d) => logs.push(`${label}: ${d}`));
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };
  t.after(async () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const n of [0, 1]) start(commands.serve(n), `serve ${n}`);
  const workers = [0, 1, 2].map((n) => start(commands.worker(), `worker ${n}`));
  // The replicas answer once they listen.
  for (const port of ports)
    for (let tries = 0; ; tries++) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      assert.ok(tries < 100, `serve on ${port} did not start:\n${logs.join('')}`);
      await sleep(200);
    }

  // Webhooks: each organization's builds to its first connection, the organizations spread over the two
  // replicas as a load balancer would.
  const senders = [
    ...orgs.map(
      (org, i) =>
        new WebhookSender(sandbox, {
          buildkite: { url: `http://127.0.0.1:${ports[i % 2]}/webhooks/${org}-1`, secret: SECRET, org },
        }),
    ),
  ];
  for (const sender of senders) sender.snapshot();

  // Every connection's first sync (the backfill) before the kills: a backfill killed every few seconds
  // would start over for ever, which tells nothing about jobs handed over.
  const syncedOnce = async () =>
    (
      await store.db
        .selectFrom('sync_state')
        .select('connection_id')
        .where('last_summary', 'is not', null)
        .execute()
    ).length;
  for (const setupFrom = Date.now(); (await syncedOnce()) < connections.length; await sleep(500))
    assert.ok(Date.now() - setupFrom < CONVERGE_MS, `first syncs did not finish:\n${logs.join('')}`);

  const random = new Random('multi-process', 5);
  const sent: SentDelivery[] = [];
  let kills = 0;
  const began = Date.now();
  while (Date.now() - began < ACTIVE_MS) {
    await sleep(STEP_MS * random.uniform(0.5, 1.5));
    sandbox.clock.advance(SANDBOX_STEP_MS);
    for (const sender of senders) sent.push(...(await sender.flush()));
    // A worker killed wherever it is (mid-sync, mid-delivery, idle) and started again.
    const n = Math.floor(random.next() * workers.length);
    workers[n]?.kill('SIGKILL');
    kills++;
    workers[n] = start(commands.worker(), `worker ${n}'`);
  }

  // The sandbox's time stands still: from here its truth is fixed, and every connection must reach it.
  const frozenAt = new Date().toISOString();
  const lagging = async () => {
    const states = await store.db
      .selectFrom('sync_state')
      .select(['connection_id', 'last_started_at', 'last_finished_at', 'last_error'])
      .execute();
    const synced = new Set(
      states
        .filter(
          (s) =>
            s.last_error === null &&
            (s.last_started_at ?? '') > frozenAt &&
            (s.last_finished_at ?? '') > frozenAt,
        )
        .map((s) => s.connection_id),
    );
    const pending = await store.db
      .selectFrom('webhook_inbox')
      .select('id')
      .where('state', '=', 'pending')
      .execute();
    const unsynced = connections.filter((c) => !synced.has(c.id)).map((c) => c.spec.name);
    return unsynced.length + pending.length === 0
      ? null
      : `not synced since: ${unsynced.join(', ') || '-'}; pending deliveries: ${pending.map((p) => p.id).join(', ') || '-'}`;
  };
  const quietFrom = Date.now();
  for (let late = await lagging(); late !== null; late = await lagging()) {
    assert.ok(Date.now() - quietFrom < CONVERGE_MS, `no convergence: ${late}\n${logs.slice(-30).join('')}`);
    await sleep(1000);
  }
  const stopping = [...children].map((child) => new Promise((done) => child.once('exit', done)));
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(stopping);
  const served = sandbox.buildkite.served();

  const reference = await openStore(await scratchDatabase(t, 'buildlens_queue_truth'));
  t.after(() => reference.close());
  const truth = new Map<string, Awaited<ReturnType<typeof rowsOf>>>();
  // The truth: a fresh sync of each connection at the same sandbox time, over the same window as its
  // first sync (which began a lookback before the time it covers from): the real clock has moved since,
  // and a build near the window's start would otherwise be in one and not the other.
  sandbox.faults.set('');
  for (const c of connections) {
    const { covered_from } = await store.db
      .selectFrom('connections')
      .select('covered_from')
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    assert.ok(covered_from, `${c.spec.name}: its first sync recorded its window`);
    const shift = Date.now() - (Date.parse(covered_from) + LOOKBACK_DAYS * DAY_MS);
    const r = await addConnection(reference, c.spec);
    await syncConnection(reference, c.spec.name, {
      lookbackDays: LOOKBACK_DAYS,
      now: () => Date.now() - shift,
    });
    truth.set(c.spec.name, await rowsOf(reference, r.id));
  }

  const inbox = await store.db.selectFrom('webhook_inbox').select(['id', 'state']).execute();
  const deliveryJobs = new pg.Client({ connectionString: env.BUILDLENS_DB });
  await deliveryJobs.connect();
  const { rows: perInbox } = await deliveryJobs.query(
    `select data->>'inbox' as inbox, count(*)::int as jobs, bool_and(state = 'completed') as completed
       from (select data, state from buildlens_queue.job where name = 'buildlens-delivery'
             union all select data, state from buildlens_queue.archive where name = 'buildlens-delivery') j
      group by 1`,
  );
  await deliveryJobs.end();

  const accepted = sent.filter((d) => d.statuses.includes(202)).length;
  const bitriseWaits = logs.filter((l) => l.includes('Bitrise token rate limit')).length;
  console.log(
    `${connections.length} connections, ${kills} workers killed, ${sent.length} deliveries sent (${accepted} accepted), ` +
      `${inbox.length} in the inbox; Buildkite sandbox served ${JSON.stringify(served)}; ` +
      `${bitriseWaits} waits on a Bitrise back-off`,
  );
  assert.ok(bitriseWaits > 0, 'workers waited on the back-off of a Bitrise 429');
  assert.ok(kills >= 4, `workers were killed (${kills})`);
  assert.ok(inbox.length >= 20, `enough deliveries to mean something (${inbox.length})`);
  assert.equal(served[429] ?? 0, 0, 'the sandbox served no 429');
  assert.deepEqual(
    inbox.filter((d) => d.state !== 'done' && d.state !== 'ignored'),
    [],
    'every delivery processed',
  );
  assert.equal(perInbox.length, inbox.length, 'every delivery had a job');
  for (const row of perInbox) {
    assert.equal(row.jobs, 1, `inbox ${row.inbox}: one job`);
    assert.ok(row.completed, `inbox ${row.inbox}: its job completed`);
  }
  for (const c of connections) {
    const expected = truth.get(c.spec.name);
    assert.ok(expected && expected.runs.length > 0);
    assert.deepEqual(
      await rowsOf(store, c.id),
      expected,
      `${c.spec.name}: every run and job as the provider has it`,
    );
  }
});
