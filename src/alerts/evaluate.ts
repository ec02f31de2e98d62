// Judging a rule now: the report over its window (and, for a change, the previous window of the same length,
// compared only where the store covers it: DESIGN.md "Coverage"), one judgement per project, workflow or the
// whole scope. Too few runs or an uncovered previous window is "cannot say", never a firing or a resolving.
import type { RunFilter } from '../domain/model.js';
import { type ComparedRow, reportDocument } from '../metrics/report-document.js';
import type { ReportSource } from '../metrics/vocabulary.js';
import { METRICS } from './metrics.js';
import type { AlertRule, Condition } from './rules.js';

/** What an alert is about: labels of its group (none for a whole scope). */
export interface Subject {
  connection?: string;
  project?: string;
  workflow?: string;
}

export interface Evaluation {
  rule: string;
  subject: Subject;
  /** The subject as stable text: the state's key. */
  key: string;
  value: number | null;
  /** The same figure over the previous window; null when not compared (or nothing to compare). */
  previous: number | null;
  /** The runs the figure is taken over (what min_runs counts). */
  runs: number;
  /** true: the condition holds; false: it does not; null: cannot say (why in `note`). */
  holds: boolean | null;
  note: string | null;
  /** The window judged, [since, until). */
  since: string;
  until: string;
}

/** Stable text of a subject, the same whatever order its labels were set in. */
export function subjectKey(subject: Subject): string {
  return JSON.stringify({
    ...(subject.connection === undefined ? {} : { connection: subject.connection }),
    ...(subject.project === undefined ? {} : { project: subject.project }),
    ...(subject.workflow === undefined ? {} : { workflow: subject.workflow }),
  });
}

/** The runs a rule looks at over [since, until): its scope, on each project's default branch unless it names branches. */
export function ruleFilter(rule: AlertRule, since: string, until: string): RunFilter {
  const { connection, project, workflow, branch } = rule.scope;
  return {
    ...(connection ? { connection } : {}),
    ...(project ? { project } : {}),
    ...(workflow ? { workflow } : {}),
    ...(branch === undefined ? { defaultBranch: true } : branch.includes('*') ? {} : { branch }),
    since,
    until,
  };
}

function subjectOf(rule: AlertRule, row: ComparedRow): Subject {
  if (rule.per === 'scope') return {};
  return {
    connection: row.connection ?? '',
    project: row.project ?? '',
    ...(rule.per === 'workflow' ? { workflow: row.workflow ?? '' } : {}),
  };
}

/** Whether the condition holds for a figure and, for a change, the previous one; null: cannot say. */
export function conditionHolds(
  condition: Condition,
  value: number,
  previous: number | null,
): { holds: boolean | null; note: string | null } {
  if (condition.kind !== 'change') {
    const { threshold } = condition;
    return { holds: condition.kind === 'above' ? value > threshold : value < threshold, note: null };
  }
  if (previous === null) return { holds: null, note: 'nothing to compare with in the previous window' };
  const sign = condition.direction === 'up' ? 1 : -1;
  if (condition.unit === 'points') return { holds: sign * (value - previous) >= condition.by, note: null };
  if (previous === 0)
    return value === 0 || sign < 0
      ? { holds: false, note: null }
      : { holds: null, note: 'a change in % from 0 cannot be told' };
  return { holds: (sign * (value - previous) * 100) / previous >= condition.by, note: null };
}

function judge(
  rule: AlertRule,
  row: ComparedRow,
): Pick<Evaluation, 'value' | 'previous' | 'runs' | 'holds' | 'note'> {
  const metric = METRICS[rule.metric];
  const value = metric.value(row);
  const runs = metric.basis(row);
  // Only a covered previous window carries figures (src/metrics/report-document.ts), and only one with
  // min_runs of its own is compared: messages show that change whatever the condition.
  const before = row.comparison?.coverage === 'covered' ? (row.previous ?? null) : null;
  const previousRuns = before === null ? 0 : metric.basis(before);
  const previous = before !== null && previousRuns >= rule.minRuns ? metric.value(before) : null;
  const cannot = (note: string) => ({ value, previous, runs, holds: null, note });
  if (runs < rule.minRuns)
    return cannot(`${runs} ${metric.basisWords}, fewer than min_runs (${rule.minRuns})`);
  if (value === null) return cannot('no figure in this window');
  if (rule.condition.kind !== 'change')
    return { value, previous, runs, ...conditionHolds(rule.condition, value, null) };
  if (row.comparison?.coverage !== 'covered')
    return cannot(`previous window not comparable: ${row.comparison?.note ?? 'not covered'}`);
  if (previousRuns < rule.minRuns)
    return cannot(
      `${previousRuns} ${metric.basisWords} in the previous window, fewer than min_runs (${rule.minRuns})`,
    );
  return { value, previous, runs, ...conditionHolds(rule.condition, value, previous) };
}

/** Judges `rule` over the window ending at `nowMs`, per project, workflow or over the whole scope. */
export async function evaluateRule(
  source: ReportSource,
  rule: AlertRule,
  nowMs: number,
): Promise<Evaluation[]> {
  const until = new Date(nowMs).toISOString();
  const since = new Date(nowMs - rule.windowMs).toISOString();
  const document = await reportDocument(source, {
    filter: ruleFilter(rule, since, until),
    by: rule.per === 'workflow' ? ['project', 'workflow'] : ['project'],
    metrics: [...METRICS[rule.metric].groups],
    compare: 'previous',
    now: () => nowMs,
  });
  const rows = rule.per === 'scope' ? [document.total] : document.rows.filter((row) => row.runs > 0);
  return rows.map((row) => {
    const subject = subjectOf(rule, row);
    return { rule: rule.name, subject, key: subjectKey(subject), since, until, ...judge(rule, row) };
  });
}
