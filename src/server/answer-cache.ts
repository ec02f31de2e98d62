// Answers that are a function of the stored data are cached per data version (src/store/data-version.ts):
// each carries an ETag made of the version and the request, a client that sends it back in If-None-Match
// gets 304 without the store being asked anything but its version, and an answer already made for this
// version is sent again without recomputing it. Concurrent requests for the same answer wait for the
// one being made. The ETag is the same on every replica over one database, so a load balancer may send a
// client anywhere. Answers that depend on the clock (a report without `until` runs to "now") carry the
// minute in their ETag too: their moving edge is at most a minute old.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dataVersion } from '../store/data-version.js';
import type { Store } from '../store/store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The answer depends only on the request, the stored data and (without `until`) the clock. */
    cachedPerDataVersion?: boolean;
  }
}

interface Pending {
  etag: string;
  done: (body: string | null) => void;
}

/** Bounds of the cache: whichever is reached first evicts the least recently used answers. */
const MAX_ANSWERS = 500;
const MAX_BYTES = 64 * 1024 * 1024;
const MINUTE_MS = 60_000;

export interface AnswerCacheOptions {
  now?: () => number;
}

/** An entity tag for `request` at data version `version`. */
export function answerTag(request: FastifyRequest, version: number, nowMs: number): string {
  const url = request.url;
  const query = url.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)) : null;
  const clock =
    query?.has('until') || query?.get('all') === 'true' ? '' : String(Math.floor(nowMs / MINUTE_MS));
  const digest = createHash('sha256')
    .update(`${request.routeOptions.url}\n${url}\n${clock}`)
    .digest('base64url');
  return `"${version}-${digest.slice(0, 22)}"`;
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Reads the data version as of a moment after the call: a read that started earlier may miss a commit
 * the caller already saw, so a caller joins the next read instead, which starts as soon as the running
 * one ends. However many requests arrive at once, at most one read runs and one waits.
 */
export function versionReader(lookup: () => Promise<number>): () => Promise<number> {
  let running: Promise<number> | null = null;
  let queued: Promise<number> | null = null;
  const read = (): Promise<number> => {
    if (running === null) {
      running = lookup().finally(() => {
        running = null;
      });
      return running;
    }
    queued ??= running
      .then(
        () => {},
        () => {},
      )
      .then(() => {
        queued = null;
        return read();
      });
    return queued;
  };
  return read;
}

export function registerAnswerCache(
  app: FastifyInstance,
  store: Store,
  options: AnswerCacheOptions = {},
): void {
  const now = options.now ?? Date.now;
  const answers = new Map<string, string>();
  let bytes = 0;
  let version = -1;
  const inflight = new Map<string, Promise<string | null>>();
  const pending = new WeakMap<FastifyRequest, Pending>();
  const currentVersion = versionReader(() => dataVersion(store));

  const remember = (etag: string, body: string) => {
    answers.set(etag, body);
    bytes += body.length;
    for (const [key, old] of answers) {
      if (answers.size <= MAX_ANSWERS && bytes <= MAX_BYTES) break;
      answers.delete(key);
      bytes -= old.length;
    }
  };

  const finish = (request: FastifyRequest, body: string | null) => {
    const waiting = pending.get(request);
    if (!waiting) return;
    pending.delete(request);
    inflight.delete(waiting.etag);
    if (body !== null) remember(waiting.etag, body);
    waiting.done(body);
  };

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config?.cachedPerDataVersion || request.method !== 'GET') return;
    const current = await currentVersion();
    if (current !== version) {
      // Answers of an older version are never asked for again.
      answers.clear();
      bytes = 0;
      version = current;
    }
    const etag = answerTag(request, current, now());
    // Kept by the browser, which must ask again each time (If-None-Match); never by a shared cache.
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    const made = answers.get(etag) ?? (await inflight.get(etag)) ?? null;
    if (made !== null) {
      // Most recently used last.
      answers.delete(etag);
      answers.set(etag, made);
      return reply.type('application/json; charset=utf-8').send(made);
    }
    let done: (body: string | null) => void = () => {};
    inflight.set(etag, new Promise((resolve) => (done = resolve)));
    pending.set(request, { etag, done });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (pending.has(request))
      finish(request, reply.statusCode === 200 && typeof payload === 'string' ? payload : null);
    return payload;
  });
  // An answer that never got sent (the client went away) must not leave its waiters waiting.
  app.addHook('onResponse', async (request) => finish(request, null));
  app.addHook('onRequestAbort', async (request) => finish(request, null));
}
