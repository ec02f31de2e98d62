import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import {
  ApiError,
  createHttpClient,
  type HttpClientOptions,
  InvalidResponseError,
  maxResponseBytes,
  RateLimitedError,
  ResponseTooLargeError,
  retryAfterMs,
  TimeoutError,
  UnreachableError,
} from '../../src/connectors/http.js';

const TOKEN = 'secret-token-123';

/** The provider's side: a tiny server on loopback whose answers each test scripts per path. */
type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;
const routes = new Map<string, Handler>();
const hits = new Map<string, IncomingMessage[]>();
let server: ReturnType<typeof createServer>;
let baseUrl = '';

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api/, '');
    const seen = hits.get(path) ?? [];
    seen.push(req);
    hits.set(path, seen);
    const handler = routes.get(path);
    if (!handler) return json(res, 404, { message: 'Not Found' });
    handler(req, res, seen.length);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
after(() => new Promise<void>((ok) => server.close(() => ok())));

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

let n = 0;
/** A fresh path per test so hit counts never mix. */
function route(handler: Handler): string {
  const path = `/r${++n}`;
  routes.set(path, handler);
  return path;
}

function client(overrides: Partial<HttpClientOptions> = {}) {
  return createHttpClient({
    baseUrl,
    token: TOKEN,
    authScheme: '',
    tokenEnv: 'BITRISE_TOKEN',
    backoffMs: 1,
    maxRetries: 3,
    timeoutMs: 2000,
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the call to fail');
}

test('sends the raw token or a scheme, with the query, and parses JSON', async () => {
  const path = route((req, res) => json(res, 200, { auth: req.headers.authorization, url: req.url }));
  const raw = await client().get(path, { limit: 1, skipped: undefined, next: 'a b' });
  assert.equal(raw.status, 200);
  assert.deepEqual(raw.body, { auth: TOKEN, url: `/api${path}?limit=1&next=a+b` });
  const bearer = await client({ authScheme: 'Bearer' }).get(path);
  assert.equal((bearer.body as { auth: string }).auth, `Bearer ${TOKEN}`);
});

test('retries 503 with backoff and then succeeds, counting every request', async () => {
  const path = route((_req, res, hit) =>
    hit < 3 ? json(res, 503, { message: 'busy' }) : json(res, 200, { ok: hit }),
  );
  const lines: string[] = [];
  const http = client({ log: (line) => lines.push(line) });
  const response = await http.get(path);
  assert.deepEqual(response.body, { ok: 3 });
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /answered 503 .*"busy"; retrying in \d+\.\d s$/);
  assert.equal(http.requests(), 3);
  assert.equal(hits.get(path)?.length, 3);
});

test('honours Retry-After in seconds before retrying a 429', async () => {
  const path = route((_req, res, hit) =>
    hit === 1 ? json(res, 429, { message: 'slow down' }, { 'Retry-After': '1' }) : json(res, 200, {}),
  );
  const started = Date.now();
  await client({ backoffMs: 1 }).get(path);
  // Backoff alone would retry after about a millisecond; the server asked for one second.
  assert.ok(Date.now() - started >= 950, `retried after ${Date.now() - started} ms`);
});

test('a provider reset header sets the wait when there is no Retry-After', async () => {
  const path = route((_req, res, hit) =>
    hit === 1 ? json(res, 429, {}, { 'RateLimit-Reset': '1' }) : json(res, 200, {}),
  );
  const seen: string[] = [];
  const http = client({
    rateLimitWaitMs: (headers) => {
      const reset = headers.get('ratelimit-reset');
      seen.push(reset ?? 'none');
      return reset === null ? null : Number(reset) * 1000;
    },
  });
  const started = Date.now();
  await http.get(path);
  assert.deepEqual(seen, ['1']);
  assert.ok(Date.now() - started >= 950, `retried after ${Date.now() - started} ms`);
});

test('caps a single wait whatever the server asks for', async () => {
  const path = route((_req, res, hit) =>
    hit === 1 ? json(res, 429, {}, { 'Retry-After': '3600' }) : json(res, 200, { hit }),
  );
  const response = await client({ maxWaitMs: 20 }).get(path);
  assert.deepEqual(response.body, { hit: 2 });
});

test('Retry-After parses seconds and HTTP dates', () => {
  const now = Date.parse('2025-03-01T10:00:00Z');
  assert.equal(retryAfterMs('7', now), 7000);
  assert.equal(retryAfterMs('Sat, 01 Mar 2025 10:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Sat, 01 Mar 2025 09:00:00 GMT', now), 0);
  assert.equal(retryAfterMs('soon', now), null);
  assert.equal(retryAfterMs(null, now), null);
});

test('429 until the retry budget is spent is a RateLimitedError', async () => {
  const path = route((_req, res) => json(res, 429, { message: 'Too Many Requests' }));
  const http = client({ maxRetries: 2 });
  const error = await rejection(http.get(path));
  assert.ok(error instanceof RateLimitedError, String(error));
  assert.equal(http.requests(), 3);
  assert.match(error.message, /429/);
});

test('the total wait is bounded: no retry that would exceed it', async () => {
  const path = route((_req, res) => json(res, 503, {}, { 'Retry-After': '1' }));
  const http = client({ maxRetries: 10, maxWaitMs: 100, maxTotalWaitMs: 250 });
  const error = await rejection(http.get(path));
  assert.ok(error instanceof ApiError && error.status === 503, String(error));
  assert.equal(http.requests(), 3);
});

test('5xx after the budget is an ApiError with the status', async () => {
  const path = route((_req, res) => json(res, 500, { message: 'boom' }));
  const http = client({ maxRetries: 1 });
  const error = await rejection(http.get(path));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 500);
  assert.equal(error.detail, 'boom');
  assert.equal(http.requests(), 2);
});

