// Writing what a connector yields: one transaction per batch, skipping rows whose content is unchanged,
// and moving the checkpoint only together with the rows it covers.
import type { Insertable, Kysely } from 'kysely';
import type {
  ClassifiedJob,
  ClassifiedRun,
  Job,
  Project,
  RawPayload,
  RefusedPayload,
  Step,
} from '../domain/model.js';
import { refreshCriticalPaths } from './critical-paths.js';
import { bumpDataVersion } from './data-version.js';
import { inWriteTransaction } from './dialect.js';
import { markGrains, refreshRollups } from './rollups.js';
import { jobRow, projectRow, rawRow, refusedRow, runRow, stepRow } from './rows.js';
import type { Schema } from './schema.js';
import type { Store } from './store.js';
import { updateSyncState } from './sync-state.js';

export interface Batch {
  projects?: Project[];
  runs: ClassifiedRun[];
  /** Classified by the sync; jobs without a classification are stored unclassified. */
  jobs: (Job & Partial<ClassifiedJob>)[];
  steps?: Step[];
  raw: RawPayload[];
  /** Payloads that cannot be runs, kept apart (DESIGN.md "Refused run"). */
  refused?: RefusedPayload[];
  /** Runs whose every job `jobs` lists: their stored jobs not listed are removed, with their steps. */
  wholeJobs?: string[];
}

export interface BatchResult {
  runsNew: number;
  runsUpdated: number;
  jobsNew: number;
  jobsUpdated: number;
  /** Jobs of `wholeJobs` runs that the batch no longer lists. */
  jobsRemoved: number;
  stepsNew: number;
  stepsUpdated: number;
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
  now: () => number = Date.now,
): Promise<BatchResult> {
  const projects = (batch.projects ?? []).map((p) => projectRow(connectionId, p));
  const runs = batch.runs.map((r) => runRow(connectionId, r));
  const jobs = batch.jobs.map((j) => jobRow(connectionId, j));
  const steps = (batch.steps ?? []).map((s) => stepRow(connectionId, s));
  const raw = batch.raw.map((r) => rawRow(connectionId, r));
  const seenAt = new Date(now()).toISOString();
  const refused = (batch.refused ?? []).map((r) => refusedRow(connectionId, r, seenAt));
  return inWriteTransaction(store, async (db) => {
    const projectsChanged = await upsertProjects(db, projects);
    await upsertRefused(db, refused);
    const changedRuns = await changedRows(db, 'runs', ['key'], runs);
    // The grains an updated run leaves and the ones every changed run enters need rebuilding (a new run
    // leaves none: it is not stored yet).
    for (const chunk of chunks([...changedRuns.stored], 1)) await markGrains(db, connectionId, chunk);
    await writeRows(db, 'runs', ['key'], changedRuns.rows);
    const runKeys = changedRuns.rows.map((r) => r.key);
    for (const chunk of chunks(runKeys, 1)) await markGrains(db, connectionId, chunk);
    // A payload refused before and read as a run now (the fault is gone) is refused no more.
    await deleteWhereIn(
      db,
      'refused_payloads',
      'key',
      connectionId,
      runs.map((r) => r.key),
    );
    const runCounts = countOf(changedRuns);
    const changedJobs = await upsertChanged(db, 'jobs', ['key'], jobs);
    const jobCounts = countOf(changedJobs);
    const removed = await removeUnlistedJobs(db, connectionId, batch.wholeJobs ?? [], jobs);
    await refreshCriticalPaths(db, connectionId, [
      ...changedJobs.rows.map((j) => j.run_key as string),
      ...removed.runKeys,
    ]);
    const changedSteps = await upsertChanged(db, 'steps', ['key'], steps);
    const stepCounts = countOf(changedSteps);
    // Level rollups sum a grain's jobs and steps, which a later log summary or a retry changes alone.
    const levelRuns = [...changedJobs.rows, ...changedSteps.rows].map((r) => r.run_key as string);
    for (const chunk of chunks([...new Set([...levelRuns, ...removed.runKeys])], 1))
      await markGrains(db, connectionId, chunk);
    await upsertChanged(db, 'raw_payloads', ['kind', 'key'], raw);
    let rollupsRebuilt = false;
    if (checkpoint !== undefined) {
      await updateSyncState(db, connectionId, { state: JSON.stringify(checkpoint) });
      rollupsRebuilt = await refreshRollups(db, connectionId);
    }
    // A batch that changed nothing reports read (a sync that found nothing new) keeps the version.
    if (
      projectsChanged ||
      rollupsRebuilt ||
      changedRuns.rows.length +
        changedJobs.rows.length +
        removed.jobs +
        stepCounts.inserted +
        stepCounts.updated >
        0
    ) {
      await bumpDataVersion(db);
    }
    return {
      runsNew: runCounts.inserted,
      runsUpdated: runCounts.updated,
      jobsNew: jobCounts.inserted,
      jobsUpdated: jobCounts.updated,
      jobsRemoved: removed.jobs,
      stepsNew: stepCounts.inserted,
      stepsUpdated: stepCounts.updated,
    };
  });
}

/**
 * Removes the stored jobs of the given runs that the listed jobs do not name, and those jobs' steps; how
 * many, and of which runs.
 */
