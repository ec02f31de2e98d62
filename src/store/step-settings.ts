// Whether a connection's syncs read step lists the provider serves apart from runs (Bitrise log
// summaries: one request per finished build). On by default; `connect steps NAME --off` turns it off.
import { NotFoundError } from './errors.js';
import type { Store } from './store.js';

export async function fetchesSteps(store: Store, connectionId: number): Promise<boolean> {
  const row = await store.db
    .selectFrom('connections')
    .select('fetch_steps')
    .where('id', '=', connectionId)
    .executeTakeFirst();
  return Number(row?.fetch_steps ?? 1) === 1;
}

export async function setFetchSteps(store: Store, name: string, on: boolean): Promise<void> {
  const result = await store.db
    .updateTable('connections')
    .set({ fetch_steps: on ? 1 : 0 })
    .where('name', '=', name)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new NotFoundError(`unknown connection "${name}"`);
}
