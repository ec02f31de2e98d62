// Reading every stored run and job page by page, and writing back only their classification, so that
// `buildlens classify` can re-apply the rules from the store alone.
import { sql } from 'kysely';
import { z } from 'zod';
import type { ClassifiedJob, ClassifiedRun, Provider } from '../domain/model.js';
import { chunks } from './batch.js';
import { inWriteTransaction } from './dialect.js';
import { markGrains, refreshRollups } from './rollups.js';
import { jobFromRow, jobRow, runFromRow, runRow } from './rows.js';
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

/** Every run, in pages of `pageSize`, with what rules match on besides the run. Memory stays bounded. */
export async function* storedRuns(store: Store, pageSize: number): AsyncGenerator<StoredRun[]> {
  const page = (after: Position | null) =>
    store.db
      .selectFrom('runs as r')
      .innerJoin('connections as c', 'c.id', 'r.connection_id')
      .leftJoin('projects as p', (join) =>
        join.onRef('p.connection_id', '=', 'r.connection_id').onRef('p.key', '=', 'r.project_key'),
      )
      .selectAll('r')
      .select(['c.provider as connection_provider', 'p.name as project_name'])
      .$if(after !== null, (q) =>
        q.where(sql<boolean>`(r.connection_id, r.key) > (${after?.[0]}, ${after?.[1]})`),
      )
      .orderBy('r.connection_id')
      .orderBy('r.key')
      .limit(pageSize)
      .execute();
  for await (const rows of pages(page, pageSize)) {
    yield rows.map((row) => ({
      connectionId: row.connection_id,
      provider: row.connection_provider as Provider,
      projectName: row.project_name,
      run: runFromRow(row),
    }));
  }
}

/** Every job, in pages of `pageSize`. */
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
    yield rows.map((row) => ({ connectionId: row.connection_id, job: jobFromRow(row) }));
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
      const row = runRow(connectionId, run);
      await db
        .updateTable('runs')
        .set({
          classification: row.classification,
          classified_by: row.classified_by,
          content_hash: row.content_hash,
        })
        .where('connection_id', '=', connectionId)
        .where('key', '=', run.key)
        .execute();
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
      const row = jobRow(connectionId, job);
      await db
        .updateTable('jobs')
        .set({
          classification: row.classification,
          classified_by: row.classified_by,
          content_hash: row.content_hash,
        })
        .where('connection_id', '=', connectionId)
        .where('key', '=', job.key)
        .execute();
    }
  });
}
