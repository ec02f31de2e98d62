// Exact or sketch (DESIGN.md): the plain report answers from the runs up to EXACT_LIMIT selected runs, and
// from the rollups' sketches above it; every row says which. Before, a handful of runs whose median is 102
// read 102.0054 once the rollups were built.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { report } from '../../src/metrics/report.js';
import { EXACT_LIMIT } from '../../src/metrics/vocabulary.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { ACCURACY } from '../../src/store/sketch.js';
import { openStore, type Store } from '../../src/store/store.js';
import { runInProcess } from '../cli/in-process.js';
import { scratch, storeTest } from '../store/engines.js';
import { project, run } from '../store/fixtures.js';

/** 11 successful runs of 97…107 s (median 102), committed with a checkpoint, so the rollups are built. */
async function elevenRuns(store: Store): Promise<void> {
  const c = await addConnection(store, {
    name: 'br',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9',
    org: null,
    token: 'token-of-br-0123456789',
  });
  const runs = Array.from({ length: 11 }, (_, i) => run(`r${i}`, i, { durationS: 97 + i }));
  await writeBatch(store, c.id, { projects: [project('app1')], runs, jobs: [], raw: [] }, { mark: 1 });
}

storeTest(
  'up to the limit the plain report is exact; above it, sketched; each row says which',
  async (store) => {
    assert.equal(EXACT_LIMIT, 20_000);
    await elevenRuns(store);
    const [exact] = await report(store, { filter: {}, by: [] });
    assert.equal(exact?.percentiles, 'exact');
    assert.equal(exact?.duration_s_p50, 102);
    assert.equal(exact?.duration_s_p90, 106);

    const rows = await report(store, { filter: {}, by: ['project'], exactLimit: 10 });
    assert.deepEqual(
      rows.map((r) => r.percentiles),
      ['sketch'],
    );
    const p50 = rows[0]?.duration_s_p50 as number;
    assert.notEqual(p50, 102, 'read from the sketch');
    assert.ok(Math.abs(p50 - 102) <= ACCURACY * 102);
    // --exact wins over any limit.
    const [forced] = await report(store, { filter: {}, by: [], exactLimit: 10, exact: true });
    assert.equal(forced?.percentiles, 'exact');
  },
);

test('every format says where the percentiles come from', async () => {
  const db = join(scratch, 'exact-cli', 'buildlens.db');
  const store = await openStore(db);
  try {
    await elevenRuns(store);
  } finally {
    await store.close();
  }
  const args = ['--db', db, 'report', '--all'];
  const table = await runInProcess(args);
  assert.match(table.stdout, /\bpctl\b/);
  assert.match(table.stdout, /^App app1\s.*\s1m 42s\s.*\bexact\b/m);
  assert.match(table.stdout, /^pctl: exact \(the runs, up to 20,000\) or sketch/m);
  const md = await runInProcess([...args, '--format', 'md']);
  assert.match(md.stdout, /\| pctl \|/);
  assert.match(md.stdout, /^\| total \|.*\| exact \|/m);
  const csv = (await runInProcess([...args, '--format', 'csv'])).stdout.trim().split('\n');
  const header = (csv[0] ?? '').split(',');
  const total = (csv.at(-1) ?? '').split(',');
  assert.equal(total[header.indexOf('percentiles')], 'exact');
  assert.equal(total[header.indexOf('duration_s_p50')], '102');
  const json = JSON.parse((await runInProcess([...args, '--format', 'json'])).stdout);
  assert.equal(json.total.percentiles, 'exact');
  assert.ok(json.rows.every((r: { percentiles: string }) => r.percentiles === 'exact'));
});
