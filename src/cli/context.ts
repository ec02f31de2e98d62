// What every command gets: where to write, the global options, and the store it asked for.
import type { Readable, Writable } from 'node:stream';
import { openStore, type Store } from '../store/store.js';

export interface Io {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export class Cli {
  /** Tokens seen by this process; every error line is scrubbed of them. */
  readonly secrets = new Set<string>();

  constructor(
    readonly io: Io,
    readonly options: GlobalOptions,
  ) {}

  /** Data the user asked for: stdout. */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Width tables fit: 80 columns, or the terminal's width when it is wider. */
  tableWidth(): number {
    const { stdout } = this.io;
    return stdout.isTTY && stdout.columns ? Math.max(80, stdout.columns) : 80;
  }

  /** Status for people: stderr, silenced by -q. */
  info(text: string): void {
    if (!this.options.quiet) this.io.stderr.write(`${text}\n`);
  }

  /** Diagnostics: stderr, only with -v. */
  debug(text: string): void {
    if (this.options.verbose) this.io.stderr.write(`${text}\n`);
  }

  /** Opens the store from --db / $BUILDLENS_DB / the default, runs `work`, and always closes it. */
  async withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore(this.options.db ?? this.io.env.BUILDLENS_DB);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }
}
