// Provider accounts: add, list, look up (with the decrypted token), remove.

import type { Selectable } from 'kysely';
import type { Connection, Provider } from '../domain/model.js';
import { rememberSecret } from '../domain/redaction.js';
import { isUniqueViolation } from './dialect.js';
import { NotFoundError, StoreError } from './errors.js';
import { withSyncLock } from './lock.js';
import type { ConnectionsTable } from './schema.js';
import { decryptSecret, encryptSecret, keyFileFor, loadKey } from './secrets.js';
import type { Store } from './store.js';

export interface NewConnection {
  name: string;
  provider: Provider;
  baseUrl: string;
  org: string | null;
  token: string;
}

// The token stays out of every read except getConnection's.
const COLUMNS = ['id', 'name', 'provider', 'base_url', 'org', 'created_at'] as const;

function toConnection(row: Omit<Selectable<ConnectionsTable>, 'token_enc'>): Connection {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider as Provider,
    baseUrl: row.base_url,
    org: row.org,
    createdAt: row.created_at,
  };
}

export async function addConnection(store: Store, input: NewConnection): Promise<Connection> {
  rememberSecret(input.token);
  const tokenEnc = encryptSecret(loadKey(keyFileFor(store)), input.token);
  try {
    const row = await store.db
      .insertInto('connections')
      .values({
        name: input.name,
        provider: input.provider,
        base_url: input.baseUrl,
        org: input.org,
        token_enc: tokenEnc,
        created_at: new Date().toISOString(),
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return toConnection(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreError(`connection "${input.name}" already exists`);
    throw error;
  }
}

export async function listConnections(store: Store): Promise<Connection[]> {
  const rows = await store.db.selectFrom('connections').select(COLUMNS).orderBy('name').execute();
  return rows.map(toConnection);
}

/** The connection and its decrypted token; NotFoundError when no connection has that name. */
export async function getConnection(
  store: Store,
  name: string,
): Promise<{ connection: Connection; token: string }> {
  const row = await store.db
    .selectFrom('connections')
    .select([...COLUMNS, 'token_enc'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`unknown connection "${name}"`);
  const token = decryptSecret(loadKey(keyFileFor(store)), row.token_enc, `the token of connection "${name}"`);
  // Whatever this process prints from now on is scrubbed of it (a provider may echo it back).
  rememberSecret(token);
  return { connection: toConnection(row), token };
}

/**
 * Removes the connection and everything imported through it; refuses while it is being synced (the sync
 * would fail writing rows of a connection that no longer exists).
 */
export async function removeConnection(store: Store, name: string): Promise<void> {
  const row = await store.db
    .selectFrom('connections')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`unknown connection "${name}"`);
  await withSyncLock(store, { connectionId: row.id, name }, async () => {
    await store.db.deleteFrom('connections').where('id', '=', row.id).execute();
  });
}
