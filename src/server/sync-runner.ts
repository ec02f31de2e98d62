// Syncs started from the API or on a schedule: one at a time, with live progress per connection. The
// outcome of each connection's last sync is also recorded in the store by the sync engine itself.
import { listConnections } from '../store/connections.js';
import { firstLine, NotFoundError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { type SyncOptions, type SyncSummary, syncConnection } from '../sync/sync.js';
import { Conflict } from './errors.js';
import { syncLogLine } from './sync-log.js';

export type SyncOne = (store: Store, name: string, options: SyncOptions) => Promise<SyncSummary>;

export interface ConnectionSync {
  connection: string;
  state: 'waiting' | 'running' | 'succeeded' | 'failed';
  projectsDone: number;
  projectsTotal: number;
  runsDone: number;
  summary: SyncSummary | null;
  error: string | null;
}

export interface SyncStatus {
  running: boolean;
  /** What started the latest sync. */
  trigger: 'api' | 'schedule' | null;
  startedAt: string | null;
  finishedAt: string | null;
  connections: ConnectionSync[];
}

export class SyncRunner {
  private current: SyncStatus = {
    running: false,
    trigger: null,
    startedAt: null,
    finishedAt: null,
    connections: [],
  };
  private done: Promise<void> = Promise.resolve();
  private readonly failures = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private starting = false;

  constructor(
    private readonly store: Store,
    private readonly options: {
      lookbackDays?: number;
      syncOne?: SyncOne;
      /** Gets one line per connection synced (docs/dashboard.md). */
      log?: (line: string) => void;
      /** Called when a sync of every chosen connection has ended (alerts are judged then). */
      afterSync?: () => void;
    } = {},
  ) {}

  status(): SyncStatus {
    return structuredClone(this.current);
  }

  /** Failed connection syncs since the server started, per connection. */
  failureCounts(): ReadonlyMap<string, number> {
    return this.failures;
  }

  /** Starts syncing `names` (every connection when empty) in the background; one sync at a time. */
  async start(names: readonly string[], trigger: 'api' | 'schedule'): Promise<SyncStatus> {
    if (this.current.running || this.starting)
      throw new Conflict('a sync is already running; wait for it to finish');
    // Claimed before the first await, so two requests at once cannot both start one.
    this.starting = true;
    let chosen: string[];
    try {
      const known = (await listConnections(this.store)).map((c) => c.name);
      const unknown = names.filter((n) => !known.includes(n));
      if (unknown.length > 0) throw new NotFoundError(`unknown connection "${unknown[0]}"`);
      chosen = names.length > 0 ? [...new Set(names)] : known;
    } finally {
      this.starting = false;
    }
    this.current = {
      running: true,
      trigger,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      connections: chosen.map((connection) => ({
        connection,
        state: 'waiting',
        projectsDone: 0,
        projectsTotal: 0,
        runsDone: 0,
        summary: null,
        error: null,
      })),
    };
    this.done = this.runAll();
    return this.status();
  }

  /** Resolves when the sync under way (if any) has finished. */
  idle(): Promise<void> {
    return this.done;
  }

  /** Starts a sync of every connection every `everyMs`, skipping a turn while one is still running. */
  schedule(everyMs: number): void {
    this.timer = setInterval(() => {
      if (!this.current.running && !this.starting) this.start([], 'schedule').catch(() => {});
    }, everyMs);
    this.timer.unref();
  }

  /** Stops the schedule. A sync under way is not waited for: it cannot be cancelled half-way cleanly,
   * and its committed batches and checkpoint stay valid if the process ends. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async runAll(): Promise<void> {
    const syncOne = this.options.syncOne ?? syncConnection;
    for (const entry of this.current.connections) {
      entry.state = 'running';
      try {
        entry.summary = await syncOne(this.store, entry.connection, {
          lookbackDays: this.options.lookbackDays,
          onProgress: (progress) => Object.assign(entry, progress),
        });
        entry.state = 'succeeded';
      } catch (error) {
        entry.state = 'failed';
        entry.error = firstLine(error);
        this.failures.set(entry.connection, (this.failures.get(entry.connection) ?? 0) + 1);
      }
      const outcome = entry.summary ? { summary: entry.summary } : { error: entry.error ?? 'failed' };
      this.options.log?.(syncLogLine(new Date(), entry.connection, this.current.trigger ?? 'api', outcome));
    }
    this.current.running = false;
    this.current.finishedAt = new Date().toISOString();
    this.options.afterSync?.();
  }
}
