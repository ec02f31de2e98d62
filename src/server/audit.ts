// An audit line for every request to an admin route by a known caller (DESIGN.md "Server access"):
// who (the token's name), what (the route's action and what it named), when, and how it ended. Written
// before the answer leaves, so a client that has its answer finds the line in `buildlens audit`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../store/audit.js';
import { firstLine } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { accessOf } from './security.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What an admin route does, as audit lines name it (`sync.start`). */
    action?: string;
  }
}

/** The path parameters and body fields a request named, as one line (null when it named nothing). */
function targetOf(request: FastifyRequest): string | null {
  const named = {
    ...(request.params as Record<string, unknown> | undefined),
    ...(typeof request.body === 'object' && request.body !== null ? request.body : {}),
  };
  return Object.keys(named).length === 0 ? null : JSON.stringify(named);
}

export function registerAudit(app: FastifyInstance, store: Store, log: (line: string) => void): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.caller === null || accessOf(request) !== 'admin') return payload;
    const action =
      request.routeOptions.config?.action ?? `${request.method} ${request.routeOptions.url ?? request.url}`;
    const outcome = reply.statusCode < 400 ? 'ok' : String(reply.statusCode);
    try {
      await recordAudit(store, { actor: request.caller.name, action, target: targetOf(request), outcome });
    } catch (error) {
      // The action has happened; the answer says so. The missing line is reported where operators look.
      log(`audit: could not record ${action} by ${request.caller.name}: ${firstLine(error)}`);
    }
    return payload;
  });
}
