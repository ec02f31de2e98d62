// What the queue tests share: a scratch PostgreSQL database with the environment the real processes get,
// and what they compare a connection by (its runs and jobs as stored, against a fresh sync's).
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { PG_URL } from '../store/engines.js';
import { adminQuery } from '../store/pg-admin.js';

/** A database of its own on the test server, dropped after the test: its URL. */
export async function scratchDatabase(t: TestContext, prefix: string): Promise<string> {
  const server = PG_URL as string;
  const database = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery(server, `create database ${database}`);
  t.after(() => adminQuery(server, `drop database if exists ${database} with (force)`));
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The environment of `buildlens` processes on that database, with a fresh key set in this process too. */
export function processEnv(databaseUrl: string): NodeJS.ProcessEnv & { BUILDLENS_DB: string } {
  const env = { ...process.env, BUILDLENS_DB: databaseUrl, BUILDLENS_KEY: randomBytes(32).toString('hex') };
  process.env.BUILDLENS_KEY = env.BUILDLENS_KEY;
  return env;
}

/** Each connection's runs and jobs, in key order, without the store's ids. */
export async function rowsOf(store: Store, connectionId: number) {
  const runs = await store.db
    .selectFrom('runs')
    .select(['key', 'status', 'triggered_us', 'content_hash'])
    .where('connection_id', '=', connectionId)
    .orderBy('key')
    .execute();
  const jobs = await store.db
    .selectFrom('jobs')
    .select(['key', 'run_key', 'content_hash'])
    .where('connection_id', '=', connectionId)
    .orderBy('key')
    .execute();
  return { runs, jobs };
}
