// SQLite reads off the event loop. better-sqlite3 is synchronous: on the main thread one slow report
// holds every other request until it ends. A server opens its SQLite store with reader threads: queries
// that only read, outside a transaction, are posted (compiled SQL and parameters) to a pool of worker
// threads, each with its own read-only connection; everything else — writes, and every statement of a
// connection that has begun a transaction or written — stays on the main connection. WAL gives each
// read a consistent snapshot that includes every commit that finished before it started.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  RawNode,
  SelectQueryNode,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';
import { firstLine, StoreError } from './errors.js';
import type { ReadAnswer, ReadRequest } from './sqlite-reader.js';

// The reader's module beside this one: built, the .js file; from source (tests, benchmarks) the thread
// first registers tsx itself, whose loader hooks threads do not inherit on Node 20.
const SOURCE = extname(fileURLToPath(import.meta.url)) === '.ts';

function startReader(workerData: unknown): Worker {
  if (!SOURCE) return new Worker(new URL('./sqlite-reader.js', import.meta.url), { workerData });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const reader = JSON.stringify(new URL('./sqlite-reader.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((tsx) => tsx.register()).then(() => import(${reader}))`, {
    eval: true,
    workerData,
  });
}

interface Waiting {
  resolve: (rows: unknown[]) => void;
  reject: (error: Error) => void;
}

interface Reader {
  worker: Worker;
  waiting: Map<number, Waiting>;
  /** Why the thread stopped (it could not open the file, or it crashed); null while it runs. */
  stopped: Error | null;
}

/** A failed read, with SQLite's code kept (callers tell errors apart by it). */
class ReadError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface ReaderOptions {
  /** Sees each reader thread as it starts, replacements included (a test stops one to see it replaced). */
  onThread?: (thread: Worker) => void;
}

/**
 * A thread that stops is replaced at once, up to this many times in RESTART_WINDOW_MS for the whole pool:
 * a thread that cannot open the file, or a read that kills every thread it reaches, must not make the
 * server start threads in a loop. Beyond it a stopped thread stays down until the window has room again.
 */
const RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export class SqliteReaders {
  private readonly readers: Reader[];
  private readonly restartedAt: number[] = [];
  private next = 0;
  private closed = false;

  constructor(
    private readonly path: string,
    size: number,
    private readonly busyTimeoutMs: number,
    private readonly options: ReaderOptions = {},
  ) {
    this.readers = Array.from({ length: size }, () => this.start());
  }

  private start(): Reader {
    const reader: Reader = {
      worker: startReader({ path: this.path, busyTimeoutMs: this.busyTimeoutMs }),
      waiting: new Map(),
      stopped: null,
    };
    reader.worker.on('message', (answer: ReadAnswer) => {
      const waiting = reader.waiting.get(answer.id);
      reader.waiting.delete(answer.id);
      if (reader.waiting.size === 0) reader.worker.unref();
      if ('error' in answer) waiting?.reject(new ReadError(answer.error.message, answer.error.code));
      else waiting?.resolve(answer.rows);
    });
    // 'error' (an uncaught exception, or the file would not open) is followed by 'exit': the first counts.
    const stop = (why: string) => {
      if (reader.stopped !== null) return;
      reader.stopped = new StoreError(`a reader thread of the store stopped (${why})`);
      // Not run again elsewhere: the read may be what stopped the thread, and on the main thread it
      // would block the server or take it down. The caller gets an error, never a wrong answer.
      const failed = new StoreError(`${reader.stopped.message} during this read; ask again`);
      for (const waiting of reader.waiting.values()) waiting.reject(failed);
      reader.waiting.clear();
      reader.worker.unref();
      this.replace(reader);
    };
    reader.worker.on('error', (error) => stop(firstLine(error)));
    reader.worker.on('exit', (code) => stop(`exit ${code}`));
    // Idle readers do not keep the process alive; a reader with reads to answer does.
    reader.worker.unref();
    this.options.onThread?.(reader.worker);
    return reader;
  }

  /** A new thread in the stopped one's place, if the restart budget allows. */
  private replace(stopped: Reader): void {
    const slot = this.readers.indexOf(stopped);
    if (this.closed || slot < 0 || !this.mayRestart()) return;
    this.readers[slot] = this.start();
  }

  private mayRestart(): boolean {
    const now = Date.now();
    while ((this.restartedAt[0] ?? now) <= now - RESTART_WINDOW_MS) this.restartedAt.shift();
    if (this.restartedAt.length >= RESTARTS) return false;
    this.restartedAt.push(now);
    return true;
  }

  /** Runs a read on the least busy reader. */
  read(sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    // Threads left down by the restart budget come back once it allows.
    for (const reader of this.readers) if (reader.stopped !== null) this.replace(reader);
    const running = this.readers.filter((r) => r.stopped === null);
    if (running.length === 0) {
      const why = this.readers[0]?.stopped?.message ?? 'no reader threads';
      return Promise.reject(
        new StoreError(
          `${why}; the store's reader threads were restarted ${RESTARTS} times within a minute, so reads fail until the next restart is due`,
        ),
      );
    }
    const reader = running.reduce((best, r) => (r.waiting.size < best.waiting.size ? r : best));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      if (reader.waiting.size === 0) reader.worker.ref();
      reader.waiting.set(id, { resolve, reject });
      reader.worker.postMessage({ id, sql, parameters } satisfies ReadRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.readers.map((r) => r.worker.terminate()));
  }
}

/** Whether a statement only reads: a SELECT, built or raw. */
function onlyReads(query: CompiledQuery): boolean {
  if (SelectQueryNode.is(query.query)) return true;
  return RawNode.is(query.query) && /^\s*select\b/i.test(query.sql);
}

/** A connection that reads through the pool until it needs the main connection, then keeps that. */
class RoutedConnection implements DatabaseConnection {
  main: DatabaseConnection | null = null;

  constructor(
    private readonly driver: Driver,
    private readonly readers: SqliteReaders,
  ) {}

  async pin(): Promise<DatabaseConnection> {
    this.main ??= await this.driver.acquireConnection();
    return this.main;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.main === null && onlyReads(query))
      return { rows: (await this.readers.read(query.sql, query.parameters)) as R[] };
    return (await this.pin()).executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    yield* (await this.pin()).streamQuery<R>(query, chunkSize);
  }

  async release(): Promise<void> {
    const main = this.main;
    if (main === null) return;
    this.main = null;
    await this.driver.releaseConnection(main);
  }
}

class RoutingDriver implements Driver {
  constructor(
    private readonly main: Driver,
    private readonly readers: SqliteReaders,
  ) {}

  init = () => this.main.init();
  acquireConnection = async (): Promise<DatabaseConnection> => new RoutedConnection(this.main, this.readers);
  beginTransaction = async (connection: DatabaseConnection, settings: TransactionSettings) =>
    this.main.beginTransaction(await (connection as RoutedConnection).pin(), settings);
  commitTransaction = async (connection: DatabaseConnection) =>
    this.main.commitTransaction(await (connection as RoutedConnection).pin());
  rollbackTransaction = async (connection: DatabaseConnection) =>
    this.main.rollbackTransaction(await (connection as RoutedConnection).pin());
  releaseConnection = (connection: DatabaseConnection) => (connection as RoutedConnection).release();
  destroy = async () => {
    await this.readers.close();
    await this.main.destroy();
  };
}

/** Kysely's SQLite dialect with reads on `readers` (see the top of this file). */
export class SqliteDialectWithReaders extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly readers: SqliteReaders,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new RoutingDriver(super.createDriver(), this.readers);
  }
}
