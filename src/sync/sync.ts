// The sync engine: drives a connector and commits what it yields. Rows are committed batch by batch;
// a checkpoint is committed only after the rows it covers, so a failed sync resumes where it stopped.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { classifyJob, classifyRun, needsLog, type RunContext } from '../classify/classify.js';
import { type RuleSet, rulesForStore } from '../classify/rules.js';
import type { Connector, ConnectorOptions, SyncEvent } from '../connectors/contract.js';
import { createConnector } from '../connectors/registry.js';
import type {
  ClassifiedJob,
  ClassifiedRun,
  Connection,
  Job,
  Project,
  Provider,
  RawPayload,
  Run,
  Step,
} from '../domain/model.js';
import { type BatchResult, writeBatch } from '../store/batch.js';
import { getConnection, listConnections } from '../store/connections.js';
import { recordCoverage } from '../store/coverage.js';
import { firstLine, NotFoundError } from '../store/errors.js';
import { withSyncLock } from '../store/lock.js';
import { storeBudget } from '../store/rate-budgets.js';
import { rebuildRollups } from '../store/rollups.js';
import { pendingRuns } from '../store/runs.js';
import { refreshStatistics } from '../store/statistics.js';
import { fetchesSteps } from '../store/step-settings.js';
import type { Store } from '../store/store.js';
import { readSyncState, recordSyncFailure, recordSyncStart, recordSyncSuccess } from '../store/sync-state.js';
import { webhookReconciler } from '../webhooks/reconcile.js';
import { StepFetcher } from './steps.js';

export interface SyncProgress {
  projectsDone: number;
  projectsTotal: number;
  runsDone: number;
}

/** A project the sync has finished, by name, with the runs read for it. */
export interface ProjectDone {
  project: string;
  runs: number;
}

export interface SyncOptions {
  lookbackDays?: number;
  /** Counts so far; `done` names the project just finished (a connector reading an organization at once
   * finishes its projects together, after the last page, so only these counts tell them apart). */
  onProgress?: (progress: SyncProgress, done?: ProjectDone) => void;
  /** Clock for the lookback window and the recorded sync times (tests pin it to the sandbox clock). */
  now?: () => number;
  /** Further connector settings (timeouts, retries, diagnostics). */
  connector?: Partial<ConnectorOptions>;
  /** Read step lists the provider serves apart (Bitrise log summaries); by default the connection's setting. */
  steps?: boolean;
  /** Classification rules; by default the rules file found for the store (see docs/metrics.md). */
  rules?: RuleSet;
  /** Builds the connector for a connection; the registry's by default. */
  createConnector?: (connection: Connection, token: string, options: Partial<ConnectorOptions>) => Connector;
  /**
   * Read only these projects (a webhook delivery's app). Such a partial sync is not recorded as the
   * connection's last sync and does not reconcile webhook deliveries: it is part of processing them.
   */
  projects?: readonly string[];
}

/** Runs read with one provider status buildlens does not know (DESIGN.md "Unknown status"). */
export interface UnknownStatusCount {
  /** The provider's own value. */
  status: string;
  runs: number;
}

export interface SyncSummary extends BatchResult {
  connection: string;
  provider: Provider;
  projects: number;
  /** Payloads that cannot be runs, kept apart (DESIGN.md "Refused run"; `buildlens refused` lists them). */
  runsRefused: number;
  /** API requests made, retries included. */
  requests: number;
  durationMs: number;
  /** With a webhook set up: runs this sync found finished that no delivery had announced. */
  webhookMissed?: number;
  /** Runs read with a status buildlens does not know, per value, most frequent first. */
  unknownStatuses: UnknownStatusCount[];
}

/** The figures of a sync summary. */
export type SyncCounts = Omit<SyncSummary, 'connection' | 'provider' | 'webhookMissed'>;

