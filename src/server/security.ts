// Who may call and what browsers may do with the answers: bearer token off loopback, strict headers,
// no cross-origin use (no CORS headers at all, and state changes only from the dashboard's own origin).
// Access is decided on the route the router matched, never on the request's spelling of the path: a
// percent-encoded or absolute-form URL reaches the same route and so meets the same check. No answer
// carries a secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { redact } from '../domain/redaction.js';

/**
 * Who may reach a route (DESIGN.md "Server access"): `open` routes answer anyone (liveness, the dashboard's
 * files, which hold no data); `webhook` routes need no API token because the route itself authenticates
 * every request by a connection's webhook secret or signature (src/webhooks/verify.ts); everything else
 * needs the token when one is set. A route that declares nothing, and a request that matches no route,
 * needs the token: deny by default.
 */
export type Access = 'open' | 'token' | 'webhook';

/** Access values that let a request through without the API token. */
const WITHOUT_TOKEN: ReadonlySet<Access | undefined> = new Set(['open', 'webhook']);

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

export interface SecurityOptions {
  /** When set, every API request must carry `Authorization: Bearer <token>`. */
  token: string | null;
  /** Listening on loopback: Host headers must name loopback too (a rebound DNS name must not get in). */
  loopback: boolean;
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

    if (options.token === null || WITHOUT_TOKEN.has(request.routeOptions.config?.access)) return;
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : null;
    if (given === null || !tokenMatches(given, options.token)) {
      reply.header('www-authenticate', 'Bearer');
      return deny(reply, 401, 'unauthorized', 'send Authorization: Bearer <BUILDLENS_SERVER_TOKEN>');
    }
  });
}
