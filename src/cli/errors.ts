// Exit codes and the one-line error a person sees (DESIGN.md "CLI contract").
import { AlertsFileError } from '../alerts/rules.js';
import { RulesError } from '../classify/rules.js';
import { redact } from '../domain/redaction.js';
import { lineText } from '../domain/text.js';
import { StoreError } from '../store/errors.js';

export const EXIT_OK = 0;
export const EXIT_UNEXPECTED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CONNECTION = 3;

/** Bad flags, malformed values, unknown names, unusable database paths: the user can fix the command. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The provider could not be reached or refused the credentials. */
export class ConnectionFailure extends Error {
  override name = 'ConnectionFailure';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConnectionFailure) return EXIT_CONNECTION;
  // The store's errors (unknown connection, unusable database location) and a broken rules or alerts file
  // are fixed by changing the command or the file.
  if (
    error instanceof UsageError ||
    error instanceof StoreError ||
    error instanceof RulesError ||
    error instanceof AlertsFileError
  )
    return EXIT_USAGE;
  return EXIT_UNEXPECTED;
}

/** `buildlens: <message>` on one line; the stack only when asked for with -v. */
export function errorText(error: unknown, verbose: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  // Messages can quote provider text: one line, no escape sequences.
  const line = `buildlens: ${lineText(message).replace(/\s+/g, ' ').trim()}`;
  const stack =
    verbose && error instanceof Error && error.stack
      ? `\n${error.stack.split('\n').map(lineText).join('\n')}`
      : '';
  return redact(`${line}${stack}`);
}
