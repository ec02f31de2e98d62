// Migrations are atomic on SQLite: the real CLI, SIGKILLed just before one of the SQL statements it runs
// while creating or upgrading a database (statement-hook.ts, so each kill point is exact and repeatable),
// leaves a file that is exactly some earlier version, schema and data, and the next command completes it.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/store.js';
import { integrity, startCli } from './cli.js';

const HOOK = new URL('./statement-hook.ts', import.meta.url).href;
// Kill points per scenario, spread evenly over the statements of the command; more with the env var.
const POINTS = Number(process.env.BUILDLENS_MIGRATION_KILL_POINTS ?? 8);

const dir = mkdtempSync(join(tmpdir(), 'buildlens-migrate-kill-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const env = { XDG_DATA_HOME: join(dir, 'data'), NO_COLOR: '1' };
const NAMES = Object.keys(await migrationProvider.getMigrations());

function open(path: string) {
  return new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
}

/** The schema SQLite holds, bookkeeping aside: what must equal a reference version exactly. */
function schemaOf(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        "select type, name, sql from sqlite_master where name not like 'kysely_%' and name not like 'sqlite_%' order by name",
      )
      .all() as { type: string; name: string; sql: string | null }[];
    return rows.map((r) => `${r.type} ${r.name}: ${r.sql}`);
  } finally {
    db.close();
  }
}

function recorded(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("select 1 from sqlite_master where name = 'kysely_migration'").get();
    if (!table) return [];
    return (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map(
      (r) => r.name,
    );
  } finally {
    db.close();
  }
}

/** A database migrated up to and including `count` migrations (0: a blank file). */
async function version(count: number, path: string): Promise<void> {
  const db = open(path);
  try {
    if (count > 0) {
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(
        NAMES[count - 1] as string,
      );
      if (error) throw error;
    }
  } finally {
    await db.destroy();
  }
}

// The schema of every version, to compare a killed file with the version it claims to be.
const REFERENCE = new Map<number, string[]>();
for (let count = 0; count <= NAMES.length; count++) {
  const path = join(dir, `reference-${count}.db`);
  await version(count, path);
  REFERENCE.set(count, schemaOf(path));
}

function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

async function statementsOf(args: string[]): Promise<number> {
  const countFile = join(dir, 'count');
  const done = await startCli(args, { ...env, BUILDLENS_TEST_COUNT_FILE: countFile }, dir, '', [HOOK]).done;
  assert.equal(done.code, 0, done.stderr);
  return Number(readFileSync(countFile, 'utf8'));
}

/**
 * For each kill point: `prepare` a fresh file, run `connect list` killed before that statement, check the
 * file is exactly the version its bookkeeping names, then check the next open completes the migrations.
 */
async function killAcross(path: string, prepare: () => void, check: (path: string) => void): Promise<number> {
  const args = ['--db', path, '-q', 'connect', 'list'];
  prepare();
  const total = await statementsOf(args);
  const points = [...new Set(Array.from({ length: POINTS }, (_, i) => 1 + Math.floor((i * total) / POINTS)))];
  let killed = 0;
  for (const point of points) {
    prepare();
    const env2 = { ...env, BUILDLENS_TEST_KILL_AT_STATEMENT: String(point) };
    const result = await startCli(args, env2, dir, '', [HOOK]).done;
    assert.equal(result.signal, 'SIGKILL', `killed before statement ${point}: ${result.stderr}`);
    killed++;
    assert.equal(integrity(path), 'ok', `integrity after a kill before statement ${point}`);
    const at = recorded(path);
    assert.deepEqual(
      at,
      NAMES.slice(0, at.length),
      `a prefix of the migrations is recorded (point ${point})`,
    );
    assert.deepEqual(
      schemaOf(path),
      REFERENCE.get(at.length),
      `killed before statement ${point} of ${total}: the schema is exactly version ${at.length}`,
    );
    // The next open (what every command does first; in this process, to keep the test short).
    await (await openStore(path)).close();
    assert.deepEqual(recorded(path), NAMES);
    assert.deepEqual(schemaOf(path), REFERENCE.get(NAMES.length));
    check(path);
  }
  return killed;
}

test(`a fresh database: SIGKILL at ${POINTS} points of its creation`, async () => {
  const path = join(dir, 'fresh.db');
  const killed = await killAcross(
    path,
    () => removeDb(path),
    () => {},
  );
  assert.ok(killed >= Math.min(POINTS, 6), `${killed} kills`);
});

test(`an upgrade from the first version: SIGKILL at ${POINTS} points, the data kept`, async () => {
  const template = join(dir, 'v1.db');
  await version(1, template);
  const seed = new Database(template);
  seed
    .prepare(
      "insert into connections (name, provider, base_url, org, token_enc, created_at) values ('kept', 'bitrise', 'http://127.0.0.1:1', null, 'v1:x', '2026-01-01T00:00:00Z')",
    )
    .run();
  seed.close();
  const path = join(dir, 'upgrade.db');
  const killed = await killAcross(
    path,
    () => {
      removeDb(path);
      copyFileSync(template, path);
    },
    (file) => {
      const db = new Database(file, { readonly: true });
      try {
        assert.deepEqual(db.prepare('select name from connections').all(), [{ name: 'kept' }]);
      } finally {
        db.close();
      }
    },
  );
  assert.ok(killed >= Math.min(POINTS, 6), `${killed} kills`);
});
