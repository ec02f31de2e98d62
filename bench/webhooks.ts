// Webhook benchmark (`npm run bench:webhooks`, not part of npm test): a real server on 127.0.0.1 over a
// SQLite store, fed by the sandbox's Buildkite webhook sender. Prints figures, asserts nothing:
// - latency: from the first POST about a build that finished to the run being finished in the store (what
//   /api/report reads; looked up whenever the store's data version moves), p50/p95, over 12 sandbox hours
//   sent half an hour at a time, one delivery after another as a provider sends them;
// - throughput: signed build deliveries sent 32 at a time until the inbox is drained, and whether any
//   was lost (every accepted delivery processed, every run present);
// - API requests per run: polling every 15 minutes over the same hours vs webhooks plus one
//   reconciling sync at the end.
//   npm run bench:webhooks -- [--deliveries N] [--part latency|throughput|all]
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Sandbox, startSandbox } from '../src/sandbox/index.js';
import { WebhookSender } from '../src/sandbox/webhooks.js';
import { buildApp } from '../src/server/app.js';
import { SyncRunner } from '../src/server/sync-runner.js';
import { addConnection } from '../src/store/connections.js';
import { dataVersion } from '../src/store/data-version.js';
import { openStore, type Store } from '../src/store/store.js';
import { setWebhookSecret } from '../src/store/webhooks.js';
import { syncConnection } from '../src/sync/sync.js';
import { WebhookProcessor } from '../src/webhooks/processor.js';

const { values } = parseArgs({
  options: { deliveries: { type: 'string', default: '2000' }, part: { type: 'string', default: 'all' } },
});
const DELIVERIES = Number(values.deliveries);
const SECRET = 'webhook-secret-for-the-benchmark-7d1';
const HOURS = 12;
const STEP_MS = 30 * 60_000;
const ANCHOR = '2026-12-01T06:00:00Z';

const quantile = (sorted: number[], q: number) => {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
};

/** A sandbox and a store with its Buildkite connection, empty (throughput) or synced once (latency). */
async function setUp(dir: string, name: string) {
  const sandbox = await startSandbox({ size: 'small', clock: 'manual', seed: 5, now: ANCHOR });
  const store = await openStore(join(dir, `${name}.db`));
  const connection = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: sandbox.buildkite.url,
    org: sandbox.buildkite.org,
    token: sandbox.buildkite.token,
  });
  const syncOptions = { now: () => sandbox.clock.now(), connector: { timeoutMs: 10_000, maxRetries: 1 } };
  return { sandbox, store, connection, syncOptions };
}

async function syncedSetUp(dir: string, name: string) {
  const set = await setUp(dir, name);
  return { ...set, baseline: await syncConnection(set.store, 'bk', set.syncOptions) };
}