/** Figures of a sync that did nothing yet: where summaries and their totals start. */
export function noCounts(): SyncCounts {
  return {
    projects: 0,
    runsNew: 0,
    runsUpdated: 0,
    runsRefused: 0,
    jobsNew: 0,
    jobsUpdated: 0,
    jobsRemoved: 0,
    stepsNew: 0,
    stepsUpdated: 0,
    requests: 0,
    durationMs: 0,
    unknownStatuses: [],
  };
}

/** Adds one summary's figures to a total (summaries of several connections, or batches of one sync). */
export function addCounts(total: SyncCounts, counts: Partial<SyncCounts>): void {
  for (const key of Object.keys(noCounts()) as (keyof SyncCounts)[]) {
    if (key !== 'unknownStatuses') total[key] += counts[key] ?? 0;
  }
  for (const { status, runs } of counts.unknownStatuses ?? []) {
    const known = total.unknownStatuses.find((u) => u.status === status);
    if (known) known.runs += runs;
    else total.unknownStatuses.push({ status, runs });
  }
  total.unknownStatuses.sort((a, b) => b.runs - a.runs || a.status.localeCompare(b.status));
}

/** Per provider value, the runs of a batch whose status buildlens does not know. */
function unknownStatuses(runs: readonly Run[]): UnknownStatusCount[] {
  const counts = new Map<string, number>();
  for (const run of runs) {
    if (run.status === 'unknown') counts.set(run.providerStatus, (counts.get(run.providerStatus) ?? 0) + 1);
  }
  return [...counts].map(([status, runs]) => ({ status, runs }));
}

/**
 * The connection's connector. On PostgreSQL, where several processes may sync, it paces by the rate-limit
 * windows kept in the store; on SQLite one process does everything and paces alone.
 */
function connectorFor(store: Store, connection: Connection, token: string, options: SyncOptions): Connector {
  return (options.createConnector ?? createConnector)(connection, token, {
    ...options.connector,
    budget: options.connector?.budget ?? (store.dialect === 'postgres' ? storeBudget(store) : undefined),
    now: options.now ?? Date.now,
  });
}

/**
 * Syncs one connection: everything since its last committed checkpoint (or `lookbackDays` back on the
 * first sync), plus the runs still unfinished in the store. On failure the error is recorded and rethrown.
 * While another sync of the connection runs (in any process) it refuses at once with SyncLockedError.
 */
export async function syncConnection(
  store: Store,
  name: string,
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const { connection, token } = await getConnection(store, name);
  // Before anything is recorded: a refused sync must not touch the running one's bookkeeping.
  return withSyncLock(store, { connectionId: connection.id, name: connection.name }, () =>
    syncLocked(store, connection, token, options),
  );
}

