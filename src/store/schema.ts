// Table types as Kysely sees them. Column meanings: docs/architecture.md and src/domain/model.ts.
import type { Generated } from 'kysely';

export interface ConnectionsTable {
  id: Generated<number>;
  name: string;
  provider: string;
  base_url: string;
  org: string | null;
  token_enc: string;
  created_at: string;
  /** From when the store holds this connection's runs (ISO 8601); null before its first complete sync. */
  covered_from: Generated<string | null>;
  /** 0 or 1: whether a sync reads step lists the provider serves apart (Bitrise log summaries). */
  fetch_steps: Generated<number>;
}

export interface ProjectsTable {
  connection_id: number;
  key: string;
  name: string;
  owner: string | null;
  repo_url: string | null;
  web_url: string | null;
  /** The provider's default branch (Buildkite pipelines); null where it has none. */
  default_branch: string | null;
  /** The default branch a person set (`buildlens projects default-branch`); wins over the provider's. */
  default_branch_setting: string | null;
}

export interface RunsTable {
  connection_id: number;
  key: string;
  project_key: string;
  kind: string;
  number: number | null;
  workflow: string;
  branch: string | null;
  commit_sha: string | null;
  message: string | null;
  trigger: string;
  pr_id: string | null;
  tag: string | null;
  actor: string | null;
  status: string;
  provider_status: string;
  reason: string | null;
  aborted_by: string | null;
  triggered_at: string;
  started_at: string | null;
  finished_at: string | null;
  triggered_us: number;
  finished_us: number | null;
  queue_s: number | null;
  duration_s: number | null;
  setup_s: number | null;
  cost: number | null;
  machine: string | null;
  stack: string | null;
  agent_queue: string | null;
  web_url: string | null;
  classification: string | null;
  classified_by: string | null;
  content_hash: string;
}

export interface JobsTable {
  connection_id: number;
  key: string;
  run_key: string;
  name: string;
  status: string;
  provider_status: string;
  started_at: string | null;
  finished_at: string | null;
  queue_s: number | null;
  duration_s: number | null;
  agent: string | null;
  machine: string | null;
  stack: string | null;
  agent_queue: string | null;
  exit_status: number | null;
  /** 0 or 1: SQLite has no boolean type. */
  soft_failed: number;
  retried: number;
  retry_of: string | null;
  cost: number | null;
  web_url: string | null;
  reason: string | null;
  /** JSON array of job names, or null (Job.dependsOn). */
  depends_on: string | null;
  classification: string | null;
  classified_by: string | null;
  content_hash: string;
  /** 0 or 1, derived from the run's jobs (src/domain/critical-path.ts); outside the content hash. */
  on_critical_path: Generated<number>;
}

export interface StepsTable {
  connection_id: number;
  key: string;
  run_key: string;
  job_key: string | null;
  name: string;
  step_id: string | null;
  position: number;
  status: string;
  provider_status: string;
  started_at: string | null;
  finished_at: string | null;
  started_us: number | null;
  duration_s: number | null;
  content_hash: string;
}

export interface RawPayloadsTable {
  connection_id: number;
  kind: string;
  key: string;
  /** JSON text. */
  payload: string;
  content_hash: string;
}

/** A payload that cannot be a run (DESIGN.md "Refused run"), kept apart; one row per distinct payload. */
export interface RefusedPayloadsTable {
  id: Generated<number>;
  connection_id: number;
  kind: string;
  key: string | null;
  reason: string;
  /** JSON text, as received (src/store/json.ts writes any depth). */
  payload: string;
  content_hash: string;
  first_seen_at: string;
  last_seen_at: string;
}

export interface SyncStateTable {
  connection_id: number;
  /** JSON text of the connector's last committed checkpoint. */
  state: string | null;
  last_started_at: string | null;
  last_finished_at: string | null;
  last_error: string | null;
  /** JSON text of the last successful sync's summary. */
  last_summary: string | null;
}

/** Grain identity: a connection's project and workflow on one UTC day (epoch microseconds of its start). */
export interface RollupGrain {
  connection_id: number;
  project_key: string;
  workflow: string;
  day_us: number;
}

