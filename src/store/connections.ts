// Provider accounts: add, list, look up (with the decrypted token), count what they hold, remove.

import type { Selectable } from 'kysely';
import type { Connection, Provider } from '../domain/model.js';
import { rememberSecret } from '../domain/redaction.js';
import { bumpDataVersion } from './data-version.js';
import { inWriteTransaction, isUniqueViolation } from './dialect.js';
import { NotFoundError, StoreError } from './errors.js';
import { withSyncLock } from './lock.js';
import type { ConnectionsTable } from './schema.js';
import {
  createKey,
  decryptSecret,
  encryptSecret,
  KeyMissingError,
  keyFileFor,
  loadKey,
  SecretError,
} from './secrets.js';
import type { Store } from './store.js';

export interface NewConnection {
  name: string;
  provider: Provider;
  baseUrl: string;
  org: string | null;
  token: string;
}

// The token stays out of every read except getConnection's.
const COLUMNS = ['id', 'name', 'provider', 'base_url', 'org', 'created_at', 'covered_from'] as const;

function toConnection(row: Pick<Selectable<ConnectionsTable>, (typeof COLUMNS)[number]>): Connection {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider as Provider,
    baseUrl: row.base_url,
    org: row.org,
    createdAt: row.created_at,
    coveredFrom: row.covered_from,
  };
}

/**
 * The key to read tokens with. A missing key file where tokens are sealed is never replaced silently:
 * those tokens would be lost for good, and old and new ones would live under different keys.
 */
async function storeKey(store: Store): Promise<Buffer> {
  const keyFile = keyFileFor(store);
  try {
    return loadKey(keyFile);
  } catch (error) {
    if (!(error instanceof KeyMissingError)) throw error;
    const sealed = await store.db
      .selectFrom('connections')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const n = Number(sealed.n);
    if (n > 0) {
      throw new KeyMissingError(
        `the key file ${keyFile} is missing, and ${n} connection${n === 1 ? ' has its token' : 's have their tokens'} ` +
          `encrypted with it: restore it from your backup of the database and key (or set BUILDLENS_KEY), ` +
          `or re-enter each token with "buildlens connect set-token NAME"`,
      );
    }
    createKey(keyFile);
    return loadKey(keyFile);
  }
}

export async function addConnection(store: Store, input: NewConnection): Promise<Connection> {
  rememberSecret(input.token);
  const tokenEnc = encryptSecret(await storeKey(store), input.token);
  try {
    // A new connection changes reports' coverage (it has none yet).
    const row = await inWriteTransaction(store, async (db) => {
      const inserted = await db
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
      await bumpDataVersion(db);
      return inserted;
    });
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
  const token = decryptSecret(await storeKey(store), row.token_enc, `the token of connection "${name}"`);
  // Whatever this process prints from now on is scrubbed of it (a provider may echo it back).
  rememberSecret(token);
  return { connection: toConnection(row), token };
}

/**
 * Replaces a connection's token, keeping everything imported through it. Where the key file was lost, a
 * new one is created (`newKey`): other connections' tokens under the lost key need re-entering too.
 */
export async function setToken(
  store: Store,
  name: string,
  token: string,
): Promise<{ connection: Connection; newKey: boolean }> {
  const row = await store.db
    .selectFrom('connections')
    .select(COLUMNS)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`unknown connection "${name}"`);
  rememberSecret(token);
  const keyFile = keyFileFor(store);
  let newKey = false;
  let key: Buffer;
  try {
    key = loadKey(keyFile);
  } catch (error) {
    if (!(error instanceof KeyMissingError)) throw error;
    createKey(keyFile);
    key = loadKey(keyFile);
    newKey = true;
  }
  await store.db
    .updateTable('connections')
    .set({ token_enc: encryptSecret(key, token) })
    .where('id', '=', row.id)
    .execute();
  return { connection: toConnection(row), newKey };
}

/** The token, or why it cannot be read (key missing or wrong): one unreadable token must not hide the rest. */
export async function readStoredToken(
  store: Store,
  name: string,
): Promise<{ token: string; error: null } | { token: null; error: string }> {
  try {
    return { token: (await getConnection(store, name)).token, error: null };
  } catch (error) {
    if (error instanceof SecretError) return { token: null, error: error.message };
    throw error;
  }
}

/** What removing a connection deletes, as a person would count it. */
export interface ConnectionFootprint {
  projects: number;
  runs: number;
}

export async function connectionFootprint(store: Store, name: string): Promise<ConnectionFootprint> {
  const row = await store.db
    .selectFrom('connections')
    .select((eb) => [
      eb
        .selectFrom('projects')
        .select((p) => p.fn.countAll<number>().as('n'))
        .whereRef('projects.connection_id', '=', 'connections.id')
        .as('projects'),
      eb
        .selectFrom('runs')
        .select((r) => r.fn.countAll<number>().as('n'))
        .whereRef('runs.connection_id', '=', 'connections.id')
        .as('runs'),
    ])
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`unknown connection "${name}"`);
  return { projects: Number(row.projects ?? 0), runs: Number(row.runs ?? 0) };
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
    await inWriteTransaction(store, async (db) => {
      await db.deleteFrom('connections').where('id', '=', row.id).execute();
      await bumpDataVersion(db);
    });
  });
}
