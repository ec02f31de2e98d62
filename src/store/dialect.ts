// Every SQL difference between SQLite and PostgreSQL lives here, so queries elsewhere read the same
// for both engines.
import { type Expression, type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import { StoreError } from './errors.js';

export type Dialect = 'sqlite' | 'postgres';

/** Which engine a Kysely instance talks to (migrations get only the instance). */
export function dialectOf(db: Kysely<unknown>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Column type of an auto-assigned integer primary key. */
export function autoIdType(dialect: Dialect) {
  return dialect === 'postgres' ? ('serial' as const) : ('integer' as const);
}

/**
 * Continuous percentile (linear interpolation) of `value`, p in [0, 1]. Both engines ignore NULLs, so
 * `case when <filter> then x end` restricts the rows it is taken over.
 */
export function percentileCont(
  dialect: Dialect,
  value: Expression<unknown>,
  p: number,
): RawBuilder<number | null> {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be within [0, 1], got ${p}`);
  return dialect === 'postgres'
    ? sql<number | null>`percentile_cont(${sql.lit(p)}) within group (order by ${value})`
    : sql<number | null>`percentile_cont(${value}, ${sql.lit(p)})`;
}

// Both take whole seconds by integer division first: SQLite rounds to milliseconds and PostgreSQL keeps
// microseconds, so a fraction could land the two engines on different sides of midnight.

/** ISO week in UTC of an epoch-microseconds column, as text like `2026-W07`. */
export function isoWeek(dialect: Dialect, micros: Expression<unknown>): RawBuilder<string> {
  return dialect === 'postgres'
    ? sql<string>`to_char(to_timestamp(${micros} / 1000000) at time zone 'UTC', 'IYYY-"W"IW')`
    : sql<string>`strftime('%G-W%V', ${micros} / 1000000, 'unixepoch')`;
}

/** UTC day of an epoch-microseconds column, as text like `2026-02-10`. */
export function day(dialect: Dialect, micros: Expression<unknown>): RawBuilder<string> {
  return dialect === 'postgres'
    ? sql<string>`to_char(to_timestamp(${micros} / 1000000) at time zone 'UTC', 'YYYY-MM-DD')`
    : sql<string>`strftime('%Y-%m-%d', ${micros} / 1000000, 'unixepoch')`;
}

/** Whether a driver error is a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Runs `work` in one transaction. SQLite takes the write lock up front (`begin immediate`): a deferred
 * transaction that reads first and writes later fails at once, without waiting, when another process
 * wrote in between.
 */
export async function inWriteTransaction<DB, T>(
  store: { db: Kysely<DB>; dialect: Dialect },
  work: (db: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return store.db.connection().execute(async (db) => {
    await sql.raw(store.dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(db);
    try {
      const result = await work(db);
      await sql.raw('commit').execute(db);
      return result;
    } catch (error) {
      // SQLite ends the transaction itself on a full disk or an I/O error: then the rollback's own
      // complaint (no transaction is active) must not hide what went wrong.
      await sql
        .raw('rollback')
        .execute(db)
        .catch(() => {});
      throw writeError(error);
    }
  });
}

/** SQLite's answers that mean the file cannot take writes, as a one-line error a person can act on. */
const UNWRITABLE: Record<string, string> = {
  SQLITE_FULL: 'the disk is full',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_IOERR: 'the disk reported an I/O error',
};

function writeError(error: unknown): unknown {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const reason = UNWRITABLE[code] ?? UNWRITABLE[code.split('_').slice(0, 2).join('_')];
  return reason
    ? new StoreError(`cannot write to the store: ${reason}; nothing of this batch was saved`)
    : error;
}

/**
 * The schema migrations bookkeeping belongs in. On PostgreSQL it must be named: otherwise Kysely
 * finds its tables in any schema of the database and skips creating them in the current one.
 */
export async function migrationSchema<DB>(store: {
  db: Kysely<DB>;
  dialect: Dialect;
}): Promise<string | undefined> {
  if (store.dialect === 'sqlite') return undefined;
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(store.db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('no schema on the search_path to create tables in');
  return schema;
}
