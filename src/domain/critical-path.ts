// The critical path of a run (DESIGN.md "Critical path"): the chain of jobs that ends with the
// last-finishing job, each job's predecessor being the dependency that finished last (Bitrise DAG
// `depends_on`, stage order), or where the provider names no dependencies (Buildkite) the job that finished
// last before it started. Only final executions that ran count; waits for a person are not jobs, so they
// stay gaps. Pure: the store marks jobs with it, docs/metrics.md works an example through.

export interface PathJob {
  key: string;
  name: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** A newer execution replaced it: never on the path. */
  retried: boolean;
  /** Names of the jobs it waited for; null when the provider does not say. */
  dependsOn: readonly string[] | null;
}

interface Timed {
  job: PathJob;
  start: number;
  finish: number;
}

/** Keys of the run's critical path, first job first; empty when no final execution both started and finished. */
export function criticalPath(jobs: readonly PathJob[]): string[] {
  const timed: Timed[] = [];
  for (const job of jobs) {
    if (job.retried || job.startedAt === null || job.finishedAt === null) continue;
    const start = Date.parse(job.startedAt);
    const finish = Date.parse(job.finishedAt);
    if (Number.isFinite(start) && Number.isFinite(finish)) timed.push({ job, start, finish });
  }
  let current = lastFinished(timed);
  const path: Timed[] = [];
  const onPath = new Set<string>();
  while (current !== null) {
    path.push(current);
    onPath.add(current.job.key);
    const { job, start } = current;
    const candidates =
      job.dependsOn === null
        ? timed.filter((t) => t.finish <= start)
        : timed.filter((t) => job.dependsOn?.includes(t.job.name));
    current = lastFinished(candidates.filter((t) => !onPath.has(t.job.key)));
  }
  return path.reverse().map((t) => t.job.key);
}

/** The one that finished last; a tie goes to the one that started last (it did the work), then the key. */
function lastFinished(jobs: readonly Timed[]): Timed | null {
  let best: Timed | null = null;
  for (const t of jobs) {
    if (
      best === null ||
      t.finish > best.finish ||
      (t.finish === best.finish &&
        (t.start > best.start || (t.start === best.start && t.job.key > best.job.key)))
    )
      best = t;
  }
  return best;
}
