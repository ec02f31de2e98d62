// One error shape for every failure: `{error, message}` with a message a person can act on. Clients never
// see a stack trace; unexpected errors are logged here and answered with a plain 500. Input the client can
// fix is a 400; a store that cannot serve (a full disk, an unreadable key) is a 503 with its one line.
import type { FastifyError, FastifyInstance } from 'fastify';
import { RulesError } from '../classify/rules.js';
import { InvalidInputError, NotFoundError, StoreError } from '../store/errors.js';
import { SyncLockedError } from '../store/lock.js';

/** A request the client can fix; answered 400 with this message. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

/** The request cannot run now (e.g. a sync is already running); answered 409. */
export class Conflict extends Error {
  override name = 'Conflict';
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'unavailable',
};

function statusOf(error: FastifyError): number {
  // A broken rules file is the server's configuration, not the request: its one line says what to fix.
  if (error instanceof RulesError) return 503;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof BadRequest || error instanceof InvalidInputError) return 400;
  if (error instanceof Conflict || error instanceof SyncLockedError) return 409;
  // The store cannot serve (cannot open, write or decrypt): its one-line message is safe to show.
  if (error instanceof StoreError) return 503;
  const status = error.statusCode ?? 500;
  return status >= 400 && status < 500 ? status : 500;
}

function messageOf(error: FastifyError, status: number): string {
  if (status === 500) return 'internal error; the server log has the details';
  // Validation errors say where the bad value was: querystring, params or body.
  const where = error.validationContext ? `${error.validationContext}: ` : '';
  return `${where}${error.message.split('\n', 1)[0]}`;
}

export function registerErrorHandling(app: FastifyInstance, log: (line: string) => void): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = statusOf(error);
    if (status === 500) log(`${request.method} ${request.url}: ${error.stack ?? error.message}`);
    reply.code(status).send({ error: CODES[status] ?? 'internal_error', message: messageOf(error, status) });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', message: `no such route: ${request.method} ${request.url}` });
  });
}
