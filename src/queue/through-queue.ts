// A server with external workers syncs through the queue: the API's sync of a connection is queued, and
// its progress is the job's, until a worker has done it (its output is the summary the worker's sync made).
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from '../store/errors.js';
import type { SyncSummary } from '../sync/sync.js';
import { type JobQueue, SYNC_QUEUE } from './queue.js';
import type { SyncOutcome } from './worker.js';

const POLL_MS = 500;

export function syncThroughQueue(queue: JobQueue) {
  return async (_store: unknown, name: string): Promise<SyncSummary> => {
    const id = await queue.sendSync({ connection: name, trigger: 'api' });
    if (id === null) throw new StoreError(`the sync of "${name}" could not be queued`);
    for (;;) {
      await sleep(POLL_MS);
      const job = await queue.job(SYNC_QUEUE, id);
      if (job === null) throw new StoreError(`the queued sync of "${name}" is gone from the queue`);
      if (job.state === 'completed') {
        const outcome = job.output as SyncOutcome;
        if ('summary' in outcome) return outcome.summary;
        throw new StoreError(`the sync of "${name}" was skipped: ${outcome.skipped}`);
      }
      if (job.state === 'failed' || job.state === 'cancelled') {
        const message = (job.output as { message?: string } | null)?.message ?? job.state;
        throw new StoreError(`the sync of "${name}" failed on a worker: ${message}`);
      }
    }
  };
}
