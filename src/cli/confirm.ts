// Asking a person before something that cannot be undone. Only a terminal has a person to answer: a
// script's standard input is no consent, so commands that ask take --yes instead.
import { createInterface } from 'node:readline';
import type { Cli } from './context.js';

/** A person can answer: standard input and standard error are both a terminal. */
export function canAsk(cli: Cli): boolean {
  return (cli.io.stdin as { isTTY?: boolean }).isTTY === true && cli.io.stderr.isTTY === true;
}

/** Writes `question` to stderr and reads one line; true only for y or yes. */
export async function confirm(cli: Cli, question: string): Promise<boolean> {
  cli.io.stderr.write(`${question} [y/N] `);
  const lines = createInterface({ input: cli.io.stdin, terminal: false });
  try {
    for await (const line of lines) return /^\s*y(es)?\s*$/i.test(line);
    return false;
  } finally {
    lines.close();
  }
}
