// The common model (DESIGN.md "Common model"). Provider wire types live with each connector;
// everything past a connector speaks only these types.

export type Provider = 'bitrise' | 'buildkite';
export const PROVIDERS: readonly Provider[] = ['bitrise', 'buildkite'];

/**
 * Provider truth, normalized. The provider's own value is kept beside it (`providerStatus`). `unknown` is a
 * provider value buildlens does not know (DESIGN.md "Meanings that change numbers"): the run is kept, never
 * classified, and counted apart from every rate and percentile.
 */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'aborted'
  | 'skipped'
  | 'blocked'
  | 'unknown';
export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'aborted',
  'skipped',
  'blocked',
  'unknown',
];
/** Statuses a run can still leave: a sync must re-fetch runs in these until they finish. */
export const UNFINISHED_STATUSES: readonly RunStatus[] = ['queued', 'running', 'blocked'];
/**
 * A blocked build waits on a person and may go on: it is re-fetched for this many days after it was
 * created, then left as it is (DESIGN.md "Blocked build").
 */
export const BLOCKED_RECHECK_DAYS = 14;

/** What the metrics use, for finished runs (null while a run is unfinished). */
export type Classification =
  | 'success'
  | 'failure'
  | 'aborted_manual'
  | 'aborted_auto'
  | 'skipped'
  | 'infra_failure';
export const CLASSIFICATIONS: readonly Classification[] = [
  'success',
  'failure',
  'aborted_manual',
  'aborted_auto',
  'skipped',
  'infra_failure',
];

export type Trigger = 'push' | 'pull_request' | 'tag' | 'manual' | 'schedule' | 'api';
export const TRIGGERS: readonly Trigger[] = ['push', 'pull_request', 'tag', 'manual', 'schedule', 'api'];

/** A provider account. The token is only ever held decrypted in memory, never stored or printed plain. */
export interface Connection {
  id: number;
  name: string;
  provider: Provider;
  baseUrl: string;
  /** Buildkite organization slug; null means every organization the token can read. */
  org: string | null;
  createdAt: string;
  /**
   * From when the store holds every run of this connection (ISO 8601): the start of its first backfill,
   * moved earlier by a later, longer one. Null until a sync of it completes. DESIGN.md "Coverage".
   */
  coveredFrom: string | null;
}

/** A Bitrise app or a Buildkite pipeline. `key` is the provider's stable id within the connection. */
export interface Project {
  key: string;
  name: string;
  /** Bitrise workspace / Buildkite organization slug. */
  owner: string | null;
  repoUrl: string | null;
  webUrl: string | null;
  /** The provider's default branch (Buildkite pipeline `default_branch`); Bitrise apps carry none. */
  defaultBranch?: string | null;
}

/**
 * The unit a person triggers and waits for: a Bitrise pipeline or standalone build, a Buildkite build.
 * Times are kept exactly as the provider sent them (ISO 8601; Bitrise's triggered_at has microseconds).
 */
export interface Run {
  /** Provider id, unique within the connection (Bitrise build slug or pipeline id, Buildkite build UUID). */
  key: string;
  projectKey: string;
  /** Bitrise `build` or `pipeline`; Buildkite `build`. */
  kind: 'build' | 'pipeline';
  number: number | null;
  /** Bitrise workflow or pipeline name; Buildkite pipeline name (its builds have no workflow). */
  workflow: string;
  branch: string | null;
  commitSha: string | null;
  message: string | null;
  trigger: Trigger;
  prId: string | null;
  tag: string | null;
  actor: string | null;
  status: RunStatus;
  providerStatus: string;
  /** Abort / cancel / failure reason text as the provider gave it. */
  reason: string | null;
  /** Who aborted or canceled the run, when the provider names a person; null for system cancels. */
  abortedBy: string | null;
  triggeredAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Seconds from trigger to start, clamped to >= 0; null when the run never started. */
  queueS: number | null;
  /** Seconds of execution per DESIGN.md; null until finished. */
  durationS: number | null;
  /** Bitrise environment setup (environment_prepare_finished_at - started_on_worker_at); null elsewhere. */
  setupS: number | null;
  /** Provider credits (Bitrise credit_cost); null when the provider gives none. */
  cost: number | null;
  machine: string | null;
  stack: string | null;
  /**
   * Buildkite agent queue: the queue its command jobs share, else the one most of them use; null for
   * Bitrise (docs/metrics.md "Agent queue").
   */
  agentQueue: string | null;
  webUrl: string | null;
}

