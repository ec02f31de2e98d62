// Runs a store test on SQLite (a real file) and on PostgreSQL (a fresh schema) when BUILDLENS_TEST_PG
// is set; each test gets an empty, migrated store of its own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext, test } from 'node:test';
import pg from 'pg';

import type { Dialect } from '../../src/store/dialect.js';
import { type OpenOptions, openStore, type Store } from '../../src/store/store.js';
import { adminQuery } from './pg-admin.js';

export const PG_URL = process.env.BUILDLENS_TEST_PG;
export const PG_SKIP = 'PostgreSQL tests skipped: set BUILDLENS_TEST_PG';

/** Scratch directory for this test file; also the user data dir, so key files land here. */
export const scratch = mkdtempSync(join(tmpdir(), 'buildlens-store-'));
process.env.XDG_DATA_HOME = join(scratch, 'data');
delete process.env.BUILDLENS_KEY;
delete process.env.BUILDLENS_DB;
after(() => rmSync(scratch, { recursive: true, force: true }));

let opened = 0;

// Each test process gets a database of its own, its stores a schema each inside it. Kysely's migrator
// reads the whole catalog of the database (every schema's tables), which fails when another process
// drops a schema at that moment; another database's catalog is not read.
let database: Promise<string> | null = null;

/** The URL of this test process's own PostgreSQL database (created on first use, dropped at the end). */
export function pgDatabaseUrl(): Promise<string> {
  if (!PG_URL) throw new Error(PG_SKIP);
  const base = PG_URL;
  database ??= (async () => {
    const name = `buildlens_test_${process.pid}_${randomBytes(3).toString('hex')}`;
    await adminQuery(base, `create database ${name}`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    return url.toString();
  })();
  return database;
}

after(async () => {
  if (!database || !PG_URL) return;
  const name = new URL(await database).pathname.slice(1);
  await adminQuery(PG_URL, `drop database if exists ${name} with (force)`);
});

/** A new empty store on the given engine, dropped after the test. Null when PostgreSQL is not configured. */
export async function freshStore(
  t: TestContext,
  dialect: Dialect,
  options: OpenOptions = {},
): Promise<Store | null> {
  opened += 1;
  if (dialect === 'sqlite') {
    const store = await openStore(join(scratch, `db${opened}`, 'buildlens.db'), options);
    t.after(() => store.close());
    return store;
  }
  if (!PG_URL) {
    t.skip(PG_SKIP);
    return null;
  }
  const schema = `buildlens_test_${opened}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = await pgDatabaseUrl();
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await admin.query(`create schema ${schema}`);
  let store: Store | undefined;
  // Registered before opening, so the schema goes even when opening fails.
  t.after(async () => {
    await store?.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  });
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  store = await openStore(url.toString(), options);
  return store;
}

/** Registers `name` once per engine; the body gets a fresh store. */
export function storeTest(name: string, body: (store: Store, t: TestContext) => Promise<void>): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    test(`${name} [${dialect}]`, async (t) => {
      const store = await freshStore(t, dialect);
      if (store) await body(store, t);
    });
  }
}
