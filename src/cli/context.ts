// What every command gets: where to write, the global options, and the store it asked for.
import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { redact } from '../domain/redaction.js';
import { keyFileFor, keyFileWarning } from '../store/secrets.js';
import { damagedStoreError, type OpenOptions, openStore, type Store } from '../store/store.js';

/** Where a command writes: a stream's `write`, and whether it is a terminal (and how wide). */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
}

/** `output` with every secret this process holds removed from what is written, whoever writes it. */
function redacting(output: Output): Output {
  return {
    write: (text) => output.write(redact(text)),
    get isTTY() {
      return output.isTTY;
    },
    get columns() {
      return output.columns;
    },
  };
}

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export class Cli {
  /** The streams given, behind redaction: no secret reaches stdout or stderr. */
  readonly io: Io;

  /** The stream given, without redaction: only printSecretText writes to it. */
  private readonly plainStdout: Output;

  constructor(
    io: Io,
    readonly options: GlobalOptions,
  ) {
    this.plainStdout = io.stdout;
    this.io = { ...io, stdout: redacting(io.stdout), stderr: redacting(io.stderr) };
  }

  /** Data that holds a secret the user asked to see (a new webhook secret): stdout, not redacted. */
  printSecretText(text: string): void {
    this.plainStdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Data the user asked for: stdout. */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * Width tables fit on a terminal: its width, at least 80 columns. Piped to a file or another program,
   * tables are never cut: names shortened to fit would no longer tell rows apart.
   */
  tableWidth(): number {
    const { stdout } = this.io;
    if (!stdout.isTTY) return Number.POSITIVE_INFINITY;
    return Math.max(80, stdout.columns ?? 80);
  }

  /** Status for people: stderr, silenced by -q. */
  info(text: string): void {
    if (!this.options.quiet) this.io.stderr.write(`${text}\n`);
  }

  /** Something a person must know even with -q: stderr. */
  warn(text: string): void {
    this.io.stderr.write(`buildlens: ${text}\n`);
  }

  /** Diagnostics: stderr, only with -v. */
  debug(text: string): void {
    if (this.options.verbose) this.io.stderr.write(`${text}\n`);
  }

  /** Who audit lines name for what this command does: the operating-system user running it. */
  actor(): string {
    let user = this.io.env.USER ?? 'unknown';
    try {
      user = userInfo().username;
    } catch {
      // No passwd entry (some containers): the environment's word is all there is.
    }
    return `cli:${user}`;
  }

  /** Opens the store from --db / $BUILDLENS_DB / the default, runs `work`, and always closes it. */
  async withStore<T>(work: (store: Store) => Promise<T>, open: OpenOptions = {}): Promise<T> {
    const store = await openStore(this.options.db ?? this.io.env.BUILDLENS_DB, open);
    const warning = keyFileWarning(keyFileFor(store), this.io.env);
    if (warning) this.warn(warning);
    try {
      return await work(store);
    } catch (error) {
      throw damagedStoreError(error, store) ?? error;
    } finally {
      await store.close();
    }
  }
}
