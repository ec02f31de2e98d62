// The API over PostgreSQL: the same routes answer from the same metrics module on the team database.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { report } from '../../src/metrics/report.js';
import { freshStore } from '../store/engines.js';
import { appFor, syncFromSandbox } from './fixture.js';
import { openApiCaller } from './openapi-check.js';

test('report, runs and /metrics over PostgreSQL', async (t) => {
  const store = await freshStore(t, 'postgres');
  if (!store) return;
  const synced = await syncFromSandbox(store, t);
  const { app } = await appFor(synced, t);
  const api = await openApiCaller(app);

  const health = await api.call('GET', '/healthz');
  assert.equal((health.body as { database: string }).database, 'postgres');
  const document = (await api.call('GET', '/api/report', { url: '/api/report?by=project&by=week&all=true' }))
    .body as {
    rows: unknown[];
    total: { runs: number };
  };
  assert.deepEqual(document.rows, await report(store, { filter: {}, by: ['project', 'week'] }));
  assert.ok(document.total.runs > 0);
  const page = (await api.call('GET', '/api/runs', { url: '/api/runs?provider=bitrise&limit=5' })).body as {
    runs: { provider: string }[];
    next_cursor: string | null;
  };
  assert.equal(page.runs.length, 5);
  assert.ok(page.next_cursor);
  const next = (
    await api.call('GET', '/api/runs', {
      url: `/api/runs?provider=bitrise&limit=5&cursor=${page.next_cursor}`,
    })
  ).body as { runs: { key: string }[] };
  assert.equal(next.runs.length, 5);
  assert.equal((await api.call('GET', '/metrics')).status, 200);
});
