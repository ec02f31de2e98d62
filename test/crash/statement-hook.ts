// Loaded with `node --import` into a child CLI: counts the SQL statements better-sqlite3 prepares and, with
// BUILDLENS_TEST_KILL_AT_STATEMENT=N, SIGKILLs its own process just before the Nth, so a crash lands
// between any two statements, deterministically. BUILDLENS_TEST_COUNT_FILE receives the count at exit.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const Database = createRequire(import.meta.url)('better-sqlite3') as {
  prototype: { prepare: (...args: unknown[]) => unknown };
};
const killAt = Number(process.env.BUILDLENS_TEST_KILL_AT_STATEMENT ?? 0);
const countFile = process.env.BUILDLENS_TEST_COUNT_FILE;
let count = 0;
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: unknown, ...args: unknown[]) {
  count++;
  if (count === killAt) process.kill(process.pid, 'SIGKILL');
  return prepare.apply(this, args);
};
if (countFile) process.on('exit', () => writeFileSync(countFile, String(count)));
