// A tiny HTTP client for the Bitrise sandbox tests: real requests on loopback, raw status and body.
import { request } from 'node:http';
import type { Sandbox } from '../../src/sandbox/index.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON.
  body: any;
}

export interface CallOptions {
  method?: string;
  /** Authorization header value; defaults to the main token (raw form); null sends none. */
  auth?: string | null;
  body?: unknown;
}

/** One request on a fresh connection (no pooling: sandboxes come and go on reused ports), no redirects. */
export function fetchRaw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export function bitriseClient(sandbox: Sandbox) {
  return async (path: string, options: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? sandbox.bitrise.token : options.auth;
    if (auth !== null) headers.Authorization = auth;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const url = path.startsWith('http') ? path : `${sandbox.bitrise.url}${path}`;
    const response = await fetchRaw(url, {
      method: options.method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    let body: unknown = null;
    try {
      body = JSON.parse(response.text);
    } catch {
      body = null;
    }
    return { ...response, body };
  };
}

/** Follows `paging.next` from `path` until the last page; bounded so a broken cursor cannot loop forever. */
export async function walk(
  call: ReturnType<typeof bitriseClient>,
  path: string,
  cursor = 'next',
  maxPages = 500,
) {
  // biome-ignore lint/suspicious/noExplicitAny: items are checked by the caller.
  const items: any[] = [];
  const pages: Reply[] = [];
  let next: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const reply = await call(
      next === undefined ? path : `${path}${sep}${cursor}=${encodeURIComponent(next)}`,
    );
    if (reply.status !== 200) throw new Error(`${path}: HTTP ${reply.status} ${reply.text}`);
    pages.push(reply);
    items.push(...reply.body.data);
    next = reply.body.paging?.next;
    if (next === undefined) return { items, pages };
  }
  throw new Error(`${path}: more than ${maxPages} pages`);
}
