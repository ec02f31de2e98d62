// `connect remove` end to end: the built CLI asks on a real terminal (a pseudo-terminal from util-linux's
// `script`), refuses without --yes when no one can answer, and frees the space it deleted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { PG_SKIP, PG_URL, pgDatabaseUrl } from '../store/engines.js';
import { buildCli, type ChildResult, runChild } from './built-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'buildlens');

let sandbox: Sandbox;
let dir: string;
let env: NodeJS.ProcessEnv;

const run = (command: string, args: string[], input: string) =>
  runChild(command, args, { cwd: dir, env, input });

/** The CLI with pipes for its streams, as a script runs it. */
const buildlens = (args: string[], input = '') => run(process.execPath, [BIN, ...args], input);

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * The CLI on a pseudo-terminal, `input` typed on it; everything it printed arrives on stdout (the
 * terminal's echo of the input too), and `script -e` exits with the CLI's code.
 */
const onTerminal = (args: string[], input: string) =>
  run('script', ['-qec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], input);

/** One line, exit code 2, nothing else said. */
function assertRefused(result: ChildResult, message: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? '', /^buildlens: /);
  assert.match(lines[0] ?? '', message);
}

async function connectAndSync(db: string): Promise<void> {
  const add = ['--db', db, 'connect', 'add'];
  for (const args of [
    [...add, 'br', '--provider', 'bitrise', '--url', sandbox.bitrise.url],
    [...add, 'bk', '--provider', 'buildkite', '--url', sandbox.buildkite.url, '--org', sandbox.buildkite.org],
    ['--db', db, '-q', 'sync', '--lookback', '365d'],
  ]) {
    const result = await buildlens(args);
    assert.equal(result.code, 0, result.stderr);
  }
}

/** Runs and projects per connection name, read from the SQLite file itself. */
function countsIn(db: string): Record<string, { runs: number; projects: number }> {
  const file = new Database(db, { readonly: true });
  try {
    const rows = file
      .prepare(
        `select c.name,
           (select count(*) from runs r where r.connection_id = c.id) as runs,
           (select count(*) from projects p where p.connection_id = c.id) as projects
         from connections c`,
      )
      .all() as { name: string; runs: number; projects: number }[];
    return Object.fromEntries(rows.map((r) => [r.name, { runs: r.runs, projects: r.projects }]));
  } finally {
    file.close();
  }
}

const fileBytes = (db: string) => statSync(db).size;

before(async () => {
  buildCli();
  sandbox = await startSandbox({ seed: 1, size: 'small', clock: 'manual' });
  dir = mkdtempSync(join(tmpdir(), 'buildlens-remove-'));
  const { BUILDLENS_DB: _db, BUILDLENS_KEY: _key, ...rest } = process.env;
  env = {
    ...rest,
    XDG_DATA_HOME: join(dir, 'data'),
    BITRISE_TOKEN: sandbox.bitrise.token,
    BUILDKITE_TOKEN: sandbox.buildkite.token,
    NO_COLOR: '1',
  };
});

after(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('connect remove on SQLite', () => {
  let db: string;
  let held: Record<string, { runs: number; projects: number }>;

  before(async () => {
    db = join(dir, 'sqlite', 'buildlens.db');
    await connectAndSync(db);
    held = countsIn(db);
    assert.ok((held.bk?.runs ?? 0) > 0 && (held.br?.runs ?? 0) > 0);
  });

  it('without a terminal and without --yes: one line, exit 2, nothing removed', async () => {
    const result = await buildlens(['--db', db, 'connect', 'remove', 'bk'], 'y\n');
    assertRefused(
      result,
      new RegExp(
        `removing connection "bk" with its ${held.bk?.projects} pipelines and ${held.bk?.runs.toLocaleString('en-US')} runs cannot be undone: add --yes`,
      ),
    );
    assert.deepEqual(countsIn(db), held);
  });

  it('on a terminal it asks, naming what goes; anything but yes keeps everything', async () => {
    const result = await onTerminal(['--db', db, 'connect', 'remove', 'bk'], 'n\n');
    assert.equal(result.code, 0, result.stdout);
    assert.match(
      result.stdout,
      new RegExp(
        `Remove connection "bk" with its ${held.bk?.projects} pipelines and ${held.bk?.runs.toLocaleString('en-US')} runs\\? This cannot be undone\\. \\[y/N\\]`,
      ),
    );
    assert.match(result.stdout, /nothing removed/);
    assert.deepEqual(countsIn(db), held);
  });

  it('on a terminal, yes removes the connection and VACUUM gives the space back', async () => {
    const bytes = fileBytes(db);
    const result = await onTerminal(['--db', db, 'connect', 'remove', 'bk'], 'y\n');
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /removed connection "bk" with its \d+ pipelines and \d+ runs/);
    const freed = /VACUUM freed ([\d,]+) bytes: the database file went from [\d.]+ MB to [\d.]+ MB/.exec(
      result.stdout,
    );
    assert.ok(freed, result.stdout);
    const after = fileBytes(db);
    assert.ok(after < bytes, `the file did not shrink: ${bytes} → ${after}`);
    assert.equal(Number(freed[1]?.replaceAll(',', '')), bytes - after);
    assert.deepEqual(countsIn(db), { br: held.br });
  });

  it('--yes removes without asking, where no one could answer', async () => {
    const result = await buildlens(['--db', db, 'connect', 'remove', 'br', '--yes']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /removed connection "br" with its \d+ apps and \d+ runs/);
    assert.match(result.stderr, /VACUUM freed [\d,]+ bytes/);
    assert.deepEqual(countsIn(db), {});
  });

  it('an unknown name is refused before anything is asked', async () => {
    assertRefused(await buildlens(['--db', db, 'connect', 'remove', 'nope']), /unknown connection "nope"/);
  });
});

describe('connect remove on PostgreSQL', () => {
  it('--yes removes it and says how PostgreSQL gets the space back', async (t) => {
    if (!PG_URL) return t.skip(PG_SKIP);
    const schema = `remove_cli_${process.pid}`;
    const admin = new pg.Client({ connectionString: await pgDatabaseUrl() });
    await admin.connect();
    t.after(async () => {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    });
    await admin.query(`create schema ${schema}`);
    const url = new URL(await pgDatabaseUrl());
    url.searchParams.set('options', `-c search_path=${schema}`);
    const db = url.toString();
    await connectAndSync(db);
    const result = await buildlens(['--db', db, 'connect', 'remove', 'bk', '--yes']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /removed connection "bk" with its \d+ pipelines and [1-9]\d* runs/);
    assert.match(result.stderr, /autovacuum.*VACUUM FULL/);
    const { rows } = await admin.query(
      `select count(*)::int as n from ${schema}.runs r join ${schema}.connections c on c.id = r.connection_id where c.name = 'bk'`,
    );
    assert.equal(rows[0].n, 0);
  });
});
