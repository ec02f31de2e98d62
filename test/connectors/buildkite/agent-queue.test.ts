// Agent queues end to end: the Buildkite sandbox's jobs target several queues (default-queue steps name
// none), a sync stores each job's and run's queue, and the HTTP API groups and filters by it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appFor, syncFromSandbox } from '../../server/fixture.js';
import { freshStore } from '../../store/engines.js';

interface ReportBody {
  rows: { agent_queue: string | null; runs: number }[];
  total: { runs: number };
}

test('sandbox builds land on their queues; /api/report groups and filters by agent_queue', async (t) => {
  const store = await freshStore(t, 'sqlite');
  if (!store) return;
  const synced = await syncFromSandbox(store, t);
  const { app } = await appFor(synced, t);

  const jobQueues = await store.db
    .selectFrom('jobs as j')
    .innerJoin('connections as c', 'c.id', 'j.connection_id')
    .select('j.agent_queue')
    .distinct()
    .where('c.provider', '=', 'buildkite')
    .execute();
  const queues = jobQueues.map((r) => r.agent_queue).sort();
  // Steps on the default queue send no queue rule and are stored as `default`. Which other queues appear
  // depends on the pipelines of the sandbox size (small has no emulator pipeline).
  assert.ok(queues.includes('default') && queues.includes('macos') && queues.length >= 3, queues.join());
  // Trigger jobs run on no agent: they have no queue (null).
  for (const queue of queues)
    assert.ok(
      queue === null || ['builder', 'default', 'deploy', 'emulator', 'macos'].includes(queue),
      queue ?? 'null',
    );
  const bitrise = await store.db
    .selectFrom('runs as r')
    .innerJoin('connections as c', 'c.id', 'r.connection_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('c.provider', '=', 'bitrise')
    .where('r.agent_queue', 'is not', null)
    .executeTakeFirstOrThrow();
  assert.equal(Number(bitrise.n), 0, 'Bitrise runs have no agent queue');

  const get = async (query: string) => {
    const response = await app.inject({ method: 'GET', url: `/api/report?${query}` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as ReportBody;
  };
  const grouped = await get('by=agent_queue&provider=buildkite');
  const labels = grouped.rows.map((r) => r.agent_queue);
  assert.ok(labels.includes('default') && labels.includes('macos'), labels.join());
  assert.equal(
    grouped.rows.reduce((sum, r) => sum + r.runs, 0),
    grouped.total.runs,
    'every run in exactly one group',
  );
  const mac = grouped.rows.find((r) => r.agent_queue === 'macos');
  const filtered = await get('agent_queue=macos&provider=buildkite');
  assert.equal(filtered.total.runs, mac?.runs);
  const two = await get('agent_queue=macos&agent_queue=default');
  const def = grouped.rows.find((r) => r.agent_queue === 'default');
  assert.equal(two.total.runs, (mac?.runs ?? 0) + (def?.runs ?? 0));
});