/** What reports need of a grain's runs; sketches are src/store/sketch.ts's stored form. */
export interface RunRollupsTable extends RollupGrain {
  runs: number;
  success: number;
  failure: number;
  infra_failure: number;
  aborted_manual: number;
  aborted_auto: number;
  skipped: number;
  running: number;
  /** Runs with status blocked (migration 007). */
  blocked: number;
  /** Runs whose status buildlens does not know (DESIGN.md): in `runs`, in no rate or percentile. */
  unknown: number;
  /** Runs with a cost. */
  cost_n: number;
  duration_max: number | null;
  queue_max: number | null;
  setup_max: number | null;
  cost_sum: number | null;
  duration_sketch: string;
  queue_sketch: string;
  setup_sketch: string;
  /** Summed duration of every run with one, whatever its status (migration 018): levels' wall share. */
  duration_sum: number | null;
}

/** A run grain's executions of one job or step name (src/store/level-rollups.ts, migration 018). */
export interface LevelRollupsTable extends RollupGrain {
  level: 'job' | 'step';
  name: string;
  executions: number;
  succeeded: number;
  failed: number;
  /** Jobs: final executions on their run's critical path, and final executions that ran; 0 for steps. */
  critical: number;
  finals: number;
  time_s: number;
  time_lost_s: number;
  /** Over succeeded executions, like the sketch. */
  duration_max: number | null;
  duration_sketch: string;
}

/** A connection's webhook (src/store/webhooks.ts). */
export interface WebhooksTable {
  connection_id: number;
  secret_enc: string;
  created_at: string;
  missed_runs: Generated<number>;
  /** Deliveries refused (forged, stale, replayed), as the servers added them up (migration 019). */
  refused: Generated<number>;
  last_refused_at: string | null;
  last_refusal_reason: string | null;
}

/** One accepted delivery (src/store/inbox.ts); `state` is pending, done, ignored or failed. */
export interface WebhookInboxTable {
  id: Generated<number>;
  connection_id: number;
  received_at: string;
  event: string;
  digest: string;
  signature: string | null;
  subject: string | null;
  /** 0 or 1. */
  final: number;
  body: string;
  state: string;
  attempts: Generated<number>;
  processed_at: string | null;
  error: string | null;
}

/** One row (id 1): see src/store/data-version.ts. */
export interface DataVersionTable {
  id: number;
  version: number;
}

export interface RateBudgetsTable {
  key: string;
  limit_count: number | null;
  used: number;
  window_ms: number;
  ends_at_ms: number;
  blocked_until_ms: number;
}

export interface SyncSchedulesTable {
  connection_id: number;
  every_s: number;
  next_at_ms: number;
}

/** A named API token (src/store/api-tokens.ts): only its digest is kept. */
export interface ApiTokensTable {
  name: string;
  /** `viewer` or `admin` (src/domain/roles.ts). */
  role: string;
  token_sha256: string;
  created_at: string;
}

/** One admin action (src/store/audit.ts). */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  /** The caller: a token's name, `BUILDLENS_SERVER_TOKEN`, `local`, or `cli:<user>`. */
  actor: string;
  action: string;
  target: string | null;
  /** `ok`, or the HTTP status / error that ended it. */
  outcome: string;
}

/** An alert rule's state for one subject (src/store/alert-state.ts); `state` is ok or firing. */
export interface AlertStatesTable {
  rule: string;
  subject: string;
  state: string;
  since: string;
  value: number | null;
  previous: number | null;
  runs: number | null;
  evaluated_at: string;
}

/** A message to one destination (src/store/alert-state.ts); `state` is pending, sent or failed. */
export interface AlertDeliveriesTable {
  id: Generated<number>;
  rule: string;
  subject: string;
  event: string;
  destination: string;
  message: string;
  created_at: string;
  state: string;
  attempts: Generated<number>;
  claimed_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export interface Schema {
  connections: ConnectionsTable;
  projects: ProjectsTable;
  runs: RunsTable;
  jobs: JobsTable;
  steps: StepsTable;
  raw_payloads: RawPayloadsTable;
  refused_payloads: RefusedPayloadsTable;
  sync_state: SyncStateTable;
  run_rollups: RunRollupsTable;
  level_rollups: LevelRollupsTable;
  rollup_dirty: RollupGrain;
  webhooks: WebhooksTable;
  webhook_inbox: WebhookInboxTable;
  data_version: DataVersionTable;
  rate_budgets: RateBudgetsTable;
  sync_schedules: SyncSchedulesTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  alert_states: AlertStatesTable;
  alert_deliveries: AlertDeliveriesTable;
}
