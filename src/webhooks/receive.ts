// Receiving a delivery: verified against the connection's webhook secret, then written to the inbox before
// it is answered (DESIGN.md "Server access", "Ingestion paths"). Unsigned, forged, stale and replayed
// deliveries are refused with nothing stored; refusals are counted per connection for the health view
// (in memory: a flood of forged requests must not become a flood of writes).
import type { Store } from '../store/store.js';
import type { Refusals } from '../store/webhook-health.js';
import { findWebhook } from '../store/webhooks.js';
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

export class WebhookReceiver {
  private readonly refused = new Map<string, Refusals>();
  private readonly inbox: InboxWriter;

  constructor(
    private readonly store: Store,
    private readonly onStored: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.inbox = new InboxWriter(store);
  }

  /** Refused deliveries per connection name since the process started. */
  refusals(): ReadonlyMap<string, Refusals> {
    return this.refused;
  }

  private refuse(name: string, reason: string): Receipt {
    const seen = this.refused.get(name);
    this.refused.set(name, {
      count: (seen?.count ?? 0) + 1,
      lastAt: new Date(this.now()).toISOString(),
      lastReason: reason,
    });
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
    if (!verdict.ok) return this.refuse(name, verdict.reason);

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
    if (accepted === 'replayed') return this.refuse(name, 'the signature was used before (replay)');
    if (accepted === 'duplicate') return { status: 200, body: { status: 'duplicate' } };
    this.onStored();
    return { status: 202, body: { status: 'accepted' } };
  }
}
