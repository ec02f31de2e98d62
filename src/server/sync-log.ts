// The server's line per background sync of one connection: what a person tailing the log needs to see
// that syncs happen and what they brought, or why one failed (one line, secrets removed).
import { redact } from '../domain/redaction.js';
import { lineText } from '../domain/text.js';
import type { SyncSummary } from '../sync/sync.js';

export function syncLogLine(
  at: Date,
  connection: string,
  trigger: 'api' | 'schedule',
  outcome: { summary: SyncSummary } | { error: string },
): string {
  const head = `${at.toISOString().slice(0, 19)}Z sync of "${connection}" (${trigger})`;
  if ('error' in outcome) return redact(`${head} failed: ${lineText(outcome.error).replace(/\s+/g, ' ')}`);
  const s = outcome.summary;
  return `${head}: runs ${s.runsNew} new / ${s.runsUpdated} updated, ${s.requests} requests, ${(s.durationMs / 1000).toFixed(1)} s`;
}
