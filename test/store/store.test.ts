// Opening the store: where it goes, file permissions, migrations, and one-line errors.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { StoreError } from '../../src/store/errors.js';
import { resolveLocation, userDataDir } from '../../src/store/paths.js';
import { displayUrl, openStore } from '../../src/store/store.js';
import { freshStore, PG_SKIP, PG_URL, scratch } from './engines.js';

const mode = (path: string) => statSync(path).mode & 0o777;

async function openError(location: string): Promise<StoreError> {
  const error = await openStore(location).then(
    async (store) => {
      await store.close();
      return null;
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
  assert.doesNotMatch(error.message, /\n/);
  return error;
}

test('a new SQLite store creates its directories and 0600 files, in WAL mode', async () => {
  const path = join(scratch, 'new', 'nested', 'buildlens.db');
  const store = await openStore(path);
  try {
    assert.equal(store.dialect, 'sqlite');
    assert.equal(store.location, path);
    assert.equal(mode(path), 0o600);
    const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    assert.equal(rows[0]?.journal_mode, 'wal');
    await store.db
      .insertInto('connections')
      .values({ name: 'x', provider: 'bitrise', base_url: 'u', org: null, token_enc: 't', created_at: 'now' })
      .execute();
    assert.equal(mode(`${path}-wal`), 0o600, 'the write-ahead log is private too');
    const tables = await store.db.introspection.getTables();
    assert.deepEqual(
      tables
        .map((t) => t.name)
        .filter((n) => !n.startsWith('kysely'))
        .sort(),
      [
        'alert_deliveries',
        'alert_states',
        'api_tokens',
        'audit_log',
        'connections',
        'data_version',
        'jobs',
        'level_rollups',
        'projects',
        'rate_budgets',
        'raw_payloads',
        'refused_payloads',
        'rollup_dirty',
        'run_rollups',
        'runs',
        'steps',
        'sync_schedules',
        'sync_state',
        'webhook_inbox',
        'webhooks',
      ],
    );
  } finally {
    await store.close();
  }
});

test('reopening a store keeps its data and does not re-run migrations', async () => {
  const path = join(scratch, 'reopen.db');
  const first = await openStore(path);
  await first.db
    .insertInto('connections')
    .values({ name: 'x', provider: 'bitrise', base_url: 'u', org: null, token_enc: 't', created_at: 'now' })
    .execute();
  await first.close();
  const second = await openStore(path);
  const rows = await second.db.selectFrom('connections').select('name').execute();
  await second.close();
  assert.deepEqual(rows, [{ name: 'x' }]);
});

test('an unwritable location is a one-line StoreError naming it', async () => {
  const file = join(scratch, 'plain-file');
  writeFileSync(file, 'x');
  const underFile = join(file, 'buildlens.db');
  assert.match((await openError(underFile)).message, new RegExp(`^cannot open the store at ${underFile}: `));
  const underProc = '/proc/buildlens-nowhere/buildlens.db';
  assert.match((await openError(underProc)).message, /at \/proc\/buildlens-nowhere\/buildlens\.db: /);
  assert.equal(existsSync(underProc), false);
});

test('a file that is not a database is refused, untouched', async () => {
  const path = join(scratch, 'notes.txt');
  const notes = 'these are my notes, not a database\n'.repeat(20);
  writeFileSync(path, notes);
  const error = await openError(path);
  assert.equal(error.message, `cannot open the store at ${path}: the file is not a buildlens database`);
  assert.equal(readFileSync(path, 'utf8'), notes);
  assert.equal(existsSync(`${path}-wal`), false);
});

test('a directory given as the database is refused', async () => {
  const dir = join(scratch, 'a-dir');
  mkdirSync(dir);
  await openError(dir);
});

test('location: argument, else BUILDLENS_DB, else the user data directory', () => {
  const env = { BUILDLENS_DB: '/env/b.db', XDG_DATA_HOME: '/xdg' };
  assert.equal(resolveLocation('/arg/a.db', env), '/arg/a.db');
  assert.equal(resolveLocation(undefined, env), '/env/b.db');
  assert.equal(resolveLocation(undefined, { XDG_DATA_HOME: '/xdg' }), '/xdg/buildlens/buildlens.db');
  assert.match(userDataDir({}, 'linux'), /\/\.local\/share\/buildlens$/);
  assert.match(userDataDir({}, 'darwin'), /\/Library\/Application Support\/buildlens$/);
});

test('PostgreSQL URLs are shown without their password', () => {
  assert.equal(displayUrl('postgres://bob:s3cret@db:5432/x'), 'postgres://bob:***@db:5432/x');
  assert.equal(displayUrl('postgresql://db/x'), 'postgresql://db/x');
});

test('PostgreSQL: a wrong password is a StoreError without the password', async (t) => {
  if (!PG_URL) return t.skip(PG_SKIP);
  const wrong = new URL(PG_URL);
  wrong.password = 'not-the-password-xyz';
  const denied = await openError(wrong.toString());
  assert.doesNotMatch(denied.message, /not-the-password-xyz/);
  assert.match(denied.message, /^cannot open the store at postgres:\/\/[^ ]*:\*\*\*@/);
});

test('an unreachable PostgreSQL server is a StoreError without the password', async () => {
  const unreachable = await openError('postgres://someone:distinct-pw-123@127.0.0.1:1/nothing');
  assert.equal(
    unreachable.message,
    'cannot open the store at postgres://someone:***@127.0.0.1:1/nothing: connect ECONNREFUSED 127.0.0.1:1',
  );
});

test('PostgreSQL: a store in another schema of the database does not stop migrations in this one', async (t) => {
  const first = await freshStore(t, 'postgres');
  const second = first && (await freshStore(t, 'postgres'));
  if (!second) return;
  const tables = await sql<{ n: number }>`select count(*) as n from information_schema.tables
    where table_schema = current_schema() and table_name in ('runs', 'kysely_migration')`.execute(second.db);
  assert.equal(tables.rows[0]?.n, 2);
});

test('a database a newer version migrated is named as such, not as corrupted', async () => {
  const path = join(scratch, 'newer', 'buildlens.db');
  const store = await openStore(path);
  await sql`insert into kysely_migration (name, timestamp) values ('999_future', '2030-01-01T00:00:00Z')`.execute(
    store.db,
  );
  await store.close();
  const error = await openError(path);
  assert.match(
    error.message,
    /^cannot open the store at .*: the database was written by a newer version of buildlens \(it has migration 999_future, this version knows up to \d{3}_\w+\): upgrade buildlens$/,
  );
});
