// Works through the inbox in the background: started when a delivery is stored, when the server starts
// (deliveries stored before a crash are finished then) and on a timer (deliveries whose processing failed
// are tried again). One pass at a time per process; a delivery is marked processed only after what it
// brought is committed, so a kill in between means processing it again, which writes nothing new.

import { getConnection, listConnections } from '../store/connections.js';
import { firstLine } from '../store/errors.js';
import {
  deferDeliveries,
  pendingDeliveries,
  pruneInbox,
  type StoredDelivery,
  settleDeliveries,
} from '../store/inbox.js';
import { SyncLockedError } from '../store/lock.js';
import type { Store } from '../store/store.js';
import type { SyncOptions } from '../sync/sync.js';
import { applyBitrise, applyBuildkite, type Outcome } from './apply.js';
import { SerialPasses } from './serial-passes.js';

const PAGE = 500;
const RETRY_EVERY_MS = 30_000;
/** Deliveries held back by a sync of their connection are looked at again this soon. */
const LOCKED_RETRY_MS = 2000;
const PRUNE_EVERY_MS = 3_600_000;

export interface ProcessorOptions {
  /** Settings of the syncs and connectors processing uses (tests pin the clock and timeouts). */
  sync?: SyncOptions;
  log?: (line: string) => void;
  retryEveryMs?: number;
  lockedRetryMs?: number;
  /** Called after a pass that processed deliveries (alerts are judged then). */
  afterBatch?: () => void;
}

/** What the server needs of whoever handles stored deliveries: this process, or the queue's workers. */
export interface DeliveryHandling {
  /** A delivery was stored. */
  kick(): void;
  start(): void;
  stop(): void;
  /** Resolves when nothing is under way. */
  idle(): Promise<void>;
}

export class WebhookProcessor implements DeliveryHandling {
  private readonly passes = new SerialPasses(
    () => this.drain(),
    (error: unknown) => this.log(`webhook processing stopped: ${firstLine(error)}`),
  );
  private timer: NodeJS.Timeout | null = null;
  private lockedRetry: NodeJS.Timeout | null = null;
  private processed = 0;
  private prunedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly options: ProcessorOptions = {},
  ) {}

  /** Processes what the inbox holds now, then retries failed deliveries on a timer. */
  start(): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), this.options.retryEveryMs ?? RETRY_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.lockedRetry) clearTimeout(this.lockedRetry);
    this.timer = null;
    this.lockedRetry = null;
  }

  /** Starts a pass, or asks the one under way for another when it ends (a delivery came meanwhile). */
  kick(): void {
    this.passes.kick();
  }

  /** Resolves when no pass is under way. */
  async idle(): Promise<void> {
    await this.passes.idle();
  }

  /** Deliveries processed (written or ignored) since the process started. */
  processedCount(): number {
    return this.processed;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private async drain(): Promise<void> {
    const before = this.processed;
    let after = 0;
    for (;;) {
      const rows = await pendingDeliveries(this.store, PAGE, after);
      const last = rows.at(-1);
      if (!last) break;
      after = last.id;
      const byConnection = new Map<number, StoredDelivery[]>();
      for (const row of rows)
        byConnection.set(row.connectionId, [...(byConnection.get(row.connectionId) ?? []), row]);
      for (const [connectionId, group] of byConnection) await this.processGroup(connectionId, group);
    }
    if (this.processed > before) this.options.afterBatch?.();
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = Date.now();
      await pruneInbox(this.store);
    }
  }

  private async processGroup(connectionId: number, rows: StoredDelivery[]): Promise<void> {
    const result = await processDeliveries(this.store, connectionId, rows, this.options);
    if (result.state === 'settled') this.processed += result.processed;
    if (result.state === 'locked' && !this.lockedRetry)
      this.lockedRetry = setTimeout(() => {
        this.lockedRetry = null;
        this.kick();
      }, this.options.lockedRetryMs ?? LOCKED_RETRY_MS).unref();
  }
}

/**
 * What processing a connection's deliveries came to: `settled` (written or ignored, `processed` of them),
 * `locked` (a sync or another delivery of the connection holds its lock: try after it, no attempt counted),
 * `deferred` (failed: an attempt counted, left pending or failed), `gone` (the connection was removed).
 */
export type ProcessResult =
  | { state: 'settled'; processed: number }
  | { state: 'locked' }
  | { state: 'deferred'; error: string }
  | { state: 'gone' };

/** Processes deliveries of one connection through the sync path; the one way both the server and workers do. */
export async function processDeliveries(
  store: Store,
  connectionId: number,
  rows: StoredDelivery[],
  options: ProcessorOptions = {},
): Promise<ProcessResult> {
  const ids = rows.map((r) => r.id);
  const connection = (await listConnections(store)).find((c) => c.id === connectionId);
  // Removed meanwhile: its deliveries went with it.
  if (!connection) return { state: 'gone' };
  let outcome: Outcome;
  try {
    const sync = options.sync ?? {};
    if (connection.provider === 'buildkite') {
      const { token } = await getConnection(store, connection.name);
      outcome = await applyBuildkite(store, connection, token, rows, sync);
    } else {
      outcome = await applyBitrise(store, connection, rows, sync);
    }
  } catch (error) {
    if (error instanceof SyncLockedError) return { state: 'locked' };
    const line = firstLine(error);
    options.log?.(`webhook deliveries of "${connection.name}" not processed yet: ${line}`);
    await deferDeliveries(store, ids, line);
    return { state: 'deferred', error: line };
  }
  await settleDeliveries(store, outcome.done, 'done');
  for (const { id, why } of outcome.ignored) await settleDeliveries(store, [id], 'ignored', why);
  return { state: 'settled', processed: outcome.done.length + outcome.ignored.length };
}
