// Writing what a connector yields: one transaction per batch, skipping rows whose content is unchanged,
// and moving the checkpoint only together with the rows it covers.
import type { Insertable, Kysely } from 'kysely';
import type { ClassifiedJob, ClassifiedRun, Job, Project, RawPayload } from '../domain/model.js';
import { inWriteTransaction } from './dialect.js';
import { jobRow, projectRow, rawRow, runRow } from './rows.js';
import type { Schema } from './schema.js';
import type { Store } from './store.js';
import { updateSyncState } from './sync-state.js';

export interface Batch {
  projects?: Project[];
  runs: ClassifiedRun[];
  /** Classified by the sync; jobs without a classification are stored unclassified. */
  jobs: (Job & Partial<ClassifiedJob>)[];
  raw: RawPayload[];
}

export interface BatchResult {
  runsNew: number;
  runsUpdated: number;
  jobsNew: number;
  jobsUpdated: number;
}

// Bound parameters per statement: below SQLite's 32766 (and PostgreSQL's 65535).
const MAX_PARAMS = 30_000;

/**
 * Upserts a batch in one transaction and, when `checkpoint` is given, saves it as the connector's
 * state in the same transaction. Writing the same batch again changes nothing and counts nothing.
 */
export async function writeBatch(
  store: Store,
  connectionId: number,
  batch: Batch,
  checkpoint?: unknown,
): Promise<BatchResult> {
  const projects = (batch.projects ?? []).map((p) => projectRow(connectionId, p));
  const runs = batch.runs.map((r) => runRow(connectionId, r));
  const jobs = batch.jobs.map((j) => jobRow(connectionId, j));
  const raw = batch.raw.map((r) => rawRow(connectionId, r));
  return inWriteTransaction(store, async (db) => {
    await upsertProjects(db, projects);
    const runCounts = await upsertChanged(db, 'runs', ['key'], runs);
    const jobCounts = await upsertChanged(db, 'jobs', ['key'], jobs);
    await upsertChanged(db, 'raw_payloads', ['kind', 'key'], raw);
    if (checkpoint !== undefined) {
      await updateSyncState(db, connectionId, { state: JSON.stringify(checkpoint) });
    }
    return {
      runsNew: runCounts.inserted,
      runsUpdated: runCounts.updated,
      jobsNew: jobCounts.inserted,
      jobsUpdated: jobCounts.updated,
    };
  });
}

/** Projects are few and carry no hash: the update is skipped in SQL when nothing differs. */
async function upsertProjects(db: Kysely<Schema>, rows: Insertable<Schema['projects']>[]): Promise<void> {
  const unique = lastPerKey(rows, (r) => r.key);
  for (const chunk of chunks(unique, 6)) {
    await db
      .insertInto('projects')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'key'])
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            owner: eb.ref('excluded.owner'),
            repo_url: eb.ref('excluded.repo_url'),
            web_url: eb.ref('excluded.web_url'),
          }))
          .where((eb) =>
            eb.or(
              (['name', 'owner', 'repo_url', 'web_url'] as const).map((c) =>
                eb(`projects.${c}`, 'is distinct from', eb.ref(`excluded.${c}`)),
              ),
            ),
          ),
      )
      .execute();
  }
}

type HashedTable = 'runs' | 'jobs' | 'raw_payloads';
interface HashedRow {
  connection_id: number;
  key: string;
  content_hash: string;
  [column: string]: unknown;
}
// Kysely cannot type one query over "any of these tables"; this view knows only the shared columns.
type HashedTables = Record<HashedTable, HashedRow>;

/**
 * Inserts new rows and updates changed ones of one connection; rows whose hash is already stored are
 * not written. `identity` is the primary key without connection_id.
 */
async function upsertChanged(
  schemaDb: Kysely<Schema>,
  table: HashedTable,
  identity: readonly string[],
  rows: HashedRow[],
): Promise<{ inserted: number; updated: number }> {
  const first = rows[0];
  if (first === undefined) return { inserted: 0, updated: 0 };
  const db = schemaDb as unknown as Kysely<HashedTables>;
  const idOf = (row: Record<string, unknown>) => identity.map((c) => row[c]).join('\u0000');
  const unique = lastPerKey(rows, idOf);

  const stored = new Map<string, unknown>();
  const keys = [...new Set(unique.map((r) => r.key))];
  for (const chunk of chunks(keys, 1)) {
    const found = await db
      .selectFrom(table)
      .select([...identity, 'content_hash'] as ('key' | 'content_hash')[])
      .where('connection_id', '=', first.connection_id)
      .where('key', 'in', chunk)
      .execute();
    for (const row of found) stored.set(idOf(row), row.content_hash);
  }

  const changed = unique.filter((r) => stored.get(idOf(r)) !== r.content_hash);
  if (changed.length === 0) return { inserted: 0, updated: 0 };
  const columns = Object.keys(first);
  const updatable = columns.filter((c) => c !== 'connection_id' && !identity.includes(c));
  for (const chunk of chunks(changed, columns.length)) {
    await db
      .insertInto(table)
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(['connection_id', ...identity] as 'key'[])
          .doUpdateSet((eb) =>
            Object.fromEntries(updatable.map((c) => [c, eb.ref(`excluded.${c}` as 'excluded.key')])),
          ),
      )
      .execute();
  }
  const updated = changed.filter((r) => stored.has(idOf(r))).length;
  return { inserted: changed.length - updated, updated };
}

/** A batch may name the same object twice; the later one wins (one statement cannot touch a row twice). */
function lastPerKey<T>(rows: T[], keyOf: (row: T) => string): T[] {
  return [...new Map(rows.map((r) => [keyOf(r), r])).values()];
}

/** Splits rows so that each statement binds at most MAX_PARAMS values (`width` values per row). */
function chunks<T>(rows: T[], width: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / width));
  const result: T[][] = [];
  for (let i = 0; i < rows.length; i += size) result.push(rows.slice(i, i + size));
  return result;
}
