// A worker (`buildlens worker`): takes syncs and webhook deliveries from the queue, and on every tick
// hands on the syncs of workers that died (abandoned-syncs.ts), and queues the syncs that are due and the
// deliveries not queued yet. Any number run on any machines; all
// they share is the database. Both kinds of job may run twice (a worker killed after the work and before
// the job is marked done): a sync is incremental and writes only what changed, and a delivery already
// processed is no longer pending in the inbox, so the second run writes nothing.
import { inWriteTransaction } from '../store/dialect.js';
import { firstLine, NotFoundError } from '../store/errors.js';
import { pendingDeliveries, pendingDeliveriesById, pruneInbox } from '../store/inbox.js';
import { SyncLockedError } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { claimDueSyncs, scheduleEvery } from '../store/sync-schedules.js';
import { type SyncSummary, syncConnection } from '../sync/sync.js';
import { processDeliveries } from '../webhooks/processor.js';
import { AbandonedSyncs } from './abandoned-syncs.js';
import { InboxDispatcher } from './dispatch.js';
import { DELIVERY_QUEUE, type DeliveryJob, type JobQueue, SYNC_QUEUE, type SyncJob } from './queue.js';

export interface WorkerOptions {
  /** Every connection is synced this often (the schedule in the store); null: this worker queues none. */
  syncEveryMs: number | null;
  /** Jobs of each kind this worker runs at once. */
  concurrency: number;
  lookbackDays?: number;
  log: (line: string) => void;
  /** How often due syncs and unqueued deliveries are looked for. */
  tickMs?: number;
  /** Called after a sync job, and a delivery job that wrote something (alerts are judged then). */
  afterWork?: () => void;
}

export interface RunningWorker {
  /** Finishes the jobs under way (up to a timeout), then stops taking any. */
  stop(): Promise<void>;
}

const TICK_MS = 5000;
const PRUNE_EVERY_MS = 3_600_000;
const DUE_PER_TICK = 100;

/** What a sync job leaves as its output: the summary, or why it did nothing. */
export type SyncOutcome = { summary: SyncSummary } | { skipped: string };

export async function runSyncJob(
  store: Store,
  job: SyncJob,
  lookbackDays?: number,
  log?: (line: string) => void,
): Promise<SyncOutcome> {
  try {
    // The connector's diagnostics (retries, rate-limit waits) go to the worker's log.
    return { summary: await syncConnection(store, job.connection, { lookbackDays, connector: { log } }) };
  } catch (error) {
    // Another process syncs it now: that sync covers what this one would read.
    if (error instanceof SyncLockedError) return { skipped: firstLine(error) };
    // Removed since it was queued.
    if (error instanceof NotFoundError) return { skipped: firstLine(error) };
    throw error;
  }
}

/** Thrown to have the queue try a delivery again later. */
class TryLater extends Error {}

/** Deliveries of one connection a delivery job processes at most (besides its own). */
const DELIVERIES_PER_JOB = 500;

/**
 * Processes the job's delivery together with the other pending ones of its connection: deliveries of one
 * connection are written one batch at a time (under its lock), so a burst is one batch, and the jobs of
 * the others then find theirs processed.
 */
export async function runDeliveryJob(store: Store, job: DeliveryJob, lookbackDays?: number) {
  const [delivery] = await pendingDeliveriesById(store, [job.inbox]);
  // Processed already (by this job's earlier run or another delivery's job), or the connection was removed.
  if (!delivery) return { processed: 0 };
  const pending = await pendingDeliveries(store, DELIVERIES_PER_JOB, 0, delivery.connectionId);
  // In arrival order; its own comes after the oldest pending when those are more than a batch.
  const batch = pending.some((d) => d.id === delivery.id) ? pending : [...pending, delivery];
  const result = await processDeliveries(store, delivery.connectionId, batch, {
    sync: { lookbackDays },
  });
  if (result.state === 'locked')
    throw new TryLater('a sync or another batch of the connection holds its lock: after it');
  if (result.state === 'deferred') throw new TryLater(result.error);
  return { processed: result.state === 'settled' ? result.processed : 0 };
}

export async function startWorker(
  store: Store,
  queue: JobQueue,
  options: WorkerOptions,
): Promise<RunningWorker> {
  const { boss } = queue;
  const dispatcher = new InboxDispatcher(store, queue, options.log);
  const abandoned = new AbandonedSyncs(store, queue, options.log);
  for (let i = 0; i < options.concurrency; i++) {
    await boss.work<SyncJob>(SYNC_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
      if (!job) return null;
      const outcome = await runSyncJob(store, job.data, options.lookbackDays, options.log);
      options.log(
        'summary' in outcome
          ? `synced "${job.data.connection}" (${job.data.trigger}): ${outcome.summary.runsNew} new, ${outcome.summary.runsUpdated} updated runs, ${outcome.summary.requests} requests`
          : `sync of "${job.data.connection}" skipped: ${outcome.skipped}`,
      );
      if ('summary' in outcome) options.afterWork?.();
      return outcome;
    });
    await boss.work<DeliveryJob>(
      DELIVERY_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 1 },
      async ([job]) => {
        if (!job) return null;
        const outcome = await runDeliveryJob(store, job.data, options.lookbackDays);
        if (outcome.processed > 0) options.afterWork?.();
        return outcome;
      },
    );
  }

  let prunedAt = 0;
  const tick = async () => {
    await abandoned
      .pass()
      .catch((error: unknown) => options.log(`looking for abandoned syncs failed: ${firstLine(error)}`));
    const { syncEveryMs } = options;
    if (syncEveryMs !== null)
      await inWriteTransaction(store, async (db) => {
        const now = Date.now();
        await scheduleEvery(db, Math.round(syncEveryMs / 1000), now);
        for (const { name } of await claimDueSyncs(db, now, DUE_PER_TICK))
          await queue.sendSync({ connection: name, trigger: 'schedule' }, db);
      });
    dispatcher.kick();
    await dispatcher.idle();
    if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
      prunedAt = Date.now();
      await pruneInbox(store);
    }
  };
  let ticking: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    ticking = ticking
      .then(tick)
      .catch((error: unknown) => options.log(`worker tick failed: ${firstLine(error)}`));
  }, options.tickMs ?? TICK_MS);
  ticking = tick().catch((error: unknown) => options.log(`worker tick failed: ${firstLine(error)}`));

  return {
    stop: async () => {
      clearInterval(timer);
      await ticking;
      await queue.stop();
    },
  };
}
