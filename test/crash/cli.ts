// The real `buildlens` CLI (from source) in a child process against an in-process sandbox, with a way to
// kill it with SIGKILL once the sandbox has answered a given number of requests.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Sandbox } from '../../src/sandbox/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
// Resolved here, so the child finds tsx whatever directory it runs in.
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** What it printed so far, stdout then stderr. */
  output(): string;
}

/**
 * Starts `buildlens <args>` with the given environment (no inherited BUILDLENS_* settings) and stdin;
 * `preload` modules are imported first (see statement-hook.ts).
 */
export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  input = '',
  preload: string[] = [],
): CliRun {
  const { BUILDLENS_DB: _db, BUILDLENS_KEY: _key, ...inherited } = process.env;
  const imports = [TSX, ...preload].flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, [...imports, MAIN, ...args], {
    cwd,
    env: { ...inherited, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<CliResult>((ok, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => ok({ code, signal, stdout, stderr }));
  });
  child.stdin?.end(input);
  return { child, done, output: () => stdout + stderr };
}

/** Requests the sandbox has answered so far, both providers together. */
export function served(sandbox: Sandbox): number {
  return Object.values(sandbox.faults.traffic()).reduce((sum, t) => sum + t.requests, 0);
}

/**
 * Runs the CLI and SIGKILLs it once the sandbox has served `afterRequests` more requests; resolves with
 * how it ended (it may finish first). Polls every few milliseconds, for at most `limitMs`.
 */
export async function killAfter(
  sandbox: Sandbox,
  afterRequests: number,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  limitMs = 60_000,
): Promise<CliResult & { killed: boolean; pid: number | undefined }> {
  const start = served(sandbox);
  const run = startCli(args, env, cwd);
  let finished = false;
  void run.done.then(() => {
    finished = true;
  });
  let killed = false;
  for (let waited = 0; !finished && waited < limitMs; waited += 2) {
    if (served(sandbox) - start >= afterRequests) {
      killed = run.child.kill('SIGKILL');
      break;
    }
    await sleep(2);
  }
  const result = await run.done;
  return { ...result, killed: killed && result.signal === 'SIGKILL', pid: run.child.pid };
}

/** SQLite's own check of the file: 'ok' when every page and index is sound. */
export function integrity(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? '';
  } finally {
    db.close();
  }
}
