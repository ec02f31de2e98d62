// Group commit for the inbox: deliveries that arrive while the store is busy writing are written together
// in the next transaction, so a burst costs one transaction per turn rather than one per delivery (on
// PostgreSQL one commit to disk per turn). Each delivery is still answered only after the transaction that
// holds it committed; a transaction that fails fails every delivery in it, and nothing of it is stored.
import { type Acceptance, acceptDeliveries, type Delivery } from '../store/inbox.js';
import type { Store } from '../store/store.js';

/** At most this many deliveries per transaction (bodies run to a few KB, up to 1 MiB). */
const MOST_PER_WRITE = 200;

interface Waiting {
  delivery: Delivery;
  resolve: (acceptance: Acceptance) => void;
  reject: (error: unknown) => void;
}

export class InboxWriter {
  private readonly waiting: Waiting[] = [];
  private writing: Promise<void> | null = null;

  constructor(private readonly store: Store) {}

  accept(delivery: Delivery): Promise<Acceptance> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, resolve, reject });
      this.writeSoon();
    });
  }

  /** Writes after the deliveries already read in this turn of the event loop have joined. */
  private writeSoon(): void {
    if (this.writing) return;
    this.writing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.write())
      .finally(() => {
        this.writing = null;
        if (this.waiting.length > 0) this.writeSoon();
      });
  }

  private async write(): Promise<void> {
    const batch = this.waiting.splice(0, MOST_PER_WRITE);
    try {
      const acceptances = await acceptDeliveries(
        this.store,
        batch.map((w) => w.delivery),
      );
      for (const [i, w] of batch.entries()) w.resolve(acceptances[i] as Acceptance);
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
