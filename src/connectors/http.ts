// The HTTP client both connectors share: auth header, per-request timeout, retries with backoff, rate-limit
// hooks, request counting, and errors that say in one line what failed plus the curl that reproduces it.
// It knows no provider: each connector passes its auth scheme, token variable name and rate-limit headers.
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { redact, rememberSecret } from '../domain/redaction.js';
import { lineText, quoted } from '../domain/text.js';

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON; null for an empty body. */
  body: unknown;
}

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
}

export interface HttpClientOptions {
  /** API root, e.g. `https://api.bitrise.io/v0.1`; paths are appended to it. */
  baseUrl: string;
  token: string;
  /** Word before the token in the Authorization header (`Bearer`); empty sends the raw token. */
  authScheme: string;
  /** Environment variable the curl hints use in place of the token, e.g. `BITRISE_TOKEN`. */
  tokenEnv: string;
  timeoutMs?: number;
  /** Retries after the first attempt for 429, 5xx, timeouts and network errors. */
  maxRetries?: number;
  /** First backoff step; doubles per retry, with jitter. */
  backoffMs?: number;
  /** Cap on any single wait, whatever a server asks for. */
  maxWaitMs?: number;
  /** Cap on the waits of one request, retries included. */
  maxTotalWaitMs?: number;
  /** Provider's own "wait this long" header on a 429 (Buildkite RateLimit-Reset), in ms; null if absent. */
  rateLimitWaitMs?: (headers: Headers) => number | null;
  /** Runs before every attempt is sent, so a provider can pace its requests. */
  beforeRequest?: () => Promise<void>;
  /** Sees every response's headers, e.g. to read the remaining quota; awaited when it returns a promise. */
  onResponse?: (status: number, headers: Headers) => unknown;
  /** Diagnostics: one line per retry (never the token). */
  log?: (line: string) => void;
  /** Largest body read; a longer one stops being read at this size (default: see maxResponseBytes). */
  maxResponseBytes?: number;
}

/**
 * The default cap on a response body: far above any real page (a 100-build page is about 1 MB), low enough
 * that an endless or hostile body cannot exhaust memory. $BUILDLENS_MAX_RESPONSE_MB overrides it.
 */
export function maxResponseBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.BUILDLENS_MAX_RESPONSE_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 64) * 1024 * 1024;
}

/** Every error the client throws: a one-line message without the token, and the curl to reproduce it. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly curl: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The provider answered with a non-success status (after retries, for 5xx). */
export class ApiError extends HttpError {
  constructor(
    readonly status: number,
    message: string,
    curl: string,
    /** The provider's own error text (`message`, else `error_msg`), if it gave one. */
    readonly detail: string | null = null,
  ) {
    super(message, curl);
  }
}

export class UnreachableError extends HttpError {}
export class TimeoutError extends HttpError {}
/** 429 until the retry budget was spent. */
export class RateLimitedError extends HttpError {}
/** A body that is not JSON, or JSON that is not the shape the connector relies on. */
export class InvalidResponseError extends HttpError {}
/** A body larger than the cap: not retried (the same request would send it again). */
export class ResponseTooLargeError extends HttpError {}

/** JSON without a field the connector relies on, or with one it cannot read: says which, and where. */
export class UnexpectedShapeError extends InvalidResponseError {
  constructor(
    /** `GET <url>`. */
    readonly endpoint: string,
    /** Path of the field in the body, e.g. `data.0.slug`; `body` for the whole. */
    readonly field: string,
    readonly problem: string,
    curl: string,
  ) {
    super(`${endpoint} returned an unexpected shape at ${field}: ${problem}`, curl);
  }

  /** The first issue of a failed parse of `endpoint`'s body. */
  static of(endpoint: string, error: z.ZodError, curl: string): UnexpectedShapeError {
    const issue = error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'body';
    return new UnexpectedShapeError(endpoint, field, issue?.message ?? 'invalid', curl);
  }
}