/** A unit inside a run: a Bitrise workflow build inside a pipeline, a Buildkite job. */
export interface Job {
  key: string;
  runKey: string;
  name: string;
  status: RunStatus;
  providerStatus: string;
  startedAt: string | null;
  finishedAt: string | null;
  queueS: number | null;
  durationS: number | null;
  /** Buildkite agent name / Bitrise machine type. */
  agent: string | null;
  machine: string | null;
  stack: string | null;
  /** Buildkite agent queue from the job's `queue=` rule (`default` without one); null for Bitrise. */
  agentQueue: string | null;
  exitStatus: number | null;
  softFailed: boolean;
  /** True when a newer job replaced this one. */
  retried: boolean;
  /** Key of the job this one retried (Buildkite retry_source.job_id / the replaced job). */
  retryOf: string | null;
  cost: number | null;
  webUrl: string | null;
  /** Why the job stopped or never ran, as the provider gave it (Buildkite signal/broken reason, Bitrise start failure). */
  reason: string | null;
  /**
   * Names of the jobs of the same run this one waited for: a Bitrise DAG workflow's `depends_on`, or the
   * workflows of the stage before in a staged pipeline ([] for the first); null when the provider does not say.
   */
  dependsOn: string[] | null;
}

/**
 * A unit inside a job or a standalone build: a Bitrise step of a build's log summary, a Buildkite command
 * job seen as its pipeline step. Waits for a person and gates (Buildkite block, wait, trigger) are not steps.
 */
export interface Step {
  /** Unique within the connection (Bitrise `<build slug>/<step uuid>`, Buildkite job id). */
  key: string;
  runKey: string;
  /** The job it ran in; null for a Bitrise standalone build's steps (the run is its only job). */
  jobKey: string | null;
  /** What steps are grouped by across runs: the Bitrise step title, the Buildkite step key, else its label. */
  name: string;
  /** The Bitrise library step (`git-clone`, `script`); the Buildkite step key. */
  stepId: string | null;
  /** Order within its job, from 0. */
  position: number;
  status: RunStatus;
  providerStatus: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationS: number | null;
}

/** The original provider object, kept so normalization and classification can be re-run offline. */
export interface RawPayload {
  /** e.g. `app`, `build`, `pipeline`, `bk_pipeline`, `bk_build`. */
  kind: string;
  key: string;
  payload: unknown;
}

/**
 * A payload that cannot be a run (DESIGN.md "Refused run"): no id, no readable triggered time, a time
 * outside 2000–2100, or nesting deeper than the bound. It is not stored as a run; the sync keeps it apart
 * for inspection and goes on, checkpoint included.
 */
export interface RefusedPayload {
  /** The raw payload kind it would have been stored as (`build`, `pipeline`, `bk_build`, …). */
  kind: string;
  /** The provider's id when the payload has a readable one. */
  key: string | null;
  /** One line: why it cannot be a run. */
  reason: string;
  /** The payload as received; it may nest too deep for JSON.stringify (see src/domain/json.ts). */
  payload: unknown;
}

/** A run plus the classification the classify step gave it (null while unfinished). */
export interface ClassifiedRun extends Run {
  classification: Classification | null;
  /** Name of the rule that set the classification (built-in defaults are named `default:<why>`). */
  classifiedBy: string | null;
}

/** A job plus the classification the classify step gave it (null while unfinished). */
export interface ClassifiedJob extends Job {
  classification: Classification | null;
  classifiedBy: string | null;
}

/** Filters shared by `runs`, `report` and the HTTP API (DESIGN.md "CLI contract"). */
export interface RunFilter {
  connection?: string[];
  project?: string[];
  workflow?: string[];
  branch?: string[];
  trigger?: Trigger[];
  /** true: pull-request runs only; false: runs without a pull request. */
  pr?: boolean;
  /** Bitrise machine type. */
  machine?: string[];
  /** Bitrise stack. */
  stack?: string[];
  /** Buildkite agent queue. */
  agentQueue?: string[];
  /** Inclusive lower bound on triggered_at (ISO 8601). */
  since?: string;
  /** Exclusive upper bound on triggered_at (ISO 8601). */
  until?: string;
  /** true: runs on their project's default branch only; false: runs on any other branch. */
  defaultBranch?: boolean;
  /** Runs of none of these projects, each named as reports show it: its connection and its name (or key). */
  exceptProjects?: ProjectLabel[];
}

/** A project as reports label it: its connection's name and its own name, or its key when it has none. */
export interface ProjectLabel {
  connection: string;
  project: string;
}
