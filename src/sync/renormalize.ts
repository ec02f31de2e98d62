// `buildlens renormalize`: every stored raw payload read again through today's normalizer and classifier,
// with no API call, so an upgrade repairs history (a status now known, a field now read, the agent queue
// of builds imported before it existed, the steps of runs stored before steps were). Table-driven by raw payload kind (RAW_RUN_READERS); idempotent:
// only rows whose content differs are written, and the rollups of the grains they touch are rebuilt.
import { classifyJob, classifyRun, needsLog } from '../classify/classify.js';
import type { RuleSet } from '../classify/rules.js';
import { RAW_RUN_READERS, STEP_LIST_READERS } from '../connectors/registry.js';
import type { ClassifiedJob, ClassifiedRun, Connection, Job, Step } from '../domain/model.js';
import { writeBatch } from '../store/batch.js';
import { storedLogs } from '../store/classifications.js';
import { listConnections } from '../store/connections.js';
import { withSyncLock } from '../store/lock.js';
import { rebuildRollups } from '../store/rollups.js';
import { runRow } from '../store/rows.js';
import { jobPayloads, type RunPayload, runPayloads, stepListPayloads } from '../store/run-payloads.js';
import type { Store } from '../store/store.js';

const PAGE_SIZE = 500;

export interface RenormalizeSummary {
  dry_run: boolean;
  /** Stored run payloads read again. */
  checked: number;
  runs_changed: number;
  jobs_new_or_changed: number;
  /** Steps written: read again from their run's payload (Buildkite) or their kept step list (Bitrise). */
  steps_new_or_changed: number;
  /** Status changes of runs (`unknown → succeeded` after an upgrade), most frequent first. */
  status_changes: { from: string; to: string; count: number }[];
  /** Payloads today's reader would refuse: their runs are left as they are, counted here. */
  now_refused: number;
}

export async function renormalize(
  store: Store,
  rules: RuleSet,
  options: { dryRun: boolean },
): Promise<RenormalizeSummary> {
  const summary: RenormalizeSummary = {
    dry_run: options.dryRun,
    checked: 0,
    runs_changed: 0,
    jobs_new_or_changed: 0,
    steps_new_or_changed: 0,
    status_changes: [],
    now_refused: 0,
  };
  const transitions = new Map<string, number>();
  for (const connection of await listConnections(store)) {
    const pass = () => renormalizeConnection(store, connection, rules, options, summary, transitions);
    // Writing, it holds the connection's sync lock: a sync writing the same runs meanwhile would be
    // written over with what was read before it, and the rollups' rebuild expects no other writer.
    if (options.dryRun) await pass();
    else await withSyncLock(store, { connectionId: connection.id, name: connection.name }, pass);
  }
  summary.status_changes = [...transitions]
    .map(([key, count]) => {
      const [from, to] = JSON.parse(key) as [string, string];
      return { from, to, count };
    })
    .sort((a, b) => b.count - a.count || a.from.localeCompare(b.from));
  return summary;
}

