// From the inbox to the queue: every pending delivery's id is queued (a delivery already queued keeps its
// one job). The server does it when it stores a delivery, the workers on every tick, which also covers a
// server killed between storing a delivery and queueing it. Passes run one at a time; a kick during a pass
// asks for one more after it.
import { firstLine } from '../store/errors.js';
import { pendingDeliveries } from '../store/inbox.js';
import type { Store } from '../store/store.js';
import type { DeliveryHandling } from '../webhooks/processor.js';
import { SerialPasses } from '../webhooks/serial-passes.js';
import type { JobQueue } from './queue.js';

const PAGE = 500;

export class InboxDispatcher implements DeliveryHandling {
  private readonly passes = new SerialPasses(
    () => this.dispatch(),
    (error: unknown) => this.log(`queueing webhook deliveries failed: ${firstLine(error)}`),
  );

  constructor(
    private readonly store: Store,
    private readonly queue: JobQueue,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.kick();
  }

  stop(): void {}

  kick(): void {
    this.passes.kick();
  }

  async idle(): Promise<void> {
    await this.passes.idle();
  }

  private async dispatch(): Promise<void> {
    for (let after = 0; ; ) {
      const rows = await pendingDeliveries(this.store, PAGE, after);
      const last = rows.at(-1);
      if (!last) return;
      await this.queue.sendDeliveries(rows.map((r) => r.id));
      after = last.id;
    }
  }
}