test('4xx is not retried; the message comes from `message`, else `error_msg`', async () => {
  const unauthorized = route((_req, res) => json(res, 401, { message: 'Unauthorized' }));
  const legacy = route((_req, res) =>
    json(res, 400, { error_msg: "Build already finished, can't abort it." }),
  );
  const http = client();
  const first = await rejection(http.get(unauthorized));
  assert.ok(first instanceof ApiError);
  assert.equal(first.status, 401);
  assert.equal(first.detail, 'Unauthorized');
  const second = await rejection(http.get(legacy));
  assert.ok(second instanceof ApiError);
  assert.equal(second.detail, "Build already finished, can't abort it.");
  assert.match(second.message, /400.*Build already finished/);
  assert.equal(http.requests(), 2);
});

test('a POST is not repeated after a 500', async () => {
  const path = route((_req, res) => json(res, 500, {}));
  const http = client();
  const error = await rejection(http.request('POST', path, { body: { abort_reason: 'x' } }));
  assert.ok(error instanceof ApiError);
  assert.equal(http.requests(), 1);
  assert.match((error as ApiError).curl, /^curl -X POST .*--data '\{"abort_reason":"x"\}'/);
});

test('no answer within the timeout is a TimeoutError, retried within the budget', async () => {
  const path = route((_req, res) => {
    setTimeout(() => json(res, 200, {}), 400).unref();
  });
  const http = client({ timeoutMs: 50, maxRetries: 1 });
  const error = await rejection(http.get(path));
  assert.ok(error instanceof TimeoutError, String(error));
  assert.match(error.message, /within 50 ms/);
  assert.equal(http.requests(), 2);
});

test('a closed port is an UnreachableError', async () => {
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((ok) => closed.close(() => ok()));
  const http = client({ baseUrl: `http://127.0.0.1:${port}/v0.1`, maxRetries: 1 });
  const error = await rejection(http.get('/apps', { limit: 1 }));
  assert.ok(error instanceof UnreachableError, String(error));
  assert.match(error.message, /ECONNREFUSED/);
  assert.equal(
    (error as UnreachableError).curl,
    `curl -H "Authorization: $BITRISE_TOKEN" 'http://127.0.0.1:${port}/v0.1/apps?limit=1'`,
  );
  assert.equal(http.requests(), 2);
});

test('a body that is not JSON is an InvalidResponseError', async () => {
  const path = route((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<html>maintenance</html>');
  });
  const error = await rejection(client().get(path));
  assert.ok(error instanceof InvalidResponseError);
  assert.match(error.message, /did not return JSON.*<html>maintenance/);
});

