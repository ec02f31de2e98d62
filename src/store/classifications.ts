// Reading every stored run and job page by page, and writing back only their classification, so that
// `buildlens classify` can re-apply the rules from the store alone.
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { ClassifiedJob, ClassifiedRun, Provider } from '../domain/model.js';
import { chunks } from './batch.js';
import { bumpDataVersion } from './data-version.js';
import { inWriteTransaction } from './dialect.js';
import { markGrains, refreshRollups } from './rollups.js';
import { jobFromRow, jobRow, runFromRow, runRow } from './rows.js';
import type { Schema } from './schema.js';
import type { Store } from './store.js';

export interface StoredRun {
  connectionId: number;
  provider: Provider;
  projectName: string | null;
  run: ClassifiedRun;
}

export interface StoredJob {
  connectionId: number;
  job: ClassifiedJob;
  /** The job's run, with what rules match on besides it; null when the run is not stored. */
  run: StoredRun | null;
}

type Position = [connectionId: number, key: string];

/** Pages of a keyset walk over (connection_id, key); `page` reads the rows after a position. */
async function* pages<T extends { connection_id: number; key: string }>(
  page: (after: Position | null) => Promise<T[]>,
  pageSize: number,
): AsyncGenerator<T[]> {
  let after: Position | null = null;
  for (;;) {
    const rows = await page(after);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = [last.connection_id, last.key];
  }
}

/** Runs with their connection's provider and their project's name. */
const runsWithContext = (store: Store) =>
  store.db
    .selectFrom('runs as r')
    .innerJoin('connections as c', 'c.id', 'r.connection_id')
    .leftJoin('projects as p', (join) =>
      join.onRef('p.connection_id', '=', 'r.connection_id').onRef('p.key', '=', 'r.project_key'),
    )
    .selectAll('r')
    .select(['c.provider as connection_provider', 'p.name as project_name']);

type RunWithContext = Awaited<ReturnType<ReturnType<typeof runsWithContext>['execute']>>[number];

const storedRun = (row: RunWithContext): StoredRun => ({
  connectionId: row.connection_id,
  provider: row.connection_provider as Provider,
  projectName: row.project_name,
  run: runFromRow(row),
});

/** Every run, in pages of `pageSize`, with what rules match on besides the run. Memory stays bounded. */
export async function* storedRuns(store: Store, pageSize: number): AsyncGenerator<StoredRun[]> {
  const page = (after: Position | null) =>
    runsWithContext(store)
      .$if(after !== null, (q) =>
        q.where(sql<boolean>`(r.connection_id, r.key) > (${after?.[0]}, ${after?.[1]})`),
      )
      .orderBy('r.connection_id')
      .orderBy('r.key')
      .limit(pageSize)
      .execute();
  for await (const rows of pages(page, pageSize)) yield rows.map(storedRun);
}

/** The runs of a page of jobs, by connection and run key (one query per connection on the page). */
async function runsOfJobs(
  store: Store,
  jobs: { connection_id: number; run_key: string }[],
): Promise<Map<string, StoredRun>> {
  const keys = new Map<number, Set<string>>();
  for (const j of jobs) keys.set(j.connection_id, (keys.get(j.connection_id) ?? new Set()).add(j.run_key));
  const runs = new Map<string, StoredRun>();
  for (const [connectionId, runKeys] of keys) {
    const rows = await runsWithContext(store)
      .where('r.connection_id', '=', connectionId)
      .where('r.key', 'in', [...runKeys])
      .execute();
    for (const row of rows) runs.set(JSON.stringify([connectionId, row.key]), storedRun(row));
  }
  return runs;
}

/** Every job with its run, in pages of `pageSize` (a page's run keys are bound in one statement). */
export async function* storedJobs(store: Store, pageSize: number): AsyncGenerator<StoredJob[]> {
  const page = (after: Position | null) =>
    store.db
      .selectFrom('jobs as j')
      .selectAll('j')
      .$if(after !== null, (q) =>
        q.where(sql<boolean>`(j.connection_id, j.key) > (${after?.[0]}, ${after?.[1]})`),
      )
      .orderBy('j.connection_id')
      .orderBy('j.key')
      .limit(pageSize)
      .execute();
  for await (const rows of pages(page, pageSize)) {
    const runs = await runsOfJobs(store, rows);
    yield rows.map((row) => ({
      connectionId: row.connection_id,
      job: jobFromRow(row),
      run: runs.get(JSON.stringify([row.connection_id, row.run_key])) ?? null,
    }));
  }
}

const storedLog = z.object({ text: z.string() });

/** Logs the sync kept (raw payloads of kind `log`) for these runs of one connection, by run key. */
export async function storedLogs(
  store: Store,
  connectionId: number,
  runKeys: string[],
): Promise<Map<string, string>> {
  const logs = new Map<string, string>();
  if (runKeys.length === 0) return logs;
  const rows = await store.db
    .selectFrom('raw_payloads')
    .select(['key', 'payload'])
    .where('connection_id', '=', connectionId)
    .where('kind', '=', 'log')
    .where('key', 'in', runKeys)
    .execute();
  for (const row of rows) {
    const parsed = storedLog.safeParse(JSON.parse(row.payload));
    if (parsed.success) logs.set(row.key, parsed.data.text);
  }
  return logs;
}

/** Writes new classifications (and the content hash that covers them) in one transaction. */
export async function saveClassifications(
  store: Store,
  runs: { connectionId: number; run: ClassifiedRun }[],
  jobs: { connectionId: number; job: ClassifiedJob }[],
): Promise<void> {
  if (runs.length === 0 && jobs.length === 0) return;
  await inWriteTransaction(store, async (db) => {
    for (const { connectionId, run } of runs) {
      await setClassification(db, 'runs', connectionId, runRow(connectionId, run));
    }
    // Rollups count runs by class: rebuild the grains of the runs that changed.
    const keysByConnection = new Map<number, string[]>();
    for (const { connectionId, run } of runs) {
      const keys = keysByConnection.get(connectionId) ?? [];
      keys.push(run.key);
      keysByConnection.set(connectionId, keys);
    }
    for (const [connectionId, keys] of keysByConnection) {
      for (const chunk of chunks(keys, 1)) await markGrains(db, connectionId, chunk);
      await refreshRollups(db, connectionId);
    }
    for (const { connectionId, job } of jobs) {
      await setClassification(db, 'jobs', connectionId, jobRow(connectionId, job));
    }
    await bumpDataVersion(db);
  });
}

type Classified = Pick<Schema['runs'], 'key' | 'content_hash'> &
  Partial<Pick<Schema['runs'], 'classification' | 'classified_by'>>;

async function setClassification(
  db: Kysely<Schema>,
  table: 'runs' | 'jobs',
  connectionId: number,
  row: Classified,
): Promise<void> {
  // One query over either table: Kysely types it through the columns both have.
  await (db as unknown as Kysely<Record<'runs' | 'jobs', Classified & { connection_id: number }>>)
    .updateTable(table)
    .set({
      classification: row.classification ?? null,
      classified_by: row.classified_by ?? null,
      content_hash: row.content_hash,
    })
    .where('connection_id', '=', connectionId)
    .where('key', '=', row.key)
    .execute();
}
