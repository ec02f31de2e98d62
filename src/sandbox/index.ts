// One loopback HTTP server that serves every simulated provider under its own path prefix.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonText } from '../domain/json.js';
import { type BitriseSandbox, type BitriseSwitches, createBitrise } from './bitrise/provider.js';
import { type BuildkiteSandbox, type BuildkiteSwitches, createBuildkite } from './buildkite/provider.js';
import { type Clock, type ClockMode, createClock, parseAnchor } from './clock.js';
import { createFaultInjector, type FaultInjector } from './faults.js';
import { type ProviderContext, type ProviderMount, SANDBOX_SIZES, type SandboxSize } from './provider.js';
import type { SandboxResponse } from './router.js';

export type { SandboxSize } from './provider.js';

export interface SandboxOptions {
  /** Seed of the generated data (default 1). */
  seed?: number;
  size?: SandboxSize;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Anchor of the generated timeline (ISO string or epoch ms); default: the real now floored to the hour. */
  now?: string | number;
  /** `real` (default) follows the wall clock from the anchor; `manual` moves only with `clock.advance`. */
  clock?: ClockMode;
  bitrise?: Partial<BitriseSwitches>;
  buildkite?: Partial<BuildkiteSwitches>;
  /** Faults to inject into every provider's responses (grammar in faults.ts); none by default. */
  faults?: string;
}

export interface Sandbox {
  url: string;
  bitrise: BitriseSandbox & { url: string };
  buildkite: BuildkiteSandbox & { url: string };
  clock: Clock;
  /** Change or clear the injected faults while the sandbox runs. */
  faults: FaultInjector;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new Error(`invalid sandbox seed: ${seed}`);
  const size = options.size ?? 'small';
  if (!SANDBOX_SIZES.includes(size)) throw new Error(`invalid sandbox size: ${String(size)}`);
  const anchorMs = parseAnchor(options.now);
  const clock = createClock(anchorMs, options.clock ?? 'real');
  const context: ProviderContext = { seed, size, anchorMs, clock };

  const bitrise = createBitrise(context, options.bitrise ?? {});
  const buildkite = createBuildkite(context, options.buildkite ?? {});
  const mounts: ProviderMount[] = [bitrise.mount, buildkite.mount];
  const faults = createFaultInjector(options.faults ?? '', seed, clock);

  const server = createServer((req, res) => {
    serve(mounts, faults, req, res).catch((error: unknown) => {
      // Never a stack trace on the wire; the message is enough to see what broke in a test.
      send(res, {
        status: 500,
        json: { message: error instanceof Error ? error.message : 'internal error' },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    bitrise: { ...bitrise.sandbox, url: `${url}${bitrise.mount.prefix}/v0.1` },
    buildkite: { ...buildkite.sandbox, url: `${url}${buildkite.mount.prefix}/v2` },
    clock,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        faults.close();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function serve(
  mounts: readonly ProviderMount[],
  faults: FaultInjector,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const mount = mounts.find((m) => url.pathname === m.prefix || url.pathname.startsWith(`${m.prefix}/`));
  if (!mount) return send(res, { status: 404, json: { message: 'Not Found' } });
  const body = await readBody(req);
  if (body === null) return send(res, { status: 413, json: { message: 'Request body too large' } });
  const host = req.headers.host ?? '127.0.0.1';
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  const request = {
    gone: gone.signal,
    method: req.method ?? 'GET',
    path: url.pathname.slice(mount.prefix.length) || '/',
    query: url.searchParams,
    headers: req.headers,
    body,
    baseUrl: `http://${host}${mount.prefix}`,
  };
  const response = await faults.serve(mount.prefix.slice(1), request, () => mount.handle(request));
  if (response === 'reset') return req.socket.destroy();
  send(res, response);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, response: SandboxResponse) {
  const headers: Record<string, string> = { ...response.headers };
  let payload = '';
  if (response.json !== undefined) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    // jsonText: a fault may nest a value deeper than JSON.stringify can recurse.
    payload = jsonText(response.json);
  } else if (response.text !== undefined) {
    headers['Content-Type'] ??= 'text/plain; charset=utf-8';
    payload = response.text;
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}
