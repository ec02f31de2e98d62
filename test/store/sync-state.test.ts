// Sync bookkeeping per connection: start, success with summary, failure with its message.
import assert from 'node:assert/strict';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import {
  readSyncState,
  recordSyncFailure,
  recordSyncStart,
  recordSyncSuccess,
} from '../../src/store/sync-state.js';
import { storeTest } from './engines.js';

storeTest(
  'sync state: empty, started, failed, then succeeded; the checkpoint is kept throughout',
  async (store) => {
    const { id } = await addConnection(store, {
      name: 'ci',
      provider: 'bitrise',
      baseUrl: 'http://127.0.0.1:1',
      org: null,
      token: 't',
    });
    assert.deepEqual(await readSyncState(store, id), {
      state: null,
      lastStartedAt: null,
      lastFinishedAt: null,
      lastError: null,
      lastSummary: null,
    });
    await writeBatch(store, id, { runs: [], jobs: [], raw: [] }, { apps: { a: '2026-02-10' } });
    await recordSyncStart(store, id, new Date('2026-02-10T10:00:00Z'));
    await recordSyncFailure(store, id, 'HTTP 500 from /apps', new Date('2026-02-10T10:01:00Z'));
    assert.deepEqual(await readSyncState(store, id), {
      state: { apps: { a: '2026-02-10' } },
      lastStartedAt: '2026-02-10T10:00:00.000Z',
      lastFinishedAt: '2026-02-10T10:01:00.000Z',
      lastError: 'HTTP 500 from /apps',
      lastSummary: null,
    });
    await recordSyncStart(store, id, new Date('2026-02-10T11:00:00Z'));
    await recordSyncSuccess(store, id, { runsNew: 3 }, new Date('2026-02-10T11:02:00Z'));
    assert.deepEqual(await readSyncState(store, id), {
      state: { apps: { a: '2026-02-10' } },
      lastStartedAt: '2026-02-10T11:00:00.000Z',
      lastFinishedAt: '2026-02-10T11:02:00.000Z',
      lastError: null,
      lastSummary: { runsNew: 3 },
    });
  },
);
