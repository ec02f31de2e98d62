// Keeps jobs.on_critical_path true to the jobs stored: whenever a batch changes some of a run's jobs, the
// run's critical path (src/domain/critical-path.ts) is worked out again from all of its stored jobs and
// only the jobs whose mark differs are written.
import type { Kysely } from 'kysely';
import { criticalPath } from '../domain/critical-path.js';
import type { Schema } from './schema.js';

/** Run keys per statement: few enough for any engine's parameter limit. */
const RUNS_PER_QUERY = 500;

export async function refreshCriticalPaths(
  db: Kysely<Schema>,
  connectionId: number,
  runKeys: Iterable<string>,
): Promise<void> {
  const keys = [...new Set(runKeys)];
  for (let i = 0; i < keys.length; i += RUNS_PER_QUERY) {
    const rows = await db
      .selectFrom('jobs')
      .select([
        'key',
        'run_key',
        'name',
        'started_at',
        'finished_at',
        'retried',
        'depends_on',
        'on_critical_path',
      ])
      .where('connection_id', '=', connectionId)
      .where('run_key', 'in', keys.slice(i, i + RUNS_PER_QUERY))
      .execute();
    const byRun = new Map<string, typeof rows>();
    for (const row of rows) {
      const jobs = byRun.get(row.run_key) ?? [];
      jobs.push(row);
      byRun.set(row.run_key, jobs);
    }
    const flips: { key: string; mark: number }[] = [];
    for (const jobs of byRun.values()) {
      const path = new Set(
        criticalPath(
          jobs.map((j) => ({
            key: j.key,
            name: j.name,
            startedAt: j.started_at,
            finishedAt: j.finished_at,
            retried: j.retried === 1,
            dependsOn: j.depends_on === null ? null : (JSON.parse(j.depends_on) as string[]),
          })),
        ),
      );
      for (const j of jobs) {
        const mark = path.has(j.key) ? 1 : 0;
        if (Number(j.on_critical_path) !== mark) flips.push({ key: j.key, mark });
      }
    }
    for (const mark of [0, 1]) {
      const flipped = flips.filter((f) => f.mark === mark).map((f) => f.key);
      for (let k = 0; k < flipped.length; k += RUNS_PER_QUERY) {
        await db
          .updateTable('jobs')
          .set({ on_critical_path: mark })
          .where('connection_id', '=', connectionId)
          .where('key', 'in', flipped.slice(k, k + RUNS_PER_QUERY))
          .execute();
      }
    }
  }
}