async function renormalizeConnection(
  store: Store,
  connection: Connection,
  rules: RuleSet,
  options: { dryRun: boolean },
  summary: RenormalizeSummary,
  transitions: Map<string, number>,
): Promise<void> {
  const kinds = Object.entries(RAW_RUN_READERS)
    .filter(([, reader]) => reader.provider === connection.provider)
    .map(([kind]) => kind);
  for await (const page of runPayloads(store, connection.id, kinds, PAGE_SIZE)) {
    const runs: ClassifiedRun[] = [];
    const jobs: Job[] = [];
    const steps: Step[] = [];
    const wholeJobs: string[] = [];
    const parts = await partsOf(store, connection.id, page);
    for (const item of page) {
      summary.checked += 1;
      const read = RAW_RUN_READERS[item.kind]?.read(item.payload, item.project, parts.get(item.key) ?? []);
      if (!read || 'refused' in read) {
        summary.now_refused += 1;
        continue;
      }
      runs.push({ ...read.run, classification: null, classifiedBy: null });
      jobs.push(...read.jobs);
      steps.push(...(read.steps ?? []));
      if (read.wholeJobs) wholeJobs.push(read.run.key);
    }
    const stored = new Map(page.map((item) => [item.key, item]));
    const contextOf = (runKey: string) => ({
      provider: connection.provider,
      projectName: stored.get(runKey)?.project.name ?? null,
    });
    const wanted = runs.filter((run) => needsLog(run, rules.rules, contextOf(run.key))).map((run) => run.key);
    const logs = await storedLogs(store, connection.id, wanted);
    const changed: ClassifiedRun[] = [];
    for (const run of runs) {
      const log = logs.get(run.key);
      const classified = {
        ...run,
        ...classifyRun(run, rules.rules, { ...contextOf(run.key), ...(log === undefined ? {} : { log }) }),
      };
      const before = stored.get(run.key);
      if (before && runRow(connection.id, classified).content_hash === before.storedHash) continue;
      changed.push(classified);
      if (before && before.stored.status !== classified.status) {
        const key = JSON.stringify([before.stored.status, classified.status]);
        transitions.set(key, (transitions.get(key) ?? 0) + 1);
      }
    }
    const runsByKey = new Map(runs.map((run) => [run.key, run]));
    const classifiedJobs: ClassifiedJob[] = jobs.map((job) => ({
      ...job,
      ...classifyJob(job, rules.rules, {
        ...contextOf(job.runKey),
        run: runsByKey.get(job.runKey) ?? null,
      }),
    }));
    summary.runs_changed += changed.length;
    if (options.dryRun) continue;
    // Unchanged rows are skipped by their content hash: running it twice writes nothing the second time.
    const written = await writeBatch(store, connection.id, {
      runs: changed,
      jobs: classifiedJobs,
      steps,
      raw: [],
      wholeJobs,
    });
    summary.jobs_new_or_changed += written.jobsNew + written.jobsUpdated + written.jobsRemoved;
    summary.steps_new_or_changed += written.stepsNew + written.stepsUpdated;
  }
  if (!options.dryRun) summary.steps_new_or_changed += await rereadStepLists(store, connection);
  // The grains the changed runs left and entered, and those of changed jobs and steps, were listed by
  // the writes; rebuild them now (none listed: nothing to do).
  if (!options.dryRun) await rebuildRollups(store, connection.id);
}

/** The stored payloads of each run's other parts its reader asks for (RawRunReader.partsKind), by run key. */
async function partsOf(
  store: Store,
  connectionId: number,
  page: readonly RunPayload[],
): Promise<Map<string, unknown[]>> {
  const parts = new Map<string, unknown[]>();
  const byKind = new Map<string, string[]>();
  for (const item of page) {
    const kind = RAW_RUN_READERS[item.kind]?.partsKind;
    if (kind) byKind.set(kind, [...(byKind.get(kind) ?? []), item.key]);
  }
  for (const [kind, runKeys] of byKind) {
    for (const { runKey, payload } of await jobPayloads(store, connectionId, kind, runKeys)) {
      parts.set(runKey, [...(parts.get(runKey) ?? []), payload]);
    }
  }
  return parts;
}

/** Steps read again from the step lists a sync kept (Bitrise log summaries); how many were written. */
async function rereadStepLists(store: Store, connection: Connection): Promise<number> {
  const read = STEP_LIST_READERS[connection.provider];
  if (!read) return 0;
  let written = 0;
  for await (const page of stepListPayloads(store, connection.id, PAGE_SIZE)) {
    const steps = page.flatMap(({ source, payload }) => read(source, payload));
    const result = await writeBatch(store, connection.id, { runs: [], jobs: [], steps, raw: [] });
    written += result.stepsNew + result.stepsUpdated;
  }
  return written;
}
