// Named API tokens: made here with enough entropy that a plain SHA-256 digest is a safe thing to store
// (no password stretching needed), shown once to whoever made them, found again by digest.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rememberSecret } from '../domain/redaction.js';
import { type Caller, isRole, type Role } from '../domain/roles.js';
import { isUniqueViolation } from './dialect.js';
import { InvalidInputError, NotFoundError } from './errors.js';
import type { Store } from './store.js';

/** Tokens start with this, so a leaked one is recognisable (and scanners can be taught it). */
export const TOKEN_PREFIX = 'bl_';

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export type ApiTokenRecord = {
  name: string;
  role: Role;
  created_at: string;
};

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function parseTokenName(name: string): string {
  if (!TOKEN_NAME.test(name))
    throw new InvalidInputError(
      `token name must be 1-64 letters, digits, ".", "_", "@" or "-", got "${name}"`,
    );
  return name;
}

/** Makes a token named `name` with `role` and returns it: the only time it exists outside its holder. */
export async function createApiToken(
  store: Store,
  name: string,
  role: Role,
  now: Date = new Date(),
): Promise<string> {
  parseTokenName(name);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  rememberSecret(token);
  try {
    await store.db
      .insertInto('api_tokens')
      .values({ name, role, token_sha256: digest(token), created_at: now.toISOString() })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error))
      throw new InvalidInputError(`a token named "${name}" exists: revoke it first, or choose another name`);
    throw error;
  }
  return token;
}

export async function listApiTokens(store: Store): Promise<ApiTokenRecord[]> {
  const rows = await store.db
    .selectFrom('api_tokens')
    .select(['name', 'role', 'created_at'])
    .orderBy('name')
    .execute();
  return rows.map((row) => ({ ...row, role: isRole(row.role) ? row.role : 'viewer' }));
}

/** Deletes the token: from the next request on, it is refused. */
export async function revokeApiToken(store: Store, name: string): Promise<void> {
  const result = await store.db.deleteFrom('api_tokens').where('name', '=', name).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new NotFoundError(`no token named "${name}"`);
}

/** Whether any named token exists (an admin one lets a server off loopback start without the bootstrap). */
export async function hasAdminToken(store: Store): Promise<boolean> {
  const row = await store.db
    .selectFrom('api_tokens')
    .select('name')
    .where('role', '=', 'admin')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The caller `given` identifies, or null. Looked up by digest; the digests are compared again in
 * constant time so that nothing about a near miss depends on how far it matched.
 */
export async function findApiToken(store: Store, given: string): Promise<Caller | null> {
  if (!given.startsWith(TOKEN_PREFIX)) return null;
  const wanted = digest(given);
  const row = await store.db
    .selectFrom('api_tokens')
    .select(['name', 'role', 'token_sha256'])
    .where('token_sha256', '=', wanted)
    .executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.token_sha256), Buffer.from(wanted))) return null;
  // A role this version does not know grants the least.
  return { name: row.name, role: isRole(row.role) ? row.role : 'viewer' };
}
