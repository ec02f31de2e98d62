// Watching the store's data version (src/store/data-version.ts) for the dashboard's live updates. One
// watch per server process polls the store (a one-row lookup) while anyone listens, and tells listeners
// when the version moved. It reads the store, not this process's own writes, so a run written by another
// replica, the CLI or a webhook processed elsewhere reaches every replica's listeners.

import { dataVersion } from '../store/data-version.js';
import { firstLine } from '../store/errors.js';
import type { Store } from '../store/store.js';

export const WATCH_EVERY_MS = 500;

export type VersionListener = (version: number) => void;

export class DataVersionWatch {
  private readonly listeners = new Set<VersionListener>();
  private timer: NodeJS.Timeout | null = null;
  private last: number | null = null;
  private polling = false;
  private failing = false;

  constructor(
    private readonly store: Pick<Store, 'db'>,
    private readonly log: (line: string) => void,
    private readonly everyMs = WATCH_EVERY_MS,
  ) {}

  current(): Promise<number> {
    return dataVersion(this.store);
  }

  /** Calls `listener` with each new version until the returned function is called. */
  subscribe(listener: VersionListener): () => void {
    this.listeners.add(listener);
    if (this.timer === null) {
      this.timer = setInterval(() => void this.poll(), this.everyMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.last = null;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const version = await this.current();
      this.failing = false;
      if (version === this.last) return;
      this.last = version;
      for (const listener of this.listeners) listener(version);
    } catch (error) {
      // Said once per outage, not every half second; the next poll that works carries on.
      if (!this.failing) this.log(`cannot read the store's data version: ${firstLine(error)}`);
      this.failing = true;
    } finally {
      this.polling = false;
    }
  }
}
