// Receiving a delivery: verified against the connection's webhook secret, then written to the inbox before
// it is answered (DESIGN.md "Server access", "Ingestion paths"). Unsigned, forged, stale and replayed
// deliveries are refused with nothing stored; refusals are counted per connection for the health view, in
// memory and added to the store's counts at most every REFUSALS_EVERY_MS (every replica then shows the
// same count, and a flood of forged requests stays a trickle of writes).
import { firstLine } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { addRefusals, findWebhook, mergeRefusals, type Refusals } from '../store/webhooks.js';
import { InboxWriter } from './inbox-writer.js';
import { type Headers, verifyBitrise, verifyBuildkite } from './verify.js';

export interface Receipt {
  status: 200 | 202 | 400 | 401;
  body: { status: 'accepted' | 'duplicate' } | { error: string; message: string };
  /** Why a delivery was refused, for the server log; never a secret. */
  refusal?: string;
}

const UNAUTHORIZED = {
  error: 'unauthorized',
  message: 'not a delivery signed with this connection’s webhook secret',
};

/** The build a delivery is about, and whether it says that build finished (reconciliation reads these). */
function subjectOf(provider: string, event: string, body: Record<string, unknown>) {
  if (provider === 'buildkite') {
    const build = body.build as { id?: unknown } | undefined;
    return { subject: typeof build?.id === 'string' ? build.id : null, final: event === 'build.finished' };
  }
  const slug = body.build_slug;
  return { subject: typeof slug === 'string' ? slug : null, final: event === 'build/finished' };
}

/** How often at most a server adds the deliveries it refused to the store's counts. */
const REFUSALS_EVERY_MS = 5000;

export class WebhookReceiver {
  /** Refused since they were last added to the store, by connection id. */
  private unstored = new Map<number, Refusals>();
  private adding: NodeJS.Timeout | null = null;
  private readonly inbox: InboxWriter;

  constructor(
    private readonly store: Store,
    private readonly onStored: () => void,
    private readonly now: () => number = Date.now,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.inbox = new InboxWriter(store);
  }

  /** Refused deliveries not added to the store yet, by connection id (the health view adds them). */
  unstoredRefusals(): ReadonlyMap<number, Refusals> {
    return this.unstored;
  }

  /**
   * Adds the refusals counted so far to the store: on a timer, and when the server closes (`last`: then
   * a failure is only logged, as nobody would try again).
   */
  async storeRefusals(last = false): Promise<void> {
    if (this.adding) clearTimeout(this.adding);
    this.adding = null;
    const counted = this.unstored;
    if (counted.size === 0) return;
    this.unstored = new Map();
    try {
      await addRefusals(this.store, counted);
    } catch (error) {
      this.log(`counting refused webhook deliveries failed: ${firstLine(error)}`);
      // Kept for the next time, with what was refused meanwhile.
      for (const [id, refusals] of counted)
        this.unstored.set(id, mergeRefusals(refusals, this.unstored.get(id)) as Refusals);
      if (!last) this.later();
    }
  }

  private later(): void {
    this.adding ??= setTimeout(() => {
      this.adding = null;
      void this.storeRefusals();
    }, REFUSALS_EVERY_MS).unref();
  }

  private refuse(connectionId: number, reason: string): Receipt {
    const refusal = { count: 1, lastAt: new Date(this.now()).toISOString(), lastReason: reason };
    this.unstored.set(connectionId, mergeRefusals(this.unstored.get(connectionId), refusal) as Refusals);
    this.later();
    return { status: 401, body: UNAUTHORIZED, refusal: reason };
  }

  async receive(name: string, headers: Headers, raw: Buffer): Promise<Receipt> {
    const webhook = await findWebhook(this.store, name);
    // The same answer as a bad signature: the endpoint does not tell which connections exist.
    if (!webhook) return { status: 401, body: UNAUTHORIZED, refusal: 'no webhook is set up under this name' };
    const verdict =
      webhook.provider === 'buildkite'
        ? verifyBuildkite(headers, raw, webhook.secret, this.now())
        : verifyBitrise(headers, webhook.secret);
    if (!verdict.ok) return this.refuse(webhook.connectionId, verdict.reason);

    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return { status: 400, body: { error: 'bad_request', message: 'the body is not a JSON object' } };

    const accepted = await this.inbox.accept({
      connectionId: webhook.connectionId,
      event: verdict.event,
      body: text,
      signature: verdict.signature,
      ...subjectOf(webhook.provider, verdict.event, body as Record<string, unknown>),
      receivedAt: new Date(this.now()),
    });
    if (accepted === 'replayed')
      return this.refuse(webhook.connectionId, 'the signature was used before (replay)');
    if (accepted === 'duplicate') return { status: 200, body: { status: 'duplicate' } };
    this.onStored();
    return { status: 202, body: { status: 'accepted' } };
  }
}
