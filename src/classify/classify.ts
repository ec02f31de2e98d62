// Classification of finished runs and jobs: what the metrics count. Pure; rules are data, first match wins.
// A build log is an input like any other field: the caller fetches it only when `needsLog` says a rule
// could use it.
import type { Classification, Job, Provider, Run } from '../domain/model.js';
import type { TextPattern } from './pattern.js';

export interface ClassificationResult {
  classification: Classification | null;
  /** The rule that matched; built-in rules are named `default:<why>`. */
  classifiedBy: string | null;
}

/** What a rule may look at besides the run itself. */
export interface RunContext {
  provider?: Provider;
  /** The project's name (rules match a project by key or by name). */
  projectName?: string | null;
  /** Build log text; undefined when it was not fetched, so that no log marker can match. */
  log?: string | null;
}

/** What a rule may look at besides the job: its run (project, workflow, branch) and the run's context. */
export interface JobContext extends Omit<RunContext, 'log'> {
  /** The job's run; a rule that needs the run's fields does not match without it. */
  run?: Run | null;
}

export interface ClassificationRule {
  name: string;
  classification: Classification;
  /** Absent when the rule applies to jobs only. */
  matches?: (run: Run, context: RunContext) => boolean;
  /** Present when the rule applies to jobs (user rules; the job defaults are DEFAULT_JOB_RULES). */
  matchesJob?: (job: Job, context: JobContext) => boolean;
  /** Tried on the log once `matches` holds; a rule with one makes the sync fetch the log of such runs. */
  logMarker?: TextPattern;
}

const NO_CHANGES = /no (relevant )?changes|nothing to (build|do)|skipp?ing build|early exit/i;
const SUPERSEDED = /rolling build|newer build|superseded|auto[- ]?cancel/i;
const TIMED_OUT = /time ?out|timed out|time limit|ran out of (build )?time/i;
const HOLD_EXPIRED = /on hold|hold (period )?expired/i;
/** Bitrise build status 4 and its pipeline counterpart: an abort the git host sees as green (§1.10). */
const ABORTED_WITH_SUCCESS = new Set(['4', 'succeeded_with_abort']);

const aborted = (run: Run) => run.status === 'aborted';
/**
 * Buildkite states that say a job failed before the block: a blocked build keeps the state of what ran so
 * far (ci-apis.md §3.13), `passed` when every job that ran passed.
 */
const FAILED_BEFORE_BLOCK = new Set(['failed', 'failing']);
const reasonMatches = (pattern: RegExp) => (run: Run) => aborted(run) && pattern.test(run.reason ?? '');

/** Defaults from provider facts (ci-apis.md §1.10 and §5); user rules go before these. */
export const DEFAULT_RULES: readonly ClassificationRule[] = [
  { name: 'default:succeeded', matches: (r) => r.status === 'succeeded', classification: 'success' },
  { name: 'default:failed', matches: (r) => r.status === 'failed', classification: 'failure' },
  // A blocked build waits on a person: classified from what ran so far (DESIGN.md "Blocked build").
  {
    name: 'default:blocked-after-failure',
    matches: (r) => r.status === 'blocked' && FAILED_BEFORE_BLOCK.has(r.providerStatus),
    classification: 'failure',
  },
  { name: 'default:blocked', matches: (r) => r.status === 'blocked', classification: 'success' },
  // Buildkite skipped (superseded while queued) and not_run (every step skipped).
  { name: 'default:skipped', matches: (r) => r.status === 'skipped', classification: 'skipped' },
  { name: 'default:no-changes', matches: reasonMatches(NO_CHANGES), classification: 'skipped' },
  { name: 'default:superseded', matches: reasonMatches(SUPERSEDED), classification: 'aborted_auto' },
  { name: 'default:timed-out', matches: reasonMatches(TIMED_OUT), classification: 'aborted_auto' },
  { name: 'default:hold-expired', matches: reasonMatches(HOLD_EXPIRED), classification: 'aborted_auto' },
  // Only an API call sets it, so a script ended the run, even though the reason names the token's user.
  {
    name: 'default:aborted-with-success',
    matches: (r) => aborted(r) && ABORTED_WITH_SUCCESS.has(r.providerStatus),
    classification: 'aborted_auto',
  },
  {
    name: 'default:aborted-by-person',
    matches: (r) => aborted(r) && r.abortedBy !== null,
    classification: 'aborted_manual',
  },
  // Nobody named: the provider stopped it (Buildkite cancels without a canceler, Bitrise system aborts).
  { name: 'default:aborted-by-system', matches: aborted, classification: 'aborted_auto' },
];

