// Who may call and what browsers may do with the answers: bearer token off loopback, a role per route,
// strict headers, no cross-origin use (no CORS headers at all, and state changes only from the dashboard's
// own origin). Access is decided on the route the router matched, never on the request's spelling of the
// path: a percent-encoded or absolute-form URL reaches the same route and so meets the same check. No
// answer carries a secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redact } from '../domain/redaction.js';
import { type Caller, type Role, roleAllows } from '../domain/roles.js';

/**
 * Who may reach a route (DESIGN.md "Server access"): `open` routes answer anyone (liveness, the dashboard's
 * files, which hold no data); `webhook` routes need no API token because the route itself authenticates
 * every request by a connection's webhook secret or signature (src/webhooks/verify.ts); `viewer` routes
 * need a token of any role, `admin` routes an admin's. A route that declares nothing, and a request that
 * matches no route, needs an admin: deny by default.
 */
export type Access = 'open' | 'webhook' | Role;

/** Access values that let a request through without any token. */
const WITHOUT_TOKEN: ReadonlySet<Access> = new Set(['open', 'webhook']);

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Who made the request; null on routes that need no token. */
    caller: Caller | null;
  }
}

/** The access a matched route requires (undeclared: admin). */
export function accessOf(request: FastifyRequest): Access {
  return request.routeOptions.config?.access ?? 'admin';
}

/** The name audit lines give the bootstrap token. */
export const BOOTSTRAP_CALLER = 'BUILDLENS_SERVER_TOKEN';
/** Loopback without a token: whoever is on this machine, as an admin. */
const LOCAL_CALLER: Caller = { name: 'local', role: 'admin' };

export interface SecurityOptions {
  /** The bootstrap admin token ($BUILDLENS_SERVER_TOKEN), or null. */
  token: string | null;
  /** Listening on loopback: Host headers must name loopback too (a rebound DNS name must not get in). */
  loopback: boolean;
  /** The named token `given` is, or null (src/store/api-tokens.ts). */
  findToken: (given: string) => Promise<Caller | null>;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/** Compares digests, so neither the token's length nor its content leaks through timing. */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** The headers every answer carries, our framework-level errors included. */
export function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(HEADERS)) reply.header(name, value);
  reply.header('cache-control', 'no-store');
}

function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const bracketed = /^(\[[^\]]*\])/.exec(hostHeader);
  return bracketed?.[1] ?? hostHeader.split(':', 1)[0] ?? '';
}

function deny(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message });
}

export function registerSecurity(app: FastifyInstance, options: SecurityOptions): void {
  app.decorateRequest('caller', null);
  // Last net for secrets: no answer carries one, whatever text (a provider's, a stored error) it quotes.
  app.addHook('onSend', async (_request, _reply, payload) =>
    typeof payload === 'string' ? redact(payload) : payload,
  );

  app.addHook('onRequest', async (request, reply) => {
    // Answers are data unless a route says otherwise (the dashboard's files set their own caching).
    setSecurityHeaders(reply);

    if (options.loopback && !isLoopbackHost(hostName(request.headers.host).toLowerCase()))
      return deny(reply, 403, 'forbidden', 'this server answers only to localhost / 127.0.0.1 host names');

    // Browsers send Origin on cross-site requests that change state; only our own pages may do that.
    const origin = request.headers.origin;
    if (request.method !== 'GET' && request.method !== 'HEAD' && origin !== undefined) {
      if (origin !== `http://${request.headers.host}` && origin !== `https://${request.headers.host}`)
        return deny(reply, 403, 'forbidden', 'cross-origin requests are not allowed');
    }

    const access = accessOf(request);
    if (WITHOUT_TOKEN.has(access)) return;
    // On loopback without a bootstrap token the server is one person's (DESIGN.md): no token is asked.
    if (options.loopback && options.token === null) {
      request.caller = LOCAL_CALLER;
      return;
    }
    const caller = await identify(request, options);
    if (caller === null) {
      reply.header('www-authenticate', 'Bearer');
      return deny(
        reply,
        401,
        'unauthorized',
        'send Authorization: Bearer <token> (buildlens token create, or BUILDLENS_SERVER_TOKEN)',
      );
    }
    request.caller = caller;
    if (!roleAllows(caller.role, access === 'admin' ? 'admin' : 'viewer'))
      return deny(reply, 403, 'forbidden', `this needs an admin token; "${caller.name}" is a ${caller.role}`);
  });
}

async function identify(request: FastifyRequest, options: SecurityOptions): Promise<Caller | null> {
  const header = request.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  if (given === '') return null;
  if (options.token !== null && tokenMatches(given, options.token))
    return { name: BOOTSTRAP_CALLER, role: 'admin' };
  return options.findToken(given);
}
