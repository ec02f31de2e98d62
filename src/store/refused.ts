// Payloads refused as runs (DESIGN.md "Refused run"), as `buildlens refused` lists them: newest sighting
// first, without the payload (one can be large), which `payloadOf` reads on its own.
import type { Store } from './store.js';

// A type alias, not an interface: records are also plain rows for the table.
export type RefusedRecord = {
  id: number;
  connection: string;
  kind: string;
  key: string | null;
  reason: string;
  first_seen_at: string;
  last_seen_at: string;
  /** Length of the payload's JSON text, in characters. */
  size: number;
};

export async function listRefused(
  store: Store,
  connections: readonly string[] = [],
): Promise<RefusedRecord[]> {
  const rows = await store.db
    .selectFrom('refused_payloads as r')
    .innerJoin('connections as c', 'c.id', 'r.connection_id')
    .select((eb) => [
      'r.id',
      'c.name as connection',
      'r.kind',
      'r.key',
      'r.reason',
      'r.first_seen_at',
      'r.last_seen_at',
      eb.fn<number>('length', ['r.payload']).as('size'),
    ])
    .$if(connections.length > 0, (q) => q.where('c.name', 'in', [...connections]))
    .orderBy('r.last_seen_at', 'desc')
    .orderBy('r.id', 'desc')
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), size: Number(r.size) }));
}

/** The JSON text of one refused payload, exactly as stored; null when there is no such id. */
export async function payloadOf(store: Store, id: number): Promise<string | null> {
  const row = await store.db
    .selectFrom('refused_payloads')
    .select('payload')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.payload ?? null;
}
