// A generic JSON webhook: the message as it is (versioned), signed so the receiver can tell it came from
// this buildlens and was not replayed: X-Buildlens-Signature is `sha256=` and the hex HMAC-SHA256, keyed by
// the destination's secret, of `<X-Buildlens-Timestamp>.<body>`.
import { createHmac } from 'node:crypto';
import type { AlertMessage } from '../message.js';

export const WEBHOOK_VERSION = 1;

export function webhookBody(message: AlertMessage): string {
  return JSON.stringify({ version: WEBHOOK_VERSION, ...message });
}

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Headers of one delivery: the event, an id that stays the same on every retry, the time and the signature. */
export function webhookHeaders(
  secret: string,
  body: string,
  delivery: { id: number; event: string },
  nowMs: number,
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'x-buildlens-event': `alert.${delivery.event}`,
    'x-buildlens-delivery': String(delivery.id),
    'x-buildlens-timestamp': timestamp,
    'x-buildlens-signature': webhookSignature(secret, timestamp, body),
  };
}