export interface HttpClient {
  request(method: string, pathOrUrl: string, options?: RequestOptions): Promise<HttpResponse>;
  get(pathOrUrl: string, query?: Query): Promise<HttpResponse>;
  /** GET and validate the body against a schema; a mismatch is an InvalidResponseError. */
  getParsed<T>(schema: z.ZodType<T>, pathOrUrl: string, query?: Query): Promise<T>;
  /** The curl command for a call, token elided, for messages about it. */
  curl(method: string, pathOrUrl: string, options?: RequestOptions): string;
  /** Requests sent so far, retries included. */
  requests(): number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl.replace(/\/+$/, ''));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const maxTotalWaitMs = options.maxTotalWaitMs ?? 300_000;
  const maxBytes = options.maxResponseBytes ?? maxResponseBytes();
  const authorization = options.authScheme ? `${options.authScheme} ${options.token}` : options.token;
  const curlAuthorization = `${options.authScheme ? `${options.authScheme} ` : ''}$${options.tokenEnv}`;
  let sent = 0;
  // The provider may echo the token back (a paging link carrying it): every message is scrubbed of it.
  rememberSecret(options.token);

  /** Any text that reaches a message goes through here: one line, bounded, never a secret. */
  const clean = (text: string): string => {
    const oneLine = lineText(redact(text)).replace(/\s+/g, ' ').trim();
    return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
  };

  function resolve(pathOrUrl: string, query: Query = {}): URL {
    const url = /^https?:\/\//.test(pathOrUrl)
      ? new URL(pathOrUrl)
      : new URL(`${base.href}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`);
    // Paging links come from the provider: never send the token to a host it did not come from.
    if (url.origin !== base.origin) {
      throw new InvalidResponseError(
        `refusing to follow ${clean(url.origin)}: not the API host ${base.origin}`,
        '',
      );
    }
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url;
  }

  function curlFor(method: string, url: URL, body: unknown): string {
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const parts = ['curl'];
    if (method !== 'GET') parts.push('-X', method);
    parts.push('-H', `"Authorization: ${curlAuthorization}"`);
    if (body !== undefined) {
      parts.push('-H', quote('Content-Type: application/json'), '--data', quote(JSON.stringify(body)));
    }
    parts.push(quote(url.href));
    return clean(parts.join(' '));
  }

  /** How long to wait before retry number `retry` (0-based), honouring what the server asked for. */
  function waitMs(retry: number, headers: Headers | null): number {
    const asked = headers
      ? (retryAfterMs(headers.get('retry-after')) ?? options.rateLimitWaitMs?.(headers))
      : null;
    const backoff = backoffMs * 2 ** retry * (0.5 + Math.random() / 2);
    return Math.min(maxWaitMs, asked ?? backoff);
  }

  async function request(
    method: string,
    pathOrUrl: string,
    opts: RequestOptions = {},
  ): Promise<HttpResponse> {
    const url = resolve(pathOrUrl, opts.query);
    const curl = curlFor(method, url, opts.body);
    const what = `${method} ${url.href}`;
    const retryable = IDEMPOTENT.has(method);
    let waited = 0;

    for (let attempt = 0; ; attempt++) {
      let failure: HttpError;
      let headers: Headers | null = null;
      await options.beforeRequest?.();
      sent++;
      try {
        const res = await fetch(url, {
          method,
          headers: {
            Authorization: authorization,
            Accept: 'application/json',
            ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await readBody(res, maxBytes, what, curl);
        await options.onResponse?.(res.status, res.headers);
        if (res.ok) {
          const body = parseJson(text, what, curl);
          if (!(body instanceof InvalidResponseError))
            return { status: res.status, headers: res.headers, body };
          // A cut-off or non-JSON success body is what a failing proxy or a dropped connection leaves behind.
          failure = body;
          if (!retryable) throw failure;
        } else {
          headers = res.headers;
          const detail = errorDetail(text);
          // The provider's words are data: quoted, so they cannot pass for ours.
          const summary = `${what} answered ${res.status} ${res.statusText}${detail ? `: ${quoted(detail)}` : ''}`;
          failure =
            res.status === 429
              ? new RateLimitedError(
                  clean(`${summary} (rate limited; gave up after ${attempt + 1} attempts)`),
                  curl,
                )
              : new ApiError(res.status, clean(summary), curl, detail === null ? null : clean(detail));
          // 429 means the server refused before doing anything, so even a POST may be repeated.
          const again = res.status === 429 || (res.status >= 500 && retryable);
          if (!again) throw failure;
        }
      } catch (error) {
        if (error instanceof HttpError) throw error;
        failure = transportError(error, what, url.host, curl);
        if (!retryable) throw failure;
      }
      if (attempt >= maxRetries) throw failure;
      const wait = waitMs(attempt, headers);
      if (waited + wait > maxTotalWaitMs) throw failure;
      waited += wait;
      options.log?.(`${failure.message}; retrying in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait);
    }
  }

  /** The parsed body, or the error to report when it is not JSON. */
  function parseJson(text: string, what: string, curl: string): unknown {
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      return new InvalidResponseError(
        clean(`${what} did not return JSON (body starts: ${quoted(text, 80)})`),
        curl,
      );
    }
  }

  function transportError(error: unknown, what: string, host: string, curl: string): HttpError {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new TimeoutError(clean(`${what} got no answer within ${timeoutMs} ms`), curl);
    }
    const cause =
      error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
    const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new UnreachableError(clean(`cannot reach ${host} (${why})`), curl);
  }

  return {
    request,
    get: (pathOrUrl, query) => request('GET', pathOrUrl, { query }),
    async getParsed(schema, pathOrUrl, query) {
      const response = await request('GET', pathOrUrl, { query });
      const parsed = schema.safeParse(response.body);
      if (parsed.success) return parsed.data;
      const url = resolve(pathOrUrl, query);
      throw UnexpectedShapeError.of(`GET ${clean(url.href)}`, parsed.error, curlFor('GET', url, undefined));
    },
    curl: (method, pathOrUrl, opts = {}) => curlFor(method, resolve(pathOrUrl, opts.query), opts.body),
    requests: () => sent,
  };
}

/**
 * The body as text, read chunk by chunk and abandoned as soon as it passes `maxBytes` (or announces more
 * in Content-Length), so an endless body costs at most the cap in memory.
 */
async function readBody(res: Response, maxBytes: number, what: string, curl: string): Promise<string> {
  const tooLarge = () => {
    const mb = Math.round((maxBytes / 1024 / 1024) * 10) / 10;
    return new ResponseTooLargeError(
      `${what} answered with a body over ${mb} MB; stopped reading it (no real page is that large; ` +
        `BUILDLENS_MAX_RESPONSE_MB raises the limit)`,
      curl,
    );
  };
  const announced = Number(res.headers.get('content-length'));
  if (announced > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** `Retry-After` is either delay-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The provider's error text: `message`, else the older `error_msg`, else a short plain body. */
function errorDetail(text: string): string | null {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object') {
      const { message, error_msg } = body as Record<string, unknown>;
      if (typeof message === 'string') return message;
      if (typeof error_msg === 'string') return error_msg;
    }
    return null;
  } catch {
    return text.trim() === '' ? null : text.slice(0, 120);
  }
}
