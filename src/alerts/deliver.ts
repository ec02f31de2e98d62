// Sending queued alert messages: each delivery is claimed first (src/store/alert-state.ts), rendered for its
// destination, and posted with bounded retries and back-off on what may pass (no answer, 408, 429, 5xx);
// it ends sent or failed, with the redacted reason kept for `alerts list` and /metrics.
import { redact } from '../domain/redaction.js';
import { lineText } from '../domain/text.js';
import { claimDelivery, type Delivery, finishDelivery, pendingDeliveryIds } from '../store/alert-state.js';
import { firstLine } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { slackPayload } from './destinations/slack.js';
import { teamsPayload } from './destinations/teams.js';
import { webhookBody, webhookHeaders } from './destinations/webhook.js';
import type { AlertMessage } from './message.js';
import type { AlertsConfig, Destination } from './rules.js';

/** Waits before the 2nd, 3rd and 4th attempt: four attempts in about 21 s at most, then failed. */
export const RETRY_DELAYS_MS = [1000, 5000, 15000];
const TIMEOUT_MS = 10_000;
/** A delivery claimed this long ago and still pending lost its sender (killed): another process takes it. */
export const STALE_CLAIM_MS = 10 * 60_000;

export interface SendOptions {
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
  now?: () => number;
}

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The exact request a delivery makes to its destination. */
export function outgoingRequest(
  destination: Destination & { url: string },
  message: AlertMessage,
  delivery: { id: number; event: string },
  nowMs: number,
): OutgoingRequest {
  const json = { 'content-type': 'application/json' };
  switch (destination.type) {
    case 'slack':
      return { url: destination.url, headers: json, body: JSON.stringify(slackPayload(message)) };
    case 'teams':
      return { url: destination.url, headers: json, body: JSON.stringify(teamsPayload(message)) };
    case 'webhook': {
      const body = webhookBody(message);
      const signing = webhookHeaders(destination.secret ?? '', body, delivery, nowMs);
      return { url: destination.url, headers: { ...json, ...signing }, body };
    }
  }
}

type Attempt = { ok: true } | { ok: false; retry: boolean; error: string };

async function attempt(request: OutgoingRequest, timeoutMs: number): Promise<Attempt> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return { ok: false, retry: true, error: `no answer: ${firstLine(cause ?? error)}` };
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return { ok: true };
  const status = response.status;
  const retry = status === 408 || status === 429 || status >= 500;
  return { ok: false, retry, error: `HTTP ${status}${text ? `: ${lineText(text).slice(0, 200)}` : ''}` };
}

/** Posts with retries; the outcome after at most RETRY_DELAYS_MS.length + 1 attempts. */
export async function send(
  request: OutgoingRequest,
  options: SendOptions = {},
): Promise<{ ok: boolean; attempts: number; error: string | null }> {
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const result = await attempt(request, options.timeoutMs ?? TIMEOUT_MS);
    if (result.ok) return { ok: true, attempts, error: null };
    const delay = delays[attempts - 1];
    if (!result.retry || delay === undefined) return { ok: false, attempts, error: redact(result.error) };
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export interface DeliveryOutcome {
  id: number;
  rule: string;
  destination: string;
  event: string;
  state: 'sent' | 'failed';
  attempts: number;
  error: string | null;
}

async function deliverOne(
  store: Store,
  delivery: Delivery,
  config: AlertsConfig,
  options: SendOptions,
): Promise<DeliveryOutcome> {
  const now = options.now ?? Date.now;
  const destination = config.destinations.find((d) => d.name === delivery.destination);
  let result: { ok: boolean; attempts: number; error: string | null };
  if (!destination)
    result = { ok: false, attempts: 0, error: `no destination "${delivery.destination}" in ${config.file}` };
  else if (destination.url === null)
    result = { ok: false, attempts: 0, error: destination.problem ?? 'no address' };
  else {
    const message = JSON.parse(delivery.message) as AlertMessage;
    const request = outgoingRequest({ ...destination, url: destination.url }, message, delivery, now());
    result = await send(request, options);
  }
  const state = result.ok ? 'sent' : 'failed';
  const error =
    result.error === null
      ? null
      : `${destination?.type ?? 'destination'} "${delivery.destination}": ${result.error}`;
  await finishDelivery(store, delivery.id, {
    state,
    attempts: delivery.attempts + result.attempts,
    error,
    at: new Date(now()).toISOString(),
  });
  return {
    id: delivery.id,
    rule: delivery.rule,
    destination: delivery.destination,
    event: delivery.event,
    state,
    attempts: delivery.attempts + result.attempts,
    error,
  };
}

/** Sends every delivery waiting (this process's new ones, and any a dead process left), one at a time. */
export async function deliverPending(
  store: Store,
  config: AlertsConfig,
  options: SendOptions = {},
): Promise<DeliveryOutcome[]> {
  const now = options.now ?? Date.now;
  const staleBefore = new Date(now() - STALE_CLAIM_MS).toISOString();
  const outcomes: DeliveryOutcome[] = [];
  for (const id of await pendingDeliveryIds(store, staleBefore)) {
    const delivery = await claimDelivery(store, id, new Date(now()).toISOString(), staleBefore);
    if (delivery) outcomes.push(await deliverOne(store, delivery, config, options));
  }
  return outcomes;
}