const UNFINISHED: ClassificationResult = { classification: null, classifiedBy: null };

/**
 * Skipped runs are final even without a finish time (Buildkite not_run); a blocked build is classified from
 * what ran so far, whether or not it reports a finish time. A status buildlens does not know is never
 * classified, whatever its times say (DESIGN.md "Unknown status"): no rule can tell what it means.
 */
const isFinished = (item: { finishedAt: string | null; status: string }) =>
  item.status !== 'unknown' &&
  (item.finishedAt !== null || item.status === 'skipped' || item.status === 'blocked');

function markerHolds(rule: ClassificationRule, context: RunContext): boolean {
  if (!rule.logMarker) return true;
  return typeof context.log === 'string' && rule.logMarker.test(context.log);
}

export function classifyRun(
  run: Run,
  rules: readonly ClassificationRule[] = DEFAULT_RULES,
  context: RunContext = {},
): ClassificationResult {
  if (!isFinished(run)) return UNFINISHED;
  for (const rule of rules) {
    if (rule.matches?.(run, context) && markerHolds(rule, context)) {
      return { classification: rule.classification, classifiedBy: rule.name };
    }
  }
  return UNFINISHED;
}

/**
 * Whether the log could change this run's classification: some rule with a log marker matches the run
 * otherwise, before any rule without one settles it.
 */
export function needsLog(
  run: Run,
  rules: readonly ClassificationRule[],
  context: Omit<RunContext, 'log'> = {},
): boolean {
  if (!isFinished(run)) return false;
  for (const rule of rules) {
    if (!rule.matches?.(run, context)) continue;
    if (rule.logMarker) return true;
    return false;
  }
  return false;
}

interface JobRule {
  name: string;
  classification: Classification;
  matches: (job: Job) => boolean;
}

const jobFailed = (job: Job) => job.status === 'failed';

/**
 * Job defaults. A soft-failed job did fail (so it is a failure here) but its run does not: Buildkite
 * passes the build, and runs are classified from the build's own state.
 */
export const DEFAULT_JOB_RULES: readonly JobRule[] = [
  { name: 'default:soft-failed', matches: (j) => j.softFailed, classification: 'failure' },
  { name: 'default:succeeded', matches: (j) => j.status === 'succeeded', classification: 'success' },
  {
    name: 'default:timed-out',
    matches: (j) => jobFailed(j) && j.providerStatus === 'timed_out',
    classification: 'aborted_auto',
  },
  // Never picked up by an agent before the scheduled-job expiry.
  {
    name: 'default:expired',
    matches: (j) => jobFailed(j) && j.providerStatus === 'expired',
    classification: 'aborted_auto',
  },
  { name: 'default:failed', matches: jobFailed, classification: 'failure' },
  { name: 'default:skipped', matches: (j) => j.status === 'skipped', classification: 'skipped' },
  // Jobs name no canceler: a person cancels the build, and the build's run says who.
  { name: 'default:canceled', matches: (j) => j.status === 'aborted', classification: 'aborted_auto' },
];

/** User rules that apply to jobs (in `rules`, in order) first, then the job defaults; first match wins. */
export function classifyJob(
  job: Job,
  rules: readonly ClassificationRule[] = [],
  context: JobContext = {},
): ClassificationResult {
  if (!isFinished(job)) return UNFINISHED;
  const user = rules.find((r) => r.matchesJob?.(job, context));
  if (user) return { classification: user.classification, classifiedBy: user.name };
  const rule = DEFAULT_JOB_RULES.find((r) => r.matches(job));
  return rule ? { classification: rule.classification, classifiedBy: rule.name } : UNFINISHED;
}
