// Reading runs back: unfinished runs for the next sync, filtered pages newest first.
import assert from 'node:assert/strict';
import type { ClassifiedRun } from '../../src/domain/model.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { listRuns, pendingRuns, type RunQuery } from '../../src/store/runs.js';
import type { Store } from '../../src/store/store.js';
import { storeTest } from './engines.js';
import { project, run } from './fixtures.js';

const unfinished = { finishedAt: null, durationS: null, classification: null, classifiedBy: null } as const;

async function seed(store: Store): Promise<{ a: number; b: number }> {
  const add = (name: string) =>
    addConnection(store, { name, provider: 'bitrise', baseUrl: 'http://127.0.0.1:1', org: null, token: 't' });
  const a = (await add('alpha')).id;
  const b = (await add('beta')).id;
  const runsA: ClassifiedRun[] = [
    run('a1', 0),
    run('a2', 10, { branch: 'feature', status: 'failed', classification: 'failure' }),
    run('a3', 20, { ...unfinished, status: 'running' }),
    run('a4', 30, { projectKey: 'app2', workflow: 'deploy', ...unfinished, status: 'queued', number: null }),
    run('a5', 40, { ...unfinished, status: 'blocked', kind: 'pipeline' }),
  ];
  await writeBatch(store, a, {
    projects: [project('app1', { name: 'Mobile' }), project('app2', { name: 'Web' })],
    runs: runsA,
    jobs: [],
    raw: [],
  });
  // Same trigger time as a2 in another connection: order then falls to key, then connection.
  await writeBatch(store, b, {
    projects: [project('app1', { name: 'Other' })],
    runs: [run('b1', 10), run('a2', 10, { status: 'running', ...unfinished })],
    jobs: [],
    raw: [],
  });
  return { a, b };
}

/** The seeded runs are triggered on 2026-02-10 from 09:00. */
const SEEDED_DAY = new Date('2026-02-10T12:00:00Z');

storeTest('pendingRuns returns the unfinished runs of one connection only', async (store) => {
  const { a, b } = await seed(store);
  assert.deepEqual(await pendingRuns(store, a, SEEDED_DAY), [
    { key: 'a3', projectKey: 'app1', kind: 'build', number: 21 },
    { key: 'a4', projectKey: 'app2', kind: 'build', number: null },
    { key: 'a5', projectKey: 'app1', kind: 'pipeline', number: 41 },
  ]);
  assert.deepEqual(
    (await pendingRuns(store, b, SEEDED_DAY)).map((r) => r.key),
    ['a2'],
  );
});

storeTest(
  'a blocked run is re-checked for 14 days after it was triggered, then left as it is',
  async (store) => {
    const { a } = await seed(store);
    const day = 86_400_000;
    // a5 was triggered at 09:40:00.123456 on the seeded day.
    const triggered = Date.parse('2026-02-10T09:40:00.123Z');
    const pendingAt = async (ms: number) => (await pendingRuns(store, a, new Date(ms))).map((r) => r.key);
    assert.deepEqual(await pendingAt(triggered + 14 * day), ['a3', 'a4', 'a5']);
    assert.deepEqual(await pendingAt(triggered + 14 * day + 1), ['a3', 'a4']);
    // Queued and running runs are re-read however old they are.
    assert.deepEqual(await pendingAt(triggered + 400 * day), ['a3', 'a4']);
  },
);

const keys = async (store: Store, filter: RunQuery) =>
  (await listRuns(store, filter, { limit: 100 })).runs.map((r) => `${r.connection}/${r.key}`);

storeTest(
  'listRuns: newest first, then key, then connection; with connection and provider',
  async (store) => {
    await seed(store);
    assert.deepEqual(await keys(store, {}), [
      'alpha/a5',
      'alpha/a4',
      'alpha/a3',
      'beta/b1',
      'beta/a2',
      'alpha/a2',
      'alpha/a1',
    ]);
    const [first] = (await listRuns(store, {}, { limit: 1 })).runs;
    assert.equal(first?.provider, 'bitrise');
    assert.equal(first?.connection, 'alpha');
  },
);

storeTest('listRuns filters', async (store) => {
  await seed(store);
  assert.deepEqual(await keys(store, { connection: ['beta'] }), ['beta/b1', 'beta/a2']);
  assert.deepEqual(await keys(store, { project: ['Web'] }), ['alpha/a4']);
  assert.deepEqual(await keys(store, { project: ['app2'] }), ['alpha/a4']);
  assert.deepEqual(await keys(store, { project: ['Other', 'Web'] }), ['alpha/a4', 'beta/b1', 'beta/a2']);
  assert.deepEqual(await keys(store, { workflow: ['deploy'] }), ['alpha/a4']);
  assert.deepEqual(await keys(store, { branch: ['feature'] }), ['alpha/a2']);
  assert.deepEqual(await keys(store, { status: ['queued', 'blocked'] }), ['alpha/a5', 'alpha/a4']);
  assert.deepEqual(await keys(store, { classification: ['failure'] }), ['alpha/a2']);
  // since is inclusive and until exclusive, to the microsecond (a2 and b1: 09:10:00.123456Z).
  assert.deepEqual(
    await keys(store, { since: '2026-02-10T09:10:00.123456Z', until: '2026-02-10T09:30:00.123456Z' }),
    ['alpha/a3', 'beta/b1', 'beta/a2', 'alpha/a2'],
  );
  assert.deepEqual(
    await keys(store, { since: '2026-02-10T09:10:00.123457Z', until: '2026-02-10T09:20:00.123457Z' }),
    ['alpha/a3'],
  );
  assert.deepEqual(await keys(store, { until: '2026-02-10' }), []);
  assert.deepEqual(await keys(store, { connection: ['alpha'], branch: ['main'], status: ['succeeded'] }), [
    'alpha/a1',
  ]);
});

storeTest('listRuns pages with a cursor: every run exactly once, in order', async (store) => {
  await seed(store);
  const all = await keys(store, {});
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const result = await listRuns(store, {}, { limit: 2, cursor });
    assert.ok(result.runs.length <= 2);
    seen.push(...result.runs.map((r) => `${r.connection}/${r.key}`));
    cursor = result.nextCursor;
    if (cursor === null) break;
  }
  assert.equal(cursor, null);
  assert.deepEqual(seen, all);
});

storeTest('listRuns refuses a bad cursor, limit or time with a one-line InvalidInputError', async (store) => {
  await seed(store);
  await assert.rejects(listRuns(store, {}, { limit: 2, cursor: 'garbage' }), {
    name: 'InvalidInputError',
    message: 'invalid cursor "garbage"',
  });
  await assert.rejects(listRuns(store, {}, { limit: 0 }), { name: 'InvalidInputError' });
  await assert.rejects(listRuns(store, { since: 'last tuesday' }, { limit: 2 }), {
    name: 'InvalidInputError',
    message: 'invalid time "last tuesday": expected ISO 8601, e.g. 2026-02-10T09:30:00Z',
  });
});
