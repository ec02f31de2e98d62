// Is a delivery really from the provider? Pure checks over the headers and the raw body, in constant time
// (ci-apis.md §4). Buildkite signs `<timestamp>.<raw body>` with HMAC-SHA256 under the webhook token, or
// sends the token itself; Bitrise documents no signature, so the user sets our secret as a custom header
// on the outgoing webhook. Anything else is refused, with a reason for the server log (never the secret).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A signature older (or further ahead) than this is refused: the timestamp is the dispatch time. */
export const MAX_SIGNATURE_AGE_S = 5 * 60;
/** The custom header a Bitrise outgoing webhook is set up to send (`buildlens connect webhook`). */
export const BITRISE_SECRET_HEADER = 'x-buildlens-webhook-secret';

export type Headers = Record<string, string | string[] | undefined>;

export type Verdict =
  /** `signature`: the `timestamp,signature` pair, usable once (replays are refused by the inbox). */
  { ok: true; event: string; signature: string | null } | { ok: false; reason: string };

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export function secretMatches(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Lowercase hex HMAC-SHA256 of `<timestamp>.<body>` keyed by the webhook token (Buildkite's algorithm). */
export function buildkiteSignature(secret: string, timestamp: string, body: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

function header(headers: Headers, name: string): string | null {
  const value = headers[name];
  if (Array.isArray(value)) return value.length === 1 ? (value[0] ?? null) : null;
  return value ?? null;
}

/** `timestamp=<unix seconds>,signature=<hex>` in either order; null when it is not that. */
export function parseSignatureHeader(value: string): { timestamp: string; signature: string } | null {
  const parts = new Map<string, string>();
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) return null;
    const key = part.slice(0, at).trim();
    if (parts.has(key)) return null;
    parts.set(key, part.slice(at + 1).trim());
  }
  const timestamp = parts.get('timestamp');
  const signature = parts.get('signature');
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature || !/^[0-9a-f]{64}$/i.test(signature))
    return null;
  return { timestamp, signature: signature.toLowerCase() };
}

export function verifyBuildkite(headers: Headers, body: Buffer, secret: string, nowMs: number): Verdict {
  const event = header(headers, 'x-buildkite-event');
  if (!event) return { ok: false, reason: 'no X-Buildkite-Event header' };
  const signed = header(headers, 'x-buildkite-signature');
  const token = header(headers, 'x-buildkite-token');
  if (signed !== null) {
    const parsed = parseSignatureHeader(signed);
    if (!parsed)
      return { ok: false, reason: 'X-Buildkite-Signature is not timestamp=<seconds>,signature=<hex>' };
    const expected = buildkiteSignature(secret, parsed.timestamp, body);
    if (!timingSafeEqual(Buffer.from(parsed.signature, 'hex'), Buffer.from(expected, 'hex')))
      return { ok: false, reason: 'the signature does not match the body and the webhook secret' };
    // Checked after the signature, so an attacker learns nothing about our clock from unsigned requests.
    const ageS = nowMs / 1000 - Number(parsed.timestamp);
    if (Math.abs(ageS) > MAX_SIGNATURE_AGE_S)
      return {
        ok: false,
        reason: `the signature's timestamp is ${Math.round(ageS)} s away from now (stale)`,
      };
    return { ok: true, event, signature: `${parsed.timestamp},${parsed.signature}` };
  }
  if (token !== null) {
    if (!secretMatches(token, secret)) return { ok: false, reason: 'X-Buildkite-Token does not match' };
    return { ok: true, event, signature: null };
  }
  return { ok: false, reason: 'neither X-Buildkite-Signature nor X-Buildkite-Token' };
}

export function verifyBitrise(headers: Headers, secret: string): Verdict {
  const event = header(headers, 'bitrise-event-type');
  if (!event) return { ok: false, reason: 'no Bitrise-Event-Type header' };
  const given = header(headers, BITRISE_SECRET_HEADER);
  if (given === null) return { ok: false, reason: `no ${BITRISE_SECRET_HEADER} header` };
  if (!secretMatches(given, secret)) return { ok: false, reason: `${BITRISE_SECRET_HEADER} does not match` };
  return { ok: true, event, signature: null };
}
