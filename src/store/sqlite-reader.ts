// One reader thread of src/store/sqlite-readers.ts: its own read-only connection to the SQLite file (WAL
// lets readers run beside the writer and each other), answering the compiled SELECTs posted to it.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface ReadRequest {
  id: number;
  sql: string;
  parameters: readonly unknown[];
}

export type ReadAnswer =
  | { id: number; rows: unknown[] }
  | { id: number; error: { message: string; code: string | undefined } };

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const database = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
// Prepared once per statement text: the dashboard asks the same questions over and over.
const statements = new Map<string, Database.Statement>();
const MAX_STATEMENTS = 500;

parentPort?.on('message', ({ id, sql, parameters }: ReadRequest) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      if (!statement.reader) throw new Error('a reader thread runs only statements that return rows');
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      statements.set(sql, statement);
    }
    parentPort?.postMessage({ id, rows: statement.all(parameters) } satisfies ReadAnswer);
  } catch (error) {
    const { message, code } = error as { message?: string; code?: string };
    parentPort?.postMessage({ id, error: { message: String(message), code } } satisfies ReadAnswer);
  }
});
