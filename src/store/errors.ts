// Errors the store raises for a person to read: one line, never a password or token. The CLI prints
// the message and exits 2.
import { redact } from '../domain/redaction.js';

/** The store cannot be opened, created, written or decrypted, or was given bad input. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** Input the caller can correct (a time, a cursor, a limit, a period): not a fault of the store. */
export class InvalidInputError extends StoreError {
  override name = 'InvalidInputError';
}

/** A named thing (a connection) does not exist. */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}

/** First line of an error's message, for one-line reports, without any secret this process holds. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redact(message.split('\n', 1)[0] ?? '');
}
