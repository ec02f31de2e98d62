// The connector contract, after Airbyte's check/read-with-state: a connector checks a connection and
// reads it incrementally from a state value that the caller stores. It knows nothing of the store.
import type { Job, Project, Provider, RawPayload, RefusedPayload, Run, Step } from '../domain/model.js';
import type { RateBudget } from './rate-budget.js';

export type { RefusedPayload };

export const CHECK_CODES = [
  'ok',
  'invalid_credentials',
  'invalid_permissions',
  'no_resources',
  'unreachable',
  'rate_limited',
  /** The host answered, but with a body the connector cannot read (not JSON, or a field it relies on). */
  'unexpected_response',
] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

export interface CheckResult {
  code: CheckCode;
  /** One line a person can act on. Never contains the token. */
  message: string;
  /** The curl command that reproduces the failing call, with the token elided as $TOKEN variable. */
  curl: string | null;
  /** When ok: what was checked, one short line each ("token accepted", "3 pipelines visible"). */
  checked?: string[];
}

/** A run the store holds as unfinished: the connector must re-fetch it until it finishes. */
export interface PendingRun {
  key: string;
  projectKey: string;
  kind: Run['kind'];
  number: number | null;
}

export interface SyncInput {
  /** The last state this connector yielded in a checkpoint that was committed; null on first sync. */
  state: unknown;
  pending: PendingRun[];
  /** First sync only: how far back to backfill. */
  lookbackDays: number;
  /**
   * Only these projects (a webhook delivery's Bitrise app); all when absent. A connector that cannot read
   * fewer may read all: the state it yields must still cover every project.
   */
  projects?: readonly string[];
}

export type SyncEvent =
  /** Every project the sync will cover, known up front so progress can show "apps done / total". */
  | { type: 'projects'; projects: Project[]; raw: RawPayload[] }
  /** Normalized rows to upsert, with the payloads they came from, and the payloads refused as runs. */
  | {
      type: 'batch';
      runs: Run[];
      jobs: Job[];
      /** Steps the run payloads themselves carry (Buildkite command jobs). */
      steps?: Step[];
      raw: RawPayload[];
      refused?: RefusedPayload[];
      /**
       * Runs whose every job this batch lists: stored jobs of theirs it does not list are gone (a pipeline
       * workflow skipped in one attempt and run in the next was a job without a build, now replaced).
       */
      wholeJobs?: string[];
    }
  /** Everything yielded before this event is covered by `state`: commit both together. */
  | { type: 'checkpoint'; state: unknown }
  | { type: 'project_done'; projectKey: string };

/** Raw payload kind of a fetched step list, keyed by the StepSource key. */
export const STEP_LIST_KIND = 'build_steps';

/** Where a step list is read from, and whose steps it holds. */
export interface StepSource {
  /** The provider object the list belongs to (a Bitrise build slug). */
  key: string;
  projectKey: string;
  runKey: string;
  /** Null when the run is its own only job (a Bitrise standalone build). */
  jobKey: string | null;
}

/**
 * Reads a stored raw payload of one kind again, offline (`buildlens renormalize`): the run, jobs and the
 * steps it carries (Buildkite command jobs) it is today, or why it cannot be a run. `project` is the run's
 * project as stored; `parts` the stored payloads of kind `partsKind` whose keys are the run's stored jobs
 * (a rerun pipeline's earlier attempts' builds). `wholeJobs`: the jobs read are all the run has.
 */
export interface RawRunReader {
  provider: Provider;
  partsKind?: string;
  read(
    payload: unknown,
    project: { key: string; name: string },
    parts: readonly unknown[],
  ): { run: Run; jobs: Job[]; steps?: Step[]; wholeJobs?: boolean } | { refused: string };
}

/** Reads a stored step list (kind `STEP_LIST_KIND`) again, offline: the steps it holds today. */
export type StepListReader = (source: StepSource, payload: unknown) => Step[];

export interface ConnectorOptions {
  baseUrl: string;
  token: string;
  org: string | null;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Projects read at the same time. */
  concurrency?: number;
  /** Retries for 429 / 5xx / network errors before giving up. */
  maxRetries?: number;
  /** Clock used for the lookback window (tests pin it to the sandbox clock). */
  now?: () => number;
  /** Diagnostics (one line each, never a token). */
  log?: (line: string) => void;
  /** Rate-limit windows shared with other processes (PostgreSQL); absent: this process paces alone. */
  budget?: RateBudget;
}

export interface Connector {
  readonly provider: Provider;
  check(): Promise<CheckResult>;
  sync(input: SyncInput): AsyncIterable<SyncEvent>;
  /**
   * A finished run's log as plain text (no terminal escapes), for rules on log markers; `jobs` are the
   * run's jobs (a Bitrise pipeline's logs are its workflow builds'). Absent where the provider has none.
   */
  fetchLog?(run: Run, jobs: Job[]): Promise<string | null>;
  /**
   * Step lists a finished run has apart from its own payloads (a Bitrise build's log summary): each is
   * fetched once, then kept as a raw payload of kind `STEP_LIST_KIND`. Absent where steps come with the run.
   */
  stepSources?(run: Run, jobs: Job[]): StepSource[];
  /** One step list: the payload as it came (null when the provider has none) and the steps read from it. */
  fetchSteps?(source: StepSource): Promise<{ payload: unknown; steps: Step[] }>;
  /** API requests made so far, retries included. */
  requests(): number;
}
