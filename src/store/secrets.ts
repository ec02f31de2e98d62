// Tokens at rest: AES-256-GCM with a key from $BUILDLENS_KEY or a 0600 key file `buildlens.key`
// beside the SQLite file (for PostgreSQL, in the user's data directory).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { firstLine, StoreError } from './errors.js';
import { makeDirs, userDataDir } from './paths.js';
import type { Store } from './store.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** The key file for a store: beside the SQLite file, or in the user's data directory for PostgreSQL. */
export function keyFileFor(store: Pick<Store, 'dialect' | 'location'>): string {
  const dir = store.dialect === 'sqlite' ? dirname(store.location) : userDataDir();
  return join(dir, 'buildlens.key');
}

/** The key or a token cannot be read: per connection, so one such connection never stops the others. */
export class SecretError extends StoreError {
  override name = 'SecretError';
}

/** Neither $BUILDLENS_KEY nor a key file. */
export class KeyMissingError extends SecretError {
  override name = 'KeyMissingError';
}

/** The encryption key: $BUILDLENS_KEY if set, else the key file. Never creates one (see createKey). */
export function loadKey(keyFile: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (env.BUILDLENS_KEY) return parseKey(env.BUILDLENS_KEY, 'BUILDLENS_KEY');
  let text: string;
  try {
    text = readFileSync(keyFile, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT')
      throw new KeyMissingError(`the key file ${keyFile} does not exist`);
    throw new SecretError(`cannot read the key file ${keyFile}: ${firstLine(error)}`);
  }
  return parseKey(text.trim(), `key file ${keyFile}`);
}

/**
 * Writes a new random key to `keyFile` (0600) unless one exists (another process may have just written
 * it). Only for a store where no token is sealed yet, or to replace a lost key: tokens sealed under the
 * old key can never be read with the new one.
 */
export function createKey(keyFile: string): void {
  try {
    makeDirs(dirname(keyFile));
    writeFileSync(keyFile, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST')
      throw new SecretError(`cannot create the key file ${keyFile}: ${firstLine(error)}`);
  }
}

/** A warning when the key file in use can be read or written by other users; null otherwise. */
export function keyFileWarning(keyFile: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.BUILDLENS_KEY) return null;
  let mode: number;
  try {
    mode = statSync(keyFile).mode;
  } catch {
    return null;
  }
  if ((mode & 0o077) === 0) return null;
  return (
    `warning: the key file ${keyFile} is readable by other users (mode ${(mode & 0o777).toString(8)}); ` +
    `anyone who can read it and the database can read the tokens: chmod 600 ${keyFile}`
  );
}

function parseKey(text: string, source: string): Buffer {
  const value = text.trim();
  const hex = /^[0-9a-f]{64}$/i.test(value);
  const key = Buffer.from(value, hex ? 'hex' : 'base64');
  // Node's base64 decoder skips junk silently, so a base64 key must re-encode to exactly what was given.
  if (!hex && (key.length !== KEY_BYTES || key.toString('base64') !== value)) {
    throw new SecretError(`${source} must be 64 hex characters or base64 of 32 bytes`);
  }
  return key;
}

export function encryptSecret(key: Buffer, plain: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** Decrypts; `what` names the secret in the error when the key is not the one it was encrypted with. */
export function decryptSecret(key: Buffer, sealed: string, what: string): string {
  const [version, data] = sealed.split(':', 2);
  const bytes = Buffer.from(data ?? '', 'base64');
  if (version !== VERSION || bytes.length < IV_BYTES + TAG_BYTES) {
    throw new SecretError(`cannot decrypt ${what}: unknown format`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SecretError(
      `cannot decrypt ${what}: wrong key (restore the buildlens.key file or BUILDLENS_KEY it was saved ` +
        `with, or re-enter the token with "buildlens connect set-token")`,
    );
  }
}
