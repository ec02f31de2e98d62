// End to end: the Bitrise sandbox over real HTTP on loopback -> the Bitrise connector -> the sync
// engine -> the store.
import assert from 'node:assert/strict';
import { UNFINISHED_STATUSES } from '../../src/domain/model.js';
import { listRuns, pendingRuns } from '../../src/store/runs.js';
import type { Store } from '../../src/store/store.js';
import { readSyncState } from '../../src/store/sync-state.js';
import { syncConnection } from '../../src/sync/sync.js';
import { storeTest } from '../store/engines.js';
import { bitriseSandbox } from './bitrise-sandbox.js';

async function allRuns(store: Store) {
  const runs = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const result = await listRuns(store, {}, { limit: 500, cursor });
    runs.push(...result.runs);
    cursor = result.nextCursor;
    if (cursor === null) return runs;
  }
  throw new Error('more pages than expected');
}

storeTest(
  'sandbox -> store: full sync, an idle re-sync changes nothing, later runs finish',
  async (store, t) => {
    // Its own sandbox per engine: the test moves the clock, which only goes forward.
    const { sb, id, options } = await bitriseSandbox(store, t);

    const first = await syncConnection(store, 'sandbox', options);
    const runs = await allRuns(store);
    assert.ok(first.projects > 0 && first.runsNew > 0, JSON.stringify(first));
    assert.equal(runs.length, first.runsNew);
    assert.equal(first.runsUpdated, 0);
    const jobs = await store.db.selectFrom('jobs').select('key').execute();
    assert.equal(jobs.length, first.jobsNew);
    const finished = runs.filter((r) => r.finishedAt !== null);
    assert.ok(finished.length > 0);
    assert.ok(
      finished.every((r) => r.classification !== null),
      'finished runs are classified',
    );
    assert.ok(
      runs.every((r) => r.finishedAt !== null || r.classification === null || r.status === 'skipped'),
      'unfinished runs are not classified',
    );
    const raw = await store.db.selectFrom('raw_payloads').select('kind').distinct().execute();
    assert.ok(raw.length > 0, 'raw payloads are kept');
    assert.notEqual((await readSyncState(store, id)).state, null, 'a checkpoint was committed');

    const idle = await syncConnection(store, 'sandbox', options);
    assert.deepEqual([idle.runsNew, idle.runsUpdated, idle.jobsNew, idle.jobsUpdated], [0, 0, 0, 0]);
    assert.ok(idle.requests < first.requests, `${idle.requests} requests for an idle sync`);

    const inFlight = await pendingRuns(store, id, new Date(sb.clock.now()));
    assert.ok(inFlight.length > 0, 'the sandbox has runs in flight at the anchor');
    sb.clock.advance(3 * 3_600_000);
    const later = await syncConnection(store, 'sandbox', options);
    assert.ok(later.runsUpdated >= inFlight.length, JSON.stringify(later));
    const byKey = new Map((await allRuns(store)).map((r) => [r.key, r]));
    for (const pending of inFlight) {
      const now = byKey.get(pending.key);
      assert.ok(now && !UNFINISHED_STATUSES.includes(now.status), `${pending.key} still ${now?.status}`);
      assert.notEqual(now?.classification, null);
    }
    assert.ok(later.runsNew > 0, 'runs triggered meanwhile arrive');
  },
);
