// Classification of finished runs: what the metrics count. Pure; rules are data, first match wins.
import type { Classification, Run } from '../domain/model.js';

export interface ClassificationResult {
  classification: Classification | null;
  /** The rule that matched; built-in rules are named `default:<why>`. */
  classifiedBy: string | null;
}

export interface ClassificationRule {
  name: string;
  matches: (run: Run) => boolean;
  classification: Classification;
}

const NO_CHANGES = /no (relevant )?changes|nothing to (build|do)|skipp?ing build|early exit/i;
const SUPERSEDED = /rolling build|newer build|superseded|auto[- ]?cancel/i;
const TIMED_OUT = /time ?out|timed out|time limit|ran out of (build )?time/i;
const HOLD_EXPIRED = /on hold|hold (period )?expired/i;

const aborted = (run: Run) => run.status === 'aborted';
const reasonMatches = (pattern: RegExp) => (run: Run) => aborted(run) && pattern.test(run.reason ?? '');

/** Defaults from provider facts (ci-apis.md §1.10 and §5); user rules go before these. */
export const DEFAULT_RULES: readonly ClassificationRule[] = [
  { name: 'default:succeeded', matches: (r) => r.status === 'succeeded', classification: 'success' },
  { name: 'default:failed', matches: (r) => r.status === 'failed', classification: 'failure' },
  { name: 'default:skipped', matches: (r) => r.status === 'skipped', classification: 'skipped' },
  { name: 'default:no-changes', matches: reasonMatches(NO_CHANGES), classification: 'skipped' },
  { name: 'default:superseded', matches: reasonMatches(SUPERSEDED), classification: 'aborted_auto' },
  { name: 'default:timed-out', matches: reasonMatches(TIMED_OUT), classification: 'aborted_auto' },
  { name: 'default:hold-expired', matches: reasonMatches(HOLD_EXPIRED), classification: 'aborted_auto' },
  {
    name: 'default:aborted-by-person',
    matches: (r) => aborted(r) && r.abortedBy !== null,
    classification: 'aborted_manual',
  },
  // Nobody named: the provider or a script stopped it (Bitrise abort_with_success, Buildkite system cancels).
  { name: 'default:aborted-by-system', matches: aborted, classification: 'aborted_auto' },
];

const UNFINISHED: ClassificationResult = { classification: null, classifiedBy: null };

export function classifyRun(
  run: Run,
  rules: readonly ClassificationRule[] = DEFAULT_RULES,
): ClassificationResult {
  if (run.finishedAt === null && run.status !== 'skipped') return UNFINISHED;
  for (const rule of rules) {
    if (rule.matches(run)) return { classification: rule.classification, classifiedBy: rule.name };
  }
  return UNFINISHED;
}
