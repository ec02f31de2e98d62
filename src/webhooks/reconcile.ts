// Reconciliation: the periodic sync is the safety net behind webhooks (Bitrise delivers once and never
// retries; any delivery can be lost). A run the sync is first to see finished, triggered after the webhook
// was set up, that no delivery announced as finished, is one the webhooks missed. A Bitrise pipeline is
// announced when the workflow builds it ran each were (the last of them brings the pipeline's end).
import type { Job, Run, RunStatus } from '../domain/model.js';
import { announcedFinished } from '../store/inbox.js';
import { storedStatuses } from '../store/lookups.js';
import type { Store } from '../store/store.js';
import { addMissedRuns, webhookSince } from '../store/webhooks.js';

const FINISHED: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'aborted', 'skipped']);

export interface Reconciler {
  /** Counts the missed runs among a batch the sync is about to write. */
  inspect(runs: readonly Run[], jobs: readonly Job[]): Promise<void>;
  /** Adds the count to the webhook's total and returns it. */
  record(): Promise<number>;
}

/** Null when the connection has no webhook: then nothing is missed. */
export async function webhookReconciler(store: Store, connectionId: number): Promise<Reconciler | null> {
  const since = (await webhookSince(store)).get(connectionId);
  if (since === undefined) return null;
  const sinceMs = Date.parse(since);
  let missed = 0;
  return {
    async inspect(runs, jobs) {
      const candidates = runs.filter((r) => FINISHED.has(r.status) && Date.parse(r.triggeredAt) >= sinceMs);
      if (candidates.length === 0) return;
      const stored = await storedStatuses(
        store,
        connectionId,
        candidates.map((r) => r.key),
      );
      const firstSeenFinished = candidates.filter((r) => !FINISHED.has(stored.get(r.key) ?? 'queued'));
      const subjectsOf = (run: Run) =>
        run.kind === 'pipeline'
          ? jobs.filter((j) => j.runKey === run.key && j.startedAt !== null).map((j) => j.key)
          : [run.key];
      const announced = await announcedFinished(store, connectionId, firstSeenFinished.flatMap(subjectsOf));
      for (const run of firstSeenFinished) {
        const subjects = subjectsOf(run);
        if (subjects.length === 0 || !subjects.every((s) => announced.has(s))) missed += 1;
      }
    },
    async record() {
      await addMissedRuns(store, connectionId, missed);
      return missed;
    },
  };
}