async function syncLocked(
  store: Store,
  connection: Connection,
  token: string,
  options: SyncOptions,
): Promise<SyncSummary> {
  const startedMs = performance.now();
  const now = options.now ?? Date.now;
  const connector = connectorFor(store, connection, token, { ...options, now });
  const summary: SyncSummary = { connection: connection.name, provider: connection.provider, ...noCounts() };
  const progress: SyncProgress = { projectsDone: 0, projectsTotal: 0, runsDone: 0 };
  const report = (done?: ProjectDone) => options.onProgress?.({ ...progress }, done);
  const projectNames = new Map<string, string>();
  const runsPerProject = new Map<string, number>();

  const rules = options.rules ?? rulesForStore(store, undefined);
  const classifier = new RunClassifier(connector, connection.provider, rules);
  const stepFetcher = new StepFetcher(
    store,
    connection.id,
    connector,
    options.steps ?? (await fetchesSteps(store, connection.id)),
  );
  const partial = options.projects !== undefined;
  const reconciler = partial ? null : await webhookReconciler(store, connection.id);

  if (!partial) await recordSyncStart(store, connection.id, new Date(now()));
  let backfillFrom: string | null = null;
  try {
    // Grains left listed (every stored day after migration 018, or by a sync killed before its
    // checkpoint) are rebuilt first and in parts, so that no checkpoint holds the write lock for minutes.
    await rebuildRollups(store, connection.id);
    const { state } = await readSyncState(store, connection.id);
    const pending = await pendingRuns(store, connection.id, new Date(now()));
    const lookbackDays = options.lookbackDays ?? 90;
    // Without a checkpoint the connector backfills the lookback window, which the store then covers (a
    // sync of some projects only covers no connection).
    if (state === null && !partial) backfillFrom = new Date(now() - lookbackDays * 86_400_000).toISOString();
    const input = { state, pending, lookbackDays };
    const events = connector.sync(options.projects ? { ...input, projects: options.projects } : input);
    for await (const event of events) {
      if (event.type === 'projects') classifier.learnProjects(event.projects);
      if (event.type === 'batch' && reconciler) await reconciler.inspect(event.runs, event.jobs);
      const written = await commit(store, connection.id, event, classifier, stepFetcher, now);
      if (written) addCounts(summary, written);
      if (event.type === 'projects') {
        summary.projects += event.projects.length;
        progress.projectsTotal += event.projects.length;
        for (const p of event.projects) projectNames.set(p.key, p.name);
      } else if (event.type === 'batch') {
        addCounts(summary, {
          runsRefused: event.refused?.length ?? 0,
          unknownStatuses: unknownStatuses(event.runs),
        });
        progress.runsDone += event.runs.length;
        for (const r of event.runs)
          runsPerProject.set(r.projectKey, (runsPerProject.get(r.projectKey) ?? 0) + 1);
      } else if (event.type === 'project_done') {
        progress.projectsDone += 1;
      }
      if (event.type === 'project_done') {
        const { projectKey } = event;
        report({
          project: projectNames.get(projectKey) ?? projectKey,
          runs: runsPerProject.get(projectKey) ?? 0,
        });
      } else if (event.type !== 'checkpoint') report();
    }
  } catch (error) {
    const line = firstLine(error);
    const message = token ? line.replaceAll(token, '***') : line;
    // The sync's own error matters more than a failure to record it.
    if (!partial) await recordSyncFailure(store, connection.id, message, new Date(now())).catch(() => {});
    throw error;
  }
  summary.requests = connector.requests();
  summary.durationMs = Math.round(performance.now() - startedMs);
  if (reconciler) summary.webhookMissed = await reconciler.record();
  if (!partial) {
    await recordCoverage(store, connection.id, backfillFrom, new Date(now()));
    await recordSyncSuccess(store, connection.id, summary, new Date(now()));
  }
  const written =
    summary.runsNew +
    summary.runsUpdated +
    summary.jobsNew +
    summary.jobsUpdated +
    summary.stepsNew +
    summary.stepsUpdated;
  // Better plans for what comes next; the sync itself has succeeded whatever this does.
  await refreshStatistics(store, written).catch(() => false);
  return summary;
}

/**
 * Writes runs that did not come from a connector's sync (a webhook delivery's) through the same path:
 * classified with the rules in force, written in one batch.
 */
export async function commitRuns(
  store: Store,
  connection: Connection,
  token: string,
  batch: { projects: Project[]; runs: Run[]; jobs: Job[]; steps?: Step[]; raw: RawPayload[] },
  options: SyncOptions = {},
): Promise<BatchResult> {
  const connector = connectorFor(store, connection, token, options);
  const classifier = new RunClassifier(
    connector,
    connection.provider,
    options.rules ?? rulesForStore(store, undefined),
  );
  classifier.learnProjects(batch.projects);
  const { runs, jobs, logs } = await classifier.classify(batch.runs, batch.jobs);
  return writeBatch(store, connection.id, {
    projects: batch.projects,
    runs,
    jobs,
    ...(batch.steps ? { steps: batch.steps } : {}),
    raw: [...batch.raw, ...logs],
  });
}