async function serve(store: Store, processor: WebhookProcessor) {
  const app = await buildApp({
    store,
    sync: new SyncRunner(store),
    token: null,
    loopback: true,
    webhookProcessor: processor,
    log: () => {},
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhooks/bk` };
}

async function finishedRuns(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('runs').select('key').where('finished_at', 'is not', null).execute();
  return rows.map((r) => r.key);
}

async function latencyAndRequests(dir: string) {
  const { sandbox, store, connection, syncOptions, baseline } = await syncedSetUp(dir, 'latency');
  await setWebhookSecret(store, connection, SECRET, new Date(sandbox.clock.now()));
  const processor = new WebhookProcessor(store, { sync: syncOptions });
  const { app, url } = await serve(store, processor);
  const sender = new WebhookSender(sandbox, { buildkite: { url, secret: SECRET } });
  sender.snapshot();
  // When each run was first seen finished in the store (what /api/report reads): looked up again whenever
  // the store's data version moves, which is what the dashboard's live updates follow too.
  const seen = new Map<string, number>();
  let watching = true;
  const watcher = (async () => {
    let version = -1;
    while (watching) {
      const now = await dataVersion(store);
      if (now !== version) {
        version = now;
        const at = performance.now();
        for (const key of await finishedRuns(store)) if (!seen.has(key)) seen.set(key, at);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const latencies: number[] = [];
  let deliveries = 0;
  for (let at = 0; at < HOURS * 3_600_000; at += STEP_MS) {
    sandbox.clock.advance(STEP_MS);
    const before = new Set(seen.keys());
    const sent = await sender.flush();
    deliveries += sent.length;
    // Each build that finished meanwhile: from the first POST about it (the sandbox sends each delivery with
    // the build as it is now, so the first one can already finish it) to the run finished in the store.
    const firstPost = new Map<string, number>();
    for (const d of sent)
      if (d.postedAt !== null && !firstPost.has(d.subject)) firstPost.set(d.subject, d.postedAt);
    const ends = sent
      .filter((d) => d.event === 'build.finished' && d.postedAt !== null && !before.has(d.subject))
      .map((d) => d.subject);
    while (ends.some((key) => !seen.has(key))) await new Promise((r) => setTimeout(r, 5));
    for (const key of ends) latencies.push((seen.get(key) as number) - (firstPost.get(key) as number));
  }
  watching = false;
  await watcher;
  await processor.idle();
  const reconciliation = await syncConnection(store, 'bk', syncOptions);
  const runs = Number(
    (
      await store.db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  await app.close();
  await store.close();
  await sandbox.close();

  // The same hours polled every 15 minutes.
  const polled = await syncedSetUp(dir, 'polled');
  let pollRequests = 0;
  for (let at = 0; at < HOURS * 3_600_000; at += 15 * 60_000) {
    polled.sandbox.clock.advance(15 * 60_000);
    pollRequests += (await syncConnection(polled.store, 'bk', polled.syncOptions)).requests;
  }
  const changed = runs - baseline.runsNew;
  await polled.store.close();
  await polled.sandbox.close();
  latencies.sort((a, b) => a - b);
  return { latencies, deliveries, changed, reconciliation, pollRequests };
}

async function throughput(dir: string) {
  // Nothing is synced first: each delivery carries its build whole.
  const { sandbox, store, connection, syncOptions } = await setUp(dir, 'throughput');
  await setWebhookSecret(store, connection, SECRET);
  const processor = new WebhookProcessor(store, { sync: syncOptions });
  const { app, url } = await serve(store, processor);
  const pipelines = await pipelineObjects(sandbox);
  const builds = distinctBuilds(
    sandbox.buildkite.world.builds(sandbox.buildkite.url, { org: sandbox.buildkite.org }),
    DELIVERIES,
  );
  const bodies = builds.map((build) => {
    const { jobs: _jobs, ...withoutJobs } = build as Record<string, unknown>;
    const slug = /\/pipelines\/([^/]+)\/builds\//.exec(String(build.url))?.[1] ?? '';
    return JSON.stringify({ event: 'build.finished', build: withoutJobs, pipeline: pipelines.get(slug) });
  });
  const statuses = new Map<number, number>();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as string;
      const ts = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-buildkite-event': 'build.finished',
          'x-buildkite-signature': `timestamp=${ts},signature=${signature}`,
        },
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const answeredMs = performance.now() - started;
  await processor.idle();
  const drainedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const inbox = await store.db.selectFrom('webhook_inbox').select('state').execute();
  const done = inbox.filter((r) => r.state === 'done').length;
  const present = await store.db
    .selectFrom('runs')
    .select('key')
    .where(
      'key',
      'in',
      builds.map((b) => String(b.id)),
    )
    .execute();
  await app.close();
  await store.close();
  await sandbox.close();
  return { sent: bodies.length, statuses, answeredMs, drainedMs, cpuMs, done, present: present.length };
}

/**
 * `count` builds: the sandbox's, then copies of them under new ids and numbers (the small sandbox holds
 * about 160; a bigger one takes minutes to generate on this machine).
 */
function distinctBuilds<T extends Record<string, unknown>>(builds: T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => {
    const build = builds[i % builds.length] as T;
    const copy = Math.floor(i / builds.length);
    if (copy === 0) return build;
    const id = createHash('sha256')
      .update(`${String(build.id)}/${copy}`)
      .digest('hex');
    return {
      ...build,
      id: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      number: Number(build.number) + copy * 100_000,
    };
  });
}

async function pipelineObjects(sandbox: Sandbox): Promise<Map<string, unknown>> {
  const { url, token, org } = sandbox.buildkite;
  const res = await fetch(`${url}/organizations/${org}/pipelines?per_page=100`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return new Map(((await res.json()) as { slug: string }[]).map((p) => [p.slug, p]));
}

const dir = mkdtempSync(join(tmpdir(), 'buildlens-bench-webhooks-'));
process.env.XDG_DATA_HOME = join(dir, 'data');
try {
  if (values.part !== 'throughput') {
    const l = await latencyAndRequests(dir);
    console.log(
      `latency (first POST about a build that finished → run finished in the store), ${l.latencies.length} runs over ${HOURS} sandbox hours, ${l.deliveries} deliveries:`,
    );
    console.log(
      `  p50 ${quantile(l.latencies, 0.5).toFixed(1)} ms, p95 ${quantile(l.latencies, 0.95).toFixed(1)} ms, max ${(l.latencies.at(-1) ?? 0).toFixed(1)} ms`,
    );
    console.log(`API requests for ${l.changed} new runs over ${HOURS} h:`);
    console.log(
      `  polling every 15 min: ${l.pollRequests} requests (${(l.pollRequests / Math.max(1, l.changed)).toFixed(2)} per run)`,
    );
    console.log(
      `  webhooks + one reconciling sync: ${l.reconciliation.requests} requests (${(l.reconciliation.requests / Math.max(1, l.changed)).toFixed(2)} per run; ${l.reconciliation.webhookMissed ?? 0} runs missed)`,
    );
  }
  if (values.part !== 'latency') {
    const th = await throughput(dir);
    console.log(`throughput: ${th.sent} signed build.finished deliveries, 32 at a time:`);
    console.log(
      `  answered in ${(th.answeredMs / 1000).toFixed(2)} s (${((th.sent / th.answeredMs) * 1000).toFixed(0)} deliveries/s); inbox drained after ${(th.drainedMs / 1000).toFixed(2)} s (${((th.sent / th.drainedMs) * 1000).toFixed(0)} deliveries/s processed)`,
    );
    console.log(
      `  answers ${JSON.stringify(Object.fromEntries(th.statuses))}; processed ${th.done}; runs present ${th.present} of ${th.sent}`,
    );
    // The machine is shared: what one core would do is the deliveries per CPU second this process used
    // (server, processing and the sending client together, so the server alone does more).
    console.log(
      `  CPU ${(th.cpuMs / 1000).toFixed(2)} s of this process for ${(th.drainedMs / 1000).toFixed(2)} s elapsed: ${((th.sent / th.cpuMs) * 1000).toFixed(0)} deliveries per CPU second; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${availableParallelism()} cores`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
