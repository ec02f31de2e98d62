// Opening the store: SQLite file by default, PostgreSQL for a postgres:// URL. Migrations run on open.
import { closeSync, openSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  Kysely,
  DEFAULT_MIGRATION_TABLE as MIGRATION_TABLE,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';
import { type Dialect, migrationSchema } from './dialect.js';
import { firstLine, StoreError } from './errors.js';
import { migrationProvider } from './migrations/index.js';
import { isPostgresUrl, makeDirs, resolveLocation } from './paths.js';
import type { Schema } from './schema.js';
import { type ReaderOptions, SqliteDialectWithReaders, SqliteReaders } from './sqlite-readers.js';

export interface Store {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** For display: the SQLite path or the PostgreSQL URL with the password elided. */
  location: string;
  close(): Promise<void>;
}

const INT8_OID = 20;
const BUSY_TIMEOUT_MS = 5000;

export interface OpenOptions {
  /**
   * SQLite: read on this many worker threads, off the event loop (src/store/sqlite-readers.ts); a server
   * asks for them, a command that runs once does not need them. 0 (the default): read on the main thread.
   */
  readers?: number;
  /** SQLite: sees each reader thread as it starts, replacements of stopped ones included. */
  onReaderThread?: ReaderOptions['onThread'];
  /**
   * PostgreSQL: sync locks this process may hold at once (a worker's syncs and delivery batches). Each
   * holds a session of the pool for its whole work, so the pool gets that many besides the ones writes use.
   */
  lockSessions?: number;
}

/** Opens (creating if needed) and migrates the store at `location`, $BUILDLENS_DB or the default file. */
export async function openStore(location?: string, options: OpenOptions = {}): Promise<Store> {
  const resolved = resolveLocation(location);
  const store = isPostgresUrl(resolved)
    ? openPostgres(resolved, options.lockSessions ?? 2)
    : openSqlite(resolved, options);
  try {
    await migrate(store);
  } catch (error) {
    await store.close().catch(() => {});
    const damaged = damagedStoreError(error, store);
    if (damaged) throw damaged;
    throw new StoreError(`cannot open the store at ${store.location}: ${redact(firstLine(error), resolved)}`);
  }
  return store;
}

function openSqlite(path: string, { readers = 0, onReaderThread }: OpenOptions): Store {
  let database: Database.Database | undefined;
  try {
    // Opening a FIFO waits for a writer for ever; a device or socket is no database either.
    const kind = fileKind(path);
    if (kind !== null) throw new StoreError(`cannot open the store at ${path}: it is ${kind}, not a file`);
    makeDirs(dirname(path));
    // Created here so the mode is 0600 from the start; SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(path, 'a', 0o600));
    database = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database?.close();
    if (error instanceof StoreError) throw error;
    throw (
      damagedStoreError(error, { dialect: 'sqlite', location: path }) ??
      new StoreError(`cannot open the store at ${path}: ${sqliteReason(error)}`)
    );
  }
  const dialect =
    readers > 0
      ? new SqliteDialectWithReaders(
          { database },
          new SqliteReaders(path, readers, BUSY_TIMEOUT_MS, { onThread: onReaderThread }),
        )
      : new SqliteDialect({ database });
  const db = new Kysely<Schema>({ dialect });
  return { db, dialect: 'sqlite', location: path, close: () => db.destroy() };
}

/** What a path that exists but is not a regular file is ("a FIFO"); null for a file or nothing. */
function fileKind(path: string): string | null {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch {
    return null;
  }
  if (stat.isFile()) return null;
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  return 'a device';
}

function sqliteReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB') return 'the file is not a buildlens database';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a parent of it is not a directory';
  if (code === 'ENOENT') return 'cannot create the directory or file';
  return firstLine(error);
}

/** Sessions of the pool besides the sync locks' ones: writes, the rate-limit windows' takes, the tick. */
const WORKING_SESSIONS = 8;

function openPostgres(url: string, lockSessions: number): Store {
  const location = displayUrl(url);
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      // A lock's work waits for a session of its own: a pool all held by locks would stall every one.
      max: lockSessions + WORKING_SESSIONS,
      connectionTimeoutMillis: 10_000,
      // Epoch microseconds and counts come back as int8; they fit a JS number exactly.
      types: {
        getTypeParser: ((oid: number, format?: 'text') =>
          oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
  } catch (error) {
    throw new StoreError(`cannot open the store at ${location}: ${redact(firstLine(error), url)}`);
  }
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', location, close: () => db.destroy() };
}

const RESTORE = (path: string) =>
  `check it with sqlite3 ${path} "PRAGMA integrity_check" and restore it from a backup, with its buildlens.key`;

/**
 * SQLite's report of a damaged file (any command may meet it, on whichever page is damaged) as the one line
 * that says so and what to do; null for any other error.
 */
export function damagedStoreError(
  error: unknown,
  store: Pick<Store, 'dialect' | 'location'>,
): StoreError | null {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (store.dialect !== 'sqlite' || !code.startsWith('SQLITE_CORRUPT')) return null;
  return new StoreError(
    `the database file ${store.location} is damaged (${firstLine(error)}): ${RESTORE(store.location)}`,
  );
}

/** The URL with its password elided, or the bare scheme when it cannot be parsed. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return `${url.split('://', 1)[0]}://(unparsable URL)`;
  }
}

/** Driver messages can quote the connection string; never let its password through. */
function redact(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return message.replaceAll(url, displayUrl(url));
  }
  return password ? message.replaceAll(password, '***') : message;
}

/**
 * Brings the schema to this version's latest migration. Atomic on both engines: PostgreSQL runs Kysely's
 * migrations in a transaction; on SQLite Kysely runs each statement on its own, so a process killed
 * half-way left tables without their migration's record ("table already exists" for ever after). There
 * they run inside one `begin immediate` transaction (SQLite's DDL is transactional), taken only when
 * something is pending, so a kill leaves the previous version intact and the next open completes it.
 */
async function migrate(store: Store): Promise<void> {
  const schema = await migrationSchema(store);
  const known = Object.keys(await migrationProvider.getMigrations());
  const executed = await executedMigrations(store, schema);
  const unknown = executed.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new StoreError(
      `the database was written by a newer version of buildlens (it has migration ${unknown.sort().at(-1)}, ` +
        `this version knows up to ${known.at(-1)}): upgrade buildlens`,
    );
  }
  if (known.every((name) => executed.includes(name))) return;
  const run = async (db: Kysely<Schema>) => {
    // Migrations are numbered when they are written and may land out of order (007 after 011): one that
    // is new is run even when a later-numbered one already ran, instead of refusing to open the store.
    const migrator = new Migrator({
      db,
      provider: migrationProvider,
      migrationTableSchema: schema,
      allowUnorderedMigrations: true,
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  };
  if (store.dialect === 'postgres') return run(store.db);
  await store.db.connection().execute(async (db) => {
    await sql`begin immediate`.execute(db);
    try {
      await run(db);
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db).catch(() => {});
      throw error;
    }
  });
}

/** Names of the migrations the database has run; none when it has no migration table yet. */
async function executedMigrations(store: Store, schema: string | undefined): Promise<string[]> {
  const table = sql.table(schema ? `${schema}.${MIGRATION_TABLE}` : MIGRATION_TABLE);
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(store.db);
    return rows.map((row) => row.name);
  } catch (error) {
    if (/no such table|does not exist/.test(firstLine(error))) return [];
    throw error;
  }
}
