// Rate-limit windows kept in the database, so every process syncing through it draws from one budget per
// Buildkite organization, per token and per Bitrise token (the arithmetic is in connectors/rate-budget.ts).
// A request is taken under the rows' lock, so two processes cannot both take the last one of a window.
import type { Kysely } from 'kysely';
import {
  freshWindow,
  observed,
  type RateBudget,
  type RateWindow,
  taken,
  type WindowSpec,
  waitFor,
} from '../connectors/rate-budget.js';
import { inWriteTransaction } from './dialect.js';
import type { Schema } from './schema.js';
import type { Store } from './store.js';

type Row = Schema['rate_budgets'];

const toWindow = (row: Row): RateWindow => ({
  limit: row.limit_count,
  used: row.used,
  windowMs: row.window_ms,
  endsAtMs: Number(row.ends_at_ms),
  blockedUntilMs: Number(row.blocked_until_ms),
});

const toRow = (key: string, w: RateWindow): Row => ({
  key,
  limit_count: w.limit,
  used: w.used,
  window_ms: w.windowMs,
  ends_at_ms: w.endsAtMs,
  blocked_until_ms: w.blockedUntilMs,
});

/** The windows of `specs`, created as the specs assume when new, locked until the transaction ends. */
async function lockWindows(
  store: Store,
  db: Kysely<Schema>,
  specs: readonly WindowSpec[],
): Promise<Map<string, RateWindow>> {
  await db
    .insertInto('rate_budgets')
    .values(specs.map((spec) => toRow(spec.key, freshWindow(spec))))
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  let query = db
    .selectFrom('rate_budgets')
    .selectAll()
    .where(
      'key',
      'in',
      specs.map((s) => s.key),
    )
    // The same order in every process, so two takes of overlapping windows cannot deadlock.
    .orderBy('key');
  if (store.dialect === 'postgres') query = query.forUpdate();
  const rows = await query.execute();
  return new Map(rows.map((row) => [row.key, toWindow(row)]));
}

async function save(db: Kysely<Schema>, key: string, window: RateWindow): Promise<void> {
  const { key: _, ...values } = toRow(key, window);
  await db.updateTable('rate_budgets').set(values).where('key', '=', key).execute();
}

export function storeBudget(store: Store): RateBudget {
  return {
    take: (specs, nowMs) =>
      inWriteTransaction(store, async (db) => {
        const windows = await lockWindows(store, db, specs);
        const get = (spec: WindowSpec) => windows.get(spec.key) ?? freshWindow(spec);
        for (const spec of specs) {
          const waitMs = waitFor(get(spec), nowMs);
          if (waitMs > 0) return { waitMs, window: spec.name };
        }
        for (const spec of specs) await save(db, spec.key, taken(get(spec), nowMs));
        return { waitMs: 0, window: null };
      }),
    observe: (spec, report, nowMs) =>
      inWriteTransaction(store, async (db) => {
        const windows = await lockWindows(store, db, [spec]);
        await save(db, spec.key, observed(windows.get(spec.key) ?? freshWindow(spec), report, nowMs, spec));
      }),
  };
}

/** Every window as stored, for `buildlens worker` diagnostics and tests. */
export async function rateWindows(store: Store): Promise<Map<string, RateWindow>> {
  const rows = await store.db.selectFrom('rate_budgets').selectAll().orderBy('key').execute();
  return new Map(rows.map((row) => [row.key, toWindow(row)]));
}
