// The audit log: one line per admin action, whoever made it through the API or the CLI, kept in the
// store beside what it changed, so every replica and machine writes to the same log.
import { InvalidInputError } from './errors.js';
import type { Store } from './store.js';

export type AuditEntry = {
  /** Who: a token's name, `BUILDLENS_SERVER_TOKEN`, `local` (loopback without a token), `cli:<user>`. */
  actor: string;
  /** What, as `<thing>.<verb>`: `sync.start`, `token.create`, … */
  action: string;
  /** What it was done to (a connection, a token, a project), when it names one. */
  target: string | null;
  /** `ok`, or the HTTP status or error that ended it. */
  outcome: string;
};

export type AuditRecord = AuditEntry & { at: string };

/** Longest target kept: a request body is the caller's text and must not fill the log. */
const TARGET_MAX = 500;

export async function recordAudit(store: Store, entry: AuditEntry, now: Date = new Date()): Promise<void> {
  const target = entry.target === null ? null : entry.target.slice(0, TARGET_MAX);
  await store.db
    .insertInto('audit_log')
    .values({
      at: now.toISOString(),
      actor: entry.actor,
      action: entry.action,
      target,
      outcome: entry.outcome,
    })
    .execute();
}

/** The latest `limit` lines (since `since` when given), oldest first. */
export async function listAudit(
  store: Store,
  options: { limit: number; since?: Date | null },
): Promise<AuditRecord[]> {
  if (!Number.isInteger(options.limit) || options.limit < 1)
    throw new InvalidInputError(`the limit must be a positive whole number, got ${options.limit}`);
  let query = store.db
    .selectFrom('audit_log')
    .select(['id', 'at', 'actor', 'action', 'target', 'outcome'])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.since) query = query.where('at', '>=', options.since.toISOString());
  const rows = await query.execute();
  return rows.reverse().map(({ id: _id, ...row }) => row);
}
