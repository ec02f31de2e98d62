// One sync per connection at a time, across processes. Two syncs of the same connection would fetch the
// same pages twice and race on its checkpoint, so the second one refuses with a line that names the holder.
// A holder killed with SIGKILL must not block the next sync:
// - PostgreSQL: a session advisory lock, released by the server when the holder's session ends. The
//   holder's pid and start time go into its session's application_name, where others can read them.
// - SQLite: a small file beside the database naming the holder's pid, host and start time. A file whose
//   process is gone is stale and taken over. Taking it happens under the database's write lock, so two
//   syncs cannot both see a free (or stale) lock and both take it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { z } from 'zod';
import { inWriteTransaction } from './dialect.js';
import { firstLine, StoreError } from './errors.js';
import type { Store } from './store.js';

/** Another process (or this one) is syncing the connection. */
export class SyncLockedError extends StoreError {
  override name = 'SyncLockedError';
}

export interface LockHolder {
  pid: number;
  /** Host of the holder; null when the engine cannot tell (PostgreSQL). */
  host: string | null;
  since: string;
}

interface Locked {
  connectionId: number;
  /** The connection's name, for the message. */
  name: string;
}

const Holder = z.object({ pid: z.number().int().positive(), host: z.string(), since: z.string() });

/** Runs `work` while holding the sync lock of the connection; throws SyncLockedError when it is held. */
export function withSyncLock<T>(store: Store, connection: Locked, work: () => Promise<T>): Promise<T> {
  return store.dialect === 'postgres'
    ? withAdvisoryLock(store, connection, work)
    : withLockFile(store, connection, work);
}

/** Who holds the connection's sync lock now; null when it is free (or held by a process that died). */
export async function syncLockHolder(store: Store, connectionId: number): Promise<LockHolder | null> {
  if (store.dialect === 'postgres') return advisoryHolder(store, connectionId);
  const holder = readHolder(lockFilePath(store, connectionId));
  return holder && alive(holder) ? holder : null;
}

/**
 * Whether anyone holds the sync lock of the named connection: on PostgreSQL any session, labelled yet or
 * not. False for a connection that no longer exists.
 */
export async function syncLockTaken(store: Store, connectionName: string): Promise<boolean> {
  const connection = await store.db
    .selectFrom('connections')
    .select('id')
    .where('name', '=', connectionName)
    .executeTakeFirst();
  if (!connection) return false;
  if (store.dialect === 'postgres') return (await advisorySessions(store, connection.id)).length > 0;
  return (await syncLockHolder(store, connection.id)) !== null;
}

function lockedError(connection: Locked, holder: LockHolder | null): SyncLockedError {
  const where = holder?.host && holder.host !== hostname() ? ` on ${holder.host}` : '';
  const since = holder?.since.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
  const who = holder ? ` (pid ${holder.pid}${where} since ${since})` : '';
  return new SyncLockedError(
    `another sync of "${connection.name}" is running on this database${who}; wait for it to finish`,
  );
}

const isoSeconds = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

// ---- PostgreSQL ----

// The key covers the schema, so stores in different schemas of one database (tests) do not collide.
const advisoryKey = (connectionId: number) =>
  sql`hashtextextended('buildlens sync ' || current_schema() || ' ' || ${String(connectionId)}, 0)`;

const LABEL = /^buildlens sync pid (\d+) since (\S+)$/;

async function withAdvisoryLock<T>(store: Store, connection: Locked, work: () => Promise<T>): Promise<T> {
  // One pooled session holds the lock for the whole sync; the sync's writes use the others.
  return store.db.connection().execute(async (session) => {
    const key = advisoryKey(connection.connectionId);
    const { rows } = await sql<{ got: boolean }>`select pg_try_advisory_lock(${key}) as got`.execute(session);
    if (!rows[0]?.got) throw lockedError(connection, await advisoryHolder(store, connection.connectionId));
    try {
      const since = isoSeconds();
      await sql`select set_config('application_name', ${`buildlens sync pid ${process.pid} since ${since}`}, false)`.execute(
        session,
      );
      return await work();
    } finally {
      // If the session broke, the server has already dropped the lock with it.
      await sql`select pg_advisory_unlock(${key}), set_config('application_name', '', false)`
        .execute(session)
        .catch(() => {});
    }
  });
}

/** The labels of the sessions holding the connection's advisory lock in this database (one, or none). */
async function advisorySessions(store: Store, connectionId: number): Promise<string[]> {
  const { rows } = await sql<{ label: string }>`
    select a.application_name as label
    from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and l.objsubid = 1
      and l.database = (select oid from pg_database where datname = current_database())
      and ((l.classid::bigint << 32) | l.objid::bigint) = ${advisoryKey(connectionId)}`.execute(store.db);
  return rows.map((r) => r.label);
}

async function advisoryHolder(store: Store, connectionId: number): Promise<LockHolder | null> {
  const match = LABEL.exec((await advisorySessions(store, connectionId))[0] ?? '');
  return match ? { pid: Number(match[1]), host: null, since: match[2] ?? '' } : null;
}

// ---- SQLite ----

export function lockFilePath(store: Store, connectionId: number): string {
  return `${store.location}.sync-${connectionId}.lock`;
}

function readHolder(path: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = Holder.safeParse(safeJson(text));
  // A file cut short by a crash while it was written holds no lock.
  return parsed.success ? parsed.data : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const FILE_REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

function fileReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return FILE_REASONS[code] ?? firstLine(error);
}

/** The process is running (on another host it cannot be checked, so it counts as running). */
function alive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withLockFile<T>(store: Store, connection: Locked, work: () => Promise<T>): Promise<T> {
  const path = lockFilePath(store, connection.connectionId);
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: isoSeconds() };
  // The write lock (waiting up to the store's busy timeout) makes the check and the take one step.
  await inWriteTransaction(store, async () => {
    const holder = readHolder(path);
    if (holder && alive(holder)) throw lockedError(connection, holder);
    try {
      writeFileSync(path, JSON.stringify(mine), { mode: 0o600 });
    } catch (error) {
      throw new StoreError(`cannot write the sync lock ${path}: ${fileReason(error)}`);
    }
  });
  try {
    return await work();
  } finally {
    const holder = readHolder(path);
    if (holder?.pid === mine.pid && holder.since === mine.since) rmSync(path, { force: true });
  }
}