async function removeUnlistedJobs(
  db: Kysely<Schema>,
  connectionId: number,
  runKeys: readonly string[],
  listed: readonly Insertable<Schema['jobs']>[],
): Promise<{ jobs: number; runKeys: string[] }> {
  const keep = new Set(listed.map((j) => j.key));
  const gone: { key: string; run_key: string }[] = [];
  for (const chunk of chunks([...new Set(runKeys)], 1)) {
    const stored = await db
      .selectFrom('jobs')
      .select(['key', 'run_key'])
      .where('connection_id', '=', connectionId)
      .where('run_key', 'in', chunk)
      .execute();
    gone.push(...stored.filter((j) => !keep.has(j.key)));
  }
  const goneKeys = gone.map((j) => j.key);
  await deleteWhereIn(db, 'steps', 'job_key', connectionId, goneKeys);
  await deleteWhereIn(db, 'jobs', 'key', connectionId, goneKeys);
  return { jobs: gone.length, runKeys: [...new Set(gone.map((j) => j.run_key))] };
}

/** Deletes the connection's rows of `table` whose `column` is one of `values`, a bounded chunk at a time. */
async function deleteWhereIn(
  schemaDb: Kysely<Schema>,
  table: 'refused_payloads' | 'steps' | 'jobs',
  column: 'key' | 'job_key',
  connectionId: number,
  values: readonly string[],
): Promise<void> {
  // Kysely cannot type one query over "any of these tables"; this view knows only the columns used.
  const db = schemaDb as unknown as Kysely<
    Record<typeof table, { connection_id: number; key: string; job_key: string }>
  >;
  for (const chunk of chunks([...values], 1)) {
    await db.deleteFrom(table).where('connection_id', '=', connectionId).where(column, 'in', chunk).execute();
  }
}

/**
 * Projects are few and carry no hash: the update is skipped in SQL when nothing differs. Whether any
 * project was inserted or changed.
 */
async function upsertProjects(db: Kysely<Schema>, rows: Insertable<Schema['projects']>[]): Promise<boolean> {
  const unique = lastPerKey(rows, (r) => r.key);
  let written = 0n;
  for (const chunk of chunks(unique, 7)) {
    const [result] = await db
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
            default_branch: eb.ref('excluded.default_branch'),
          }))
          .where((eb) =>
            eb.or(
              (['name', 'owner', 'repo_url', 'web_url', 'default_branch'] as const).map((c) =>
                eb(`projects.${c}`, 'is distinct from', eb.ref(`excluded.${c}`)),
              ),
            ),
          ),
      )
      .execute();
    written += result?.numInsertedOrUpdatedRows ?? 0n;
  }
  return written > 0n;
}

/** A payload refused again keeps its first sighting and its row; only when it was last seen moves. */
async function upsertRefused(
  db: Kysely<Schema>,
  rows: Insertable<Schema['refused_payloads']>[],
): Promise<void> {
  const unique = lastPerKey(rows, (r) => r.content_hash);
  for (const chunk of chunks(unique, 8)) {
    await db
      .insertInto('refused_payloads')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['connection_id', 'content_hash']).doUpdateSet((eb) => ({
          last_seen_at: eb.ref('excluded.last_seen_at'),
          reason: eb.ref('excluded.reason'),
        })),
      )
      .execute();
  }
}

type HashedTable = 'runs' | 'jobs' | 'steps' | 'raw_payloads';
interface HashedRow {
  connection_id: number;
  key: string;
  content_hash: string;
  [column: string]: unknown;
}
// Kysely cannot type one query over "any of these tables"; this view knows only the shared columns.
type HashedTables = Record<HashedTable, HashedRow>;

/** Rows of one connection whose content differs from what is stored, and which of them are stored. */
interface Changed {
  rows: HashedRow[];
  stored: Set<string>;
}

const countOf = ({ rows, stored }: Changed) => ({
  inserted: rows.length - stored.size,
  updated: stored.size,
});

/**
 * Inserts new rows and updates changed ones of one connection; rows whose hash is already stored are
 * not written. `identity` is the primary key without connection_id.
 */
async function upsertChanged(
  db: Kysely<Schema>,
  table: HashedTable,
  identity: readonly string[],
  rows: HashedRow[],
): Promise<Changed> {
  const changed = await changedRows(db, table, identity, rows);
  await writeRows(db, table, identity, changed.rows);
  return changed;
}

const identityOf = (identity: readonly string[]) => (row: Record<string, unknown>) =>
  identity.map((c) => row[c]).join('\u0000');

async function changedRows(
  schemaDb: Kysely<Schema>,
  table: HashedTable,
  identity: readonly string[],
  rows: HashedRow[],
): Promise<Changed> {
  const first = rows[0];
  if (first === undefined) return { rows: [], stored: new Set() };
  const db = schemaDb as unknown as Kysely<HashedTables>;
  const idOf = identityOf(identity);
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
  return { rows: changed, stored: new Set(changed.map(idOf).filter((id) => stored.has(id))) };
}

async function writeRows(
  schemaDb: Kysely<Schema>,
  table: HashedTable,
  identity: readonly string[],
  changed: HashedRow[],
): Promise<void> {
  const first = changed[0];
  if (first === undefined) return;
  const db = schemaDb as unknown as Kysely<HashedTables>;
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
}

/** A batch may name the same object twice; the later one wins (one statement cannot touch a row twice). */
function lastPerKey<T>(rows: T[], keyOf: (row: T) => string): T[] {
  return [...new Map(rows.map((r) => [keyOf(r), r])).values()];
}

/** Splits rows so that each statement binds at most MAX_PARAMS values (`width` values per row). */
export function chunks<T>(rows: T[], width: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / width));
  const result: T[][] = [];
  for (let i = 0; i < rows.length; i += size) result.push(rows.slice(i, i + size));
  return result;
}
