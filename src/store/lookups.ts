// Point reads by key of what syncs wrote: raw payloads (a webhook delivery is merged into the stored build)
// and run statuses (reconciliation asks which runs a sync is the first to see finished).
import type { RunStatus } from '../domain/model.js';
import { chunks } from './batch.js';
import type { Store } from './store.js';

/** Stored raw payloads of one kind, parsed, by key; keys not stored are absent. */
export async function storedPayloads(
  store: Store,
  connectionId: number,
  kind: string,
  keys: readonly string[],
): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>();
  for (const chunk of chunks([...new Set(keys)], 1)) {
    const rows = await store.db
      .selectFrom('raw_payloads')
      .select(['key', 'payload'])
      .where('connection_id', '=', connectionId)
      .where('kind', '=', kind)
      .where('key', 'in', chunk)
      .execute();
    for (const row of rows) found.set(row.key, JSON.parse(row.payload));
  }
  return found;
}

/** Stored statuses of runs by key; runs not stored are absent. */
export async function storedStatuses(
  store: Store,
  connectionId: number,
  keys: readonly string[],
): Promise<Map<string, RunStatus>> {
  const found = new Map<string, RunStatus>();
  for (const chunk of chunks([...new Set(keys)], 1)) {
    const rows = await store.db
      .selectFrom('runs')
      .select(['key', 'status'])
      .where('connection_id', '=', connectionId)
      .where('key', 'in', chunk)
      .execute();
    for (const row of rows) found.set(row.key, row.status as RunStatus);
  }
  return found;
}
