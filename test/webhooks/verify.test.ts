// The signature algorithm against worked vectors computed outside buildlens, with
//   printf '<timestamp>.' | cat - body | openssl dgst -sha256 -hmac '<secret>'
// (the body bytes exactly as below, with no trailing newline), and the refusals of every other delivery.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildkiteSignature,
  parseSignatureHeader,
  verifyBitrise,
  verifyBuildkite,
} from '../../src/webhooks/verify.js';

const SECRET = 'whsec-buildkite-vector-0123456789';
const BODY = Buffer.from(
  '{"event":"build.finished","build":{"id":"f62a1b4d-10f9-4790-bc1c-e2c3a0c80983","number":42,"state":"passed"}}',
);

const VECTORS = [
  {
    secret: SECRET,
    timestamp: '1765000000',
    body: BODY,
    hex: '348e7163c1e11d5cfb9f554616e9ea3e568b4af7d678bc297e80ef3b76a8bf2f',
  },
  {
    secret: 'another-secret-of-enough-length',
    timestamp: '1700000000',
    body: Buffer.from('ping'),
    hex: '90247ff78ffbf294a4ce1f5cfe6ce01ebcd7e4290dee1597efd634230fa95752',
  },
  {
    secret: 'another-secret-of-enough-length',
    timestamp: '1700000000',
    body: Buffer.alloc(0),
    hex: 'e68f0d9e0baddfc276734c232fde49594e5fa4c7662ea50df1453d5911245ee6',
  },
  // Multi-byte UTF-8 and odd spacing: the raw bytes are signed, never a re-serialized object.
  {
    secret: SECRET,
    timestamp: '1765000123',
    body: Buffer.from('7b226d657373616765223a22636166c3a920e29c93222c2020226e223a317d', 'hex'),
    hex: 'e1e325b818d40e86311b8a596dc3fb5ee97c170e92c1b4bba492b20717e96137',
  },
];

test('HMAC-SHA256 over "<timestamp>.<raw body>" matches the openssl vectors', () => {
  for (const v of VECTORS) assert.equal(buildkiteSignature(v.secret, v.timestamp, v.body), v.hex);
});

const at = (seconds: number) => seconds * 1000;
const signed = (timestamp: string, hex: string, extra: Record<string, string> = {}) => ({
  'x-buildkite-event': 'build.finished',
  'x-buildkite-signature': `timestamp=${timestamp},signature=${hex}`,
  ...extra,
});

test('a signed delivery within five minutes is accepted, with its signature as the replay key', () => {
  const [v] = VECTORS;
  assert.ok(v);
  for (const skew of [0, 299, -299]) {
    const verdict = verifyBuildkite(signed(v.timestamp, v.hex), v.body, v.secret, at(1765000000 + skew));
    assert.deepEqual(verdict, { ok: true, event: 'build.finished', signature: `1765000000,${v.hex}` });
  }
  // Either order of the two parts, and upper-case hex.
  const swapped = {
    'x-buildkite-event': 'ping',
    'x-buildkite-signature': `signature=${v.hex.toUpperCase()},timestamp=${v.timestamp}`,
  };
  assert.equal(verifyBuildkite(swapped, v.body, v.secret, at(1765000000)).ok, true);
});

test('stale, forged, malformed and unsigned Buildkite deliveries are refused', () => {
  const [v] = VECTORS;
  assert.ok(v);
  const refused = (headers: Record<string, string>, body = v.body, now = at(1765000000)) => {
    const verdict = verifyBuildkite(headers, body, v.secret, now);
    assert.equal(verdict.ok, false, JSON.stringify(headers));
    return verdict.ok ? '' : verdict.reason;
  };
  assert.match(refused(signed(v.timestamp, v.hex), v.body, at(1765000000 + 301)), /stale/);
  assert.match(refused(signed(v.timestamp, v.hex), v.body, at(1765000000 - 301)), /stale/);
  // One byte of the body changed, the timestamp moved, a signature under another key.
  assert.match(refused(signed(v.timestamp, v.hex), Buffer.from(`${v.body.toString()} `)), /does not match/);
  assert.match(refused(signed('1765000001', v.hex)), /does not match/);
  const other = buildkiteSignature('not-the-webhook-secret-at-all', v.timestamp, v.body);
  assert.match(refused(signed(v.timestamp, other)), /does not match/);
  for (const bad of [
    '',
    'timestamp=1765000000',
    `signature=${v.hex}`,
    `timestamp=x,signature=${v.hex}`,
    `timestamp=1765000000,signature=${v.hex.slice(2)}`,
    `timestamp=1,timestamp=2,signature=${v.hex}`,
  ])
    assert.match(refused({ 'x-buildkite-event': 'ping', 'x-buildkite-signature': bad }), /not timestamp=/);
  assert.match(refused({ 'x-buildkite-event': 'ping' }), /neither/);
  assert.match(
    refused({ 'x-buildkite-signature': `timestamp=${v.timestamp},signature=${v.hex}` }),
    /X-Buildkite-Event/,
  );
});

test('token mode compares the token, and a wrong one is refused', () => {
  const headers = (token: string) => ({ 'x-buildkite-event': 'build.running', 'x-buildkite-token': token });
  assert.deepEqual(verifyBuildkite(headers(SECRET), BODY, SECRET, 0), {
    ok: true,
    event: 'build.running',
    signature: null,
  });
  for (const wrong of ['', SECRET.slice(0, -1), `${SECRET}x`, SECRET.toUpperCase()])
    assert.equal(verifyBuildkite(headers(wrong), BODY, SECRET, 0).ok, false);
});

test('Bitrise deliveries need the secret header', () => {
  const ok = { 'bitrise-event-type': 'build/finished', 'x-buildlens-webhook-secret': SECRET };
  assert.deepEqual(verifyBitrise(ok, SECRET), { ok: true, event: 'build/finished', signature: null });
  assert.equal(verifyBitrise({ ...ok, 'x-buildlens-webhook-secret': 'nope' }, SECRET).ok, false);
  assert.equal(verifyBitrise({ 'bitrise-event-type': 'build/finished' }, SECRET).ok, false);
  assert.equal(verifyBitrise({ 'x-buildlens-webhook-secret': SECRET }, SECRET).ok, false);
  assert.equal(verifyBitrise({ ...ok, 'x-buildlens-webhook-secret': [SECRET, SECRET] }, SECRET).ok, false);
});

test('the signature header parser', () => {
  assert.deepEqual(parseSignatureHeader(`timestamp=1, signature=${'A'.repeat(64)}`), {
    timestamp: '1',
    signature: 'a'.repeat(64),
  });
  assert.equal(parseSignatureHeader(`timestamp=1,signature=${'g'.repeat(64)}`), null);
});
