// The raw payloads stored runs came from, and the step lists fetched for them, page by page with their run
// as stored, so `buildlens renormalize` can read them again offline. Memory stays bounded whatever the
// store holds.
import { sql } from 'kysely';
import { STEP_LIST_KIND, type StepSource } from '../connectors/contract.js';
import type { ClassifiedRun } from '../domain/model.js';
import { runFromRow } from './rows.js';
import type { Store } from './store.js';

export interface RunPayload {
  kind: string;
  key: string;
  /** The payload, parsed from its JSON text. */
  payload: unknown;
  project: { key: string; name: string };
  /** The run as stored now. */
  stored: ClassifiedRun;
  storedHash: string;
}

/** Payloads of these kinds of one connection that have a stored run of the same key. */
export async function* runPayloads(
  store: Store,
  connectionId: number,
  kinds: readonly string[],
  pageSize: number,
): AsyncGenerator<RunPayload[]> {
  if (kinds.length === 0) return;
  let after: [string, string] | null = null;
  for (;;) {
    const position: [string, string] | null = after;
    const rows = await store.db
      .selectFrom('raw_payloads as w')
      .innerJoin('runs as r', (join) =>
        join.onRef('r.connection_id', '=', 'w.connection_id').onRef('r.key', '=', 'w.key'),
      )
      .leftJoin('projects as p', (join) =>
        join.onRef('p.connection_id', '=', 'r.connection_id').onRef('p.key', '=', 'r.project_key'),
      )
      .selectAll('r')
      .select(['w.kind as raw_kind', 'w.payload as raw_payload', 'p.name as project_name'])
      .where('w.connection_id', '=', connectionId)
      .where('w.kind', 'in', [...kinds])
      .$if(position !== null, (q) =>
        q.where(sql<boolean>`(w.kind, w.key) > (${position?.[0]}, ${position?.[1]})`),
      )
      .orderBy('w.kind')
      .orderBy('w.key')
      .limit(pageSize)
      .execute();
    if (rows.length > 0) {
      yield rows.map((row) => ({
        kind: row.raw_kind,
        key: row.key,
        payload: JSON.parse(row.raw_payload),
        project: { key: row.project_key, name: row.project_name ?? row.project_key },
        stored: runFromRow(row),
        storedHash: row.content_hash,
      }));
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = [String(last.raw_kind), String(last.key)];
  }
}

/** Stored payloads of one kind whose keys are jobs of the given runs, with their run's key. */
export async function jobPayloads(
  store: Store,
  connectionId: number,
  kind: string,
  runKeys: readonly string[],
): Promise<{ runKey: string; payload: unknown }[]> {
  if (runKeys.length === 0) return [];
  const rows = await store.db
    .selectFrom('jobs as j')
    .innerJoin('raw_payloads as w', (join) =>
      join.onRef('w.connection_id', '=', 'j.connection_id').onRef('w.key', '=', 'j.key'),
    )
    .select(['j.run_key', 'w.payload'])
    .where('j.connection_id', '=', connectionId)
    .where('j.run_key', 'in', [...runKeys])
    .where('w.kind', '=', kind)
    .orderBy('j.run_key')
    .orderBy('j.key')
    .execute();
  return rows.map((row) => ({ runKey: row.run_key, payload: JSON.parse(row.payload) }));
}

export interface StepListPayload {
  /** Whose steps the list holds: the run whose job has the list's key, else the run of that key. */
  source: StepSource;
  payload: unknown;
}

/** Stored step lists (kind `STEP_LIST_KIND`) of one connection whose run is stored, page by page. */
export async function* stepListPayloads(
  store: Store,
  connectionId: number,
  pageSize: number,
): AsyncGenerator<StepListPayload[]> {
  let after: string | null = null;
  for (;;) {
    const position: string | null = after;
    const rows = await store.db
      .selectFrom('raw_payloads as w')
      .leftJoin('jobs as j', (join) =>
        join.onRef('j.connection_id', '=', 'w.connection_id').onRef('j.key', '=', 'w.key'),
      )
      .innerJoin('runs as r', (join) =>
        join
          .onRef('r.connection_id', '=', 'w.connection_id')
          .on(sql<boolean>`r.key = coalesce(j.run_key, w.key)`),
      )
      .select(['w.key', 'w.payload', 'j.key as job_key', 'r.key as run_key', 'r.project_key'])
      .where('w.connection_id', '=', connectionId)
      .where('w.kind', '=', STEP_LIST_KIND)
      .$if(position !== null, (q) => q.where('w.key', '>', position as string))
      .orderBy('w.key')
      .limit(pageSize)
      .execute();
    if (rows.length > 0) {
      yield rows.map((row) => ({
        source: { key: row.key, projectKey: row.project_key, runKey: row.run_key, jobKey: row.job_key },
        payload: JSON.parse(row.payload),
      }));
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = last.key;
  }
}
