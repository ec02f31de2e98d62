// Where buildlens keeps its files when no location is given.

import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { StoreError } from './errors.js';

/** The user's data directory for buildlens (XDG on Linux, Application Support on macOS). */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'buildlens');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'buildlens');
  return join(homedir(), '.local', 'share', 'buildlens');
}

/** Store location: the argument, else $BUILDLENS_DB, else the SQLite file in the user's data directory. */
export function resolveLocation(location?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (location === '')
    throw new StoreError('the database location is empty: give a file path or a postgres:// URL');
  const resolved = location || env.BUILDLENS_DB || join(userDataDir(env), 'buildlens.db');
  // SQLite would make these an in-memory database (gone when the command ends) or a file named after them.
  if (resolved === ':memory:' || /^file:/i.test(resolved)) {
    throw new StoreError(
      `"${resolved}" is not supported: buildlens keeps its data in a database file; give a file path or a postgres:// URL`,
    );
  }
  // Any other URL would otherwise become a folder named after its scheme with a SQLite file in it.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(resolved)?.[1];
  if (scheme !== undefined && !isPostgresUrl(resolved)) {
    throw new StoreError(
      `unsupported database URL scheme "${scheme}": give a file path or a postgres:// URL`,
    );
  }
  return resolved;
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

// Node's own recursive mkdir never returns for some paths (e.g. under /proc), so walk it level by level.
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d, { mode: 0o700 });
}
