// What the queue tests compare a connection by: its runs and jobs as stored, against a fresh sync's.
import type { Store } from '../../src/store/store.js';

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
