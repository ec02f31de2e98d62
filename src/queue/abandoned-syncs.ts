// Sync jobs whose worker died. pg-boss 10 has no heartbeat: the job of a worker killed mid-sync stays
// active until it expires (30 minutes), and nobody syncs the connection meanwhile. But a sync holds its
// connection's sync lock for as long as it runs, a session advisory lock that PostgreSQL drops with the
// session of a worker that died (src/store/lock.ts). So a sync job active for longer than any live worker
// takes to lock, whose connection's lock nobody holds, has no worker left: every worker looks on each tick
// and fails such jobs through pg-boss, which retries them on a worker that is free.
import { syncLockTaken } from '../store/lock.js';
import type { Store } from '../store/store.js';
import type { ActiveSync, JobQueue } from './queue.js';

/**
 * A live worker holds the lock within moments of taking the job. At worst it waits the store pool's
 * connection timeout (10 s) twice, for reading the connection and for the lock's session, and fails the
 * job if it gets none.
 */
export const LOCK_GRACE_S = 30;

export class AbandonedSyncs {
  /** The attempts seen without a lock on the last pass: failed if they are seen so again. */
  private suspects = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly queue: JobQueue,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * One look. An attempt is failed only when it was seen unlocked on the pass before too, so a live worker
   * between releasing the lock and marking its job done is left to finish (and a failure never hits a
   * sync that runs: it holds the lock on every pass).
   */
  async pass(): Promise<void> {
    const unlocked = new Map<string, string>();
    for (const job of await this.queue.activeSyncs(LOCK_GRACE_S)) {
      if (await syncLockTaken(this.store, job.connection)) continue;
      if (this.suspects.get(job.id) === job.startedOn) await this.fail(job);
      else unlocked.set(job.id, job.startedOn);
    }
    this.suspects = unlocked;
  }

  private async fail(job: ActiveSync): Promise<void> {
    const failed = await this.queue.failAbandoned(
      job,
      'its worker stopped during the sync (its sync lock was free)',
      async () => !(await syncLockTaken(this.store, job.connection)),
    );
    if (failed)
      this.log(`sync of "${job.connection}" (job ${job.id}) abandoned by a worker that stopped: tried again`);
  }
}