/** Writes what one event carries; a checkpoint is its own transaction, after the batches before it. */
async function commit(
  store: Store,
  connectionId: number,
  event: SyncEvent,
  classifier: RunClassifier,
  stepFetcher: StepFetcher,
  now: () => number,
): Promise<BatchResult | null> {
  switch (event.type) {
    case 'projects':
      return writeBatch(store, connectionId, {
        projects: event.projects,
        runs: [],
        jobs: [],
        raw: event.raw,
      });
    case 'batch': {
      const { runs, jobs, logs } = await classifier.classify(event.runs, event.jobs);
      const fetched = await stepFetcher.fetch(event.runs, event.jobs);
      return writeBatch(
        store,
        connectionId,
        {
          runs,
          jobs,
          steps: [...(event.steps ?? []), ...fetched.steps],
          raw: [...event.raw, ...logs, ...fetched.raw],
          refused: event.refused ?? [],
          wholeJobs: event.wholeJobs ?? [],
        },
        undefined,
        now,
      );
    }
    case 'checkpoint':
      return writeBatch(store, connectionId, { runs: [], jobs: [], raw: [] }, event.state);
    case 'project_done':
      return null;
  }
}

/**
 * Classifies a connection's runs and their jobs with the rules in force, fetching a run's log only when a
 * rule on a log marker could decide it. Fetched logs are kept as raw payloads (kind `log`), so
 * `buildlens classify` can re-apply the rules without calling the provider.
 */
class RunClassifier {
  private readonly projectNames = new Map<string, string>();

  constructor(
    private readonly connector: Connector,
    private readonly provider: Provider,
    private readonly rules: RuleSet,
  ) {}

  learnProjects(projects: { key: string; name: string }[]): void {
    for (const p of projects) this.projectNames.set(p.key, p.name);
  }

  async classify(
    runs: Run[],
    jobs: Job[],
  ): Promise<{ runs: ClassifiedRun[]; jobs: ClassifiedJob[]; logs: RawPayload[] }> {
    // Rules run on every item of a batch; between batches the server answers its other requests.
    await yieldToEventLoop();
    const logs: RawPayload[] = [];
    const classified: ClassifiedRun[] = [];
    for (const run of runs) {
      const context: RunContext = {
        provider: this.provider,
        projectName: this.projectNames.get(run.projectKey),
      };
      if (this.connector.fetchLog && needsLog(run, this.rules.rules, context)) {
        context.log = await this.connector.fetchLog(
          run,
          jobs.filter((j) => j.runKey === run.key),
        );
        if (context.log !== null) logs.push({ kind: 'log', key: run.key, payload: { text: context.log } });
      }
      classified.push({ ...run, ...classifyRun(run, this.rules.rules, context) });
    }
    // A batch carries each job's run (a Buildkite build, a Bitrise pipeline) beside it.
    const runsByKey = new Map(runs.map((run) => [run.key, run]));
    const classifiedJobs = jobs.map((job) => {
      const run = runsByKey.get(job.runKey) ?? null;
      const context = {
        provider: this.provider,
        projectName: run ? (this.projectNames.get(run.projectKey) ?? null) : null,
        run,
      };
      return { ...job, ...classifyJob(job, this.rules.rules, context) };
    });
    return { runs: classified, jobs: classifiedJobs, logs };
  }
}

/** Syncs the named connections (all when `names` is empty) one after another; stops at the first failure. */
export async function syncAll(
  store: Store,
  names: string[],
  options: SyncOptions = {},
): Promise<SyncSummary[]> {
  const known = (await listConnections(store)).map((c) => c.name);
  const unknown = names.find((n) => !known.includes(n));
  if (unknown !== undefined) throw new NotFoundError(`unknown connection "${unknown}"`);
  const summaries: SyncSummary[] = [];
  for (const name of names.length > 0 ? names : known) {
    summaries.push(await syncConnection(store, name, options));
  }
  return summaries;
}