test('getParsed names where the shape is wrong', async () => {
  const path = route((_req, res) => json(res, 200, { data: [{ slug: 42 }] }));
  const schema = z.object({ data: z.array(z.object({ slug: z.string() })) });
  const error = await rejection(client().getParsed(schema, path));
  assert.ok(error instanceof InvalidResponseError);
  assert.match(error.message, /unexpected shape at data\.0\.slug/);
  const ok = route((_req, res) => json(res, 200, { data: [{ slug: 'a', extra: true }] }));
  assert.deepEqual(await client().getParsed(schema, ok), { data: [{ slug: 'a' }] });
});

test('the token appears in no message or curl hint, even when the server echoes it', async () => {
  const path = route((req, res) =>
    json(res, 403, { message: `token ${req.headers.authorization} lacks access` }),
  );
  const error = await rejection(client().get(path, { limit: 1 }));
  assert.ok(error instanceof ApiError);
  assert.ok(!error.message.includes(TOKEN), error.message);
  assert.ok(!error.curl.includes(TOKEN), error.curl);
  assert.ok(!String(error.detail).includes(TOKEN));
  assert.equal(error.curl, `curl -H "Authorization: $BITRISE_TOKEN" '${baseUrl}${path}?limit=1'`);
  assert.equal(
    client({ authScheme: 'Bearer', tokenEnv: 'BUILDKITE_TOKEN' }).curl('GET', '/x'),
    `curl -H "Authorization: Bearer $BUILDKITE_TOKEN" '${baseUrl}/x'`,
  );
});

test('hooks see every attempt: pacing before, headers after', async () => {
  const path = route((_req, res, hit) =>
    hit === 1
      ? json(res, 503, {}, { 'RateLimit-Remaining': '9' })
      : json(res, 200, {}, { 'RateLimit-Remaining': '8' }),
  );
  const events: string[] = [];
  const http = client({
    beforeRequest: async () => {
      events.push('before');
    },
    onResponse: (status, headers) => events.push(`${status}:${headers.get('ratelimit-remaining')}`),
  });
  await http.get(path);
  assert.deepEqual(events, ['before', '503:9', 'before', '200:8']);
});

test('absolute URLs are followed only on the API host', async () => {
  const path = route((_req, res) => json(res, 200, { ok: true }));
  assert.deepEqual((await client().get(`${baseUrl}${path}`)).body, { ok: true });
  const http = client();
  const error = await rejection(http.get('http://example.com/steal'));
  assert.ok(error instanceof InvalidResponseError);
  assert.match(error.message, /refusing to follow http:\/\/example\.com/);
  assert.equal(http.requests(), 0);
});

test('an endless body stops being read at the cap: its own error, one request, not retried', async () => {
  const path = route((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) {}
      if (!res.destroyed) res.once('drain', pump);
    };
    res.write('{"data": [');
    pump();
  });
  const http = client({ maxResponseBytes: 4 * 1024 * 1024, timeoutMs: 120_000 });
  await assert.rejects(
    http.get(path),
    (error: Error) =>
      error instanceof ResponseTooLargeError &&
      /^GET .* answered with a body over 4 MB; stopped reading it .*BUILDLENS_MAX_RESPONSE_MB/.test(
        error.message,
      ),
  );
  assert.equal(hits.get(path)?.length, 1, 'not retried');
  assert.equal(http.requests(), 1);
});

test('a body announced larger than the cap is not read at all; the cap is configurable', async () => {
  const big = JSON.stringify({ data: 'x'.repeat(3 * 1024 * 1024) });
  const path = route((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(big)),
    });
    res.end(big);
  });
  await assert.rejects(client({ maxResponseBytes: 1024 * 1024 }).get(path), ResponseTooLargeError);
  assert.equal(hits.get(path)?.length, 1);
  const read = await client({ maxResponseBytes: 8 * 1024 * 1024 }).get(path);
  assert.equal((read.body as { data: string }).data.length, 3 * 1024 * 1024);
  assert.equal(maxResponseBytes({ BUILDLENS_MAX_RESPONSE_MB: '200' }), 200 * 1024 * 1024);
  assert.equal(maxResponseBytes({}), 64 * 1024 * 1024);
});
