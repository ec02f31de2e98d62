// Giving back the space deleted rows leave behind. SQLite keeps freed pages inside its file until VACUUM;
// PostgreSQL's autovacuum makes them reusable on its own, and only VACUUM FULL returns them to the system.
import { statSync } from 'node:fs';
import { sql } from 'kysely';
import type { Store } from './store.js';

export type Reclaimed =
  /** The SQLite file (with its write-ahead log) before and after VACUUM, in bytes. */
  | { engine: 'sqlite'; bytesBefore: number; bytesAfter: number }
  /** Left to PostgreSQL: nothing measured. */
  | { engine: 'postgres' };

/** The database file and its write-ahead log, in bytes. */
function sqliteBytes(path: string): number {
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return size(path) + size(`${path}-wal`);
}

/**
 * Rewrites a SQLite store without its free pages. The log is checkpointed and truncated on both sides of
 * VACUUM (which writes its new pages to the log in WAL mode), so both sizes are the file's own.
 */
export async function reclaimSpace(store: Store): Promise<Reclaimed> {
  if (store.dialect === 'postgres') return { engine: 'postgres' };
  const checkpoint = () => sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);
  await checkpoint();
  const bytesBefore = sqliteBytes(store.location);
  await sql`VACUUM`.execute(store.db);
  await checkpoint();
  return { engine: 'sqlite', bytesBefore, bytesAfter: sqliteBytes(store.location) };
}
