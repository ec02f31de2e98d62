// Every secret this process has held (provider tokens, the server token, webhook secrets), and the one
// function that removes them from text before it leaves the process: errors, logs, JSON, stored errors
// and API answers all pass through `redact`, including text that came from a provider (a paging link
// may carry the caller's token back).

/**
 * Shorter secrets are refused where they enter: replacing a one-letter "token" inside every word
 * ("exists" → "e***ists") would garble every message and protect nothing.
 */
export const MIN_SECRET_LENGTH = 16;

const known = new Set<string>();
/** Longest first, so a secret that contains another is replaced whole. */
let ordered: string[] = [];

/** Remembers a secret and the forms a URL or a query string gives it. Too short a value is ignored. */
export function rememberSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) return;
  const forms = [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
  let added = false;
  for (const form of forms) {
    if (!known.has(form)) {
      known.add(form);
      added = true;
    }
  }
  if (added) ordered = [...known].sort((a, b) => b.length - a.length);
}

/** `text` with every remembered secret replaced by `***`. */
export function redact(text: string): string {
  let result = text;
  for (const secret of ordered) if (result.includes(secret)) result = result.split(secret).join('***');
  return result;
}

/** Why `secret` cannot be used, or null when it can; `what` names it for the person ("the token"). */
export function shortSecretProblem(secret: string, what: string): string | null {
  return secret.length < MIN_SECRET_LENGTH
    ? `${what} is ${secret.length} characters long: that cannot be a real one (at least ${MIN_SECRET_LENGTH})`
    : null;
}
