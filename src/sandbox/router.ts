// A minimal router shared by the simulated providers: method + path pattern (`:name` segments) to a
// handler that returns a plain response value. Handlers never touch node:http, so they stay easy to test.
import type { IncomingHttpHeaders } from 'node:http';

export interface SandboxRequest {
  method: string;
  /** Path inside the provider's mount (e.g. `/v0.1/apps`), without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw request body ('' when none). */
  body: string;
  /** Base URL of the provider's mount, e.g. `http://127.0.0.1:1234/bitrise`, for links it hands out. */
  baseUrl: string;
  params: Record<string, string>;
  /** Aborted when the client goes away before its answer is sent. */
  gone?: AbortSignal;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON (`application/json; charset=utf-8`). */
  json?: unknown;
  /** Sent as `text/plain` when `json` is absent. */
  text?: string;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler for a request, or null when no route matches the path and method. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | null {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((segment, i) => {
        const part = parts[i] ?? '';
        if (segment.startsWith(':')) {
          params[segment.slice(1)] = decodeSegment(part);
          return true;
        }
        return segment === part;
      });
      if (ok) return { handler: route.handler, params };
    }
    return null;
  }
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
