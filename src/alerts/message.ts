// What an alert says, whatever carries it: the figure, its change against the previous window, the
// condition, the scope, and a link to the dashboard. Stored as JSON in the outbox when the transition is
// made, so a delivery retried later (by any process) says exactly what it said then.
import type { Evaluation } from './evaluate.js';
import { formatFigure, METRICS } from './metrics.js';
import type { AlertRule, Condition } from './rules.js';

export interface AlertMessage {
  event: 'firing' | 'resolved';
  rule: string;
  metric: string;
  metric_label: string;
  value: number | null;
  value_text: string;
  previous: number | null;
  previous_text: string | null;
  /** `+24 %` (relative) or for rates `−6.5 points`; null when not compared. */
  change_text: string | null;
  condition_text: string;
  window: string;
  subject: { connection?: string; project?: string; workflow?: string };
  scope_text: string;
  runs: number;
  /** When the condition was found to hold (or to stop holding). */
  at: string;
  link: string | null;
}

const signed = (n: number, digits: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(digits)}`;

export function conditionText(rule: AlertRule): string {
  const { kind } = METRICS[rule.metric];
  const condition: Condition = rule.condition;
  if (condition.kind !== 'change') return `${condition.kind} ${formatFigure(kind, condition.threshold)}`;
  const amount = condition.unit === 'points' ? `${round(condition.by * 100)} points` : `${condition.by} %`;
  return `${condition.direction} ${amount} on the previous ${rule.window}`;
}

const round = (n: number) => Math.round(n * 10) / 10;

function changeText(rule: AlertRule, value: number | null, previous: number | null): string | null {
  if (value === null || previous === null) return null;
  if (METRICS[rule.metric].kind === 'rate') return `${signed((value - previous) * 100, 1)} points`;
  if (previous === 0) return null;
  return `${signed(((value - previous) * 100) / previous, 0)} %`;
}

/** `ios-app (bitrise), workflow primary, default branch` — what the alert is about, in words. */
export function scopeText(rule: AlertRule, subject: AlertMessage['subject']): string {
  const parts: string[] = [];
  if (subject.project !== undefined) parts.push(`${subject.project} (${subject.connection ?? ''})`);
  else {
    const { connection, project } = rule.scope;
    if (project) parts.push(`projects ${project.join(', ')}`);
    if (connection) parts.push(`connections ${connection.join(', ')}`);
    if (!project && !connection) parts.push('every project');
  }
  if (subject.workflow !== undefined) parts.push(`workflow ${subject.workflow}`);
  else if (rule.scope.workflow) parts.push(`workflows ${rule.scope.workflow.join(', ')}`);
  const branch = rule.scope.branch;
  parts.push(
    branch === undefined
      ? 'default branch'
      : branch.includes('*')
        ? 'every branch'
        : `branch ${branch.join(', ')}`,
  );
  return parts.join(', ');
}

function linkFor(dashboardUrl: string | null, subject: AlertMessage['subject']): string | null {
  if (dashboardUrl === null) return null;
  if (subject.project === undefined) return `${dashboardUrl}/alerts`;
  const part = encodeURIComponent;
  return `${dashboardUrl}/project/${part(subject.connection ?? '')}/${part(subject.project)}`;
}

export function alertMessage(
  rule: AlertRule,
  evaluation: Evaluation,
  event: AlertMessage['event'],
  dashboardUrl: string | null,
  at: string,
): AlertMessage {
  const { kind, label } = METRICS[rule.metric];
  return {
    event,
    rule: rule.name,
    metric: rule.metric,
    metric_label: label,
    value: evaluation.value,
    value_text: formatFigure(kind, evaluation.value),
    previous: evaluation.previous,
    previous_text: evaluation.previous === null ? null : formatFigure(kind, evaluation.previous),
    change_text: changeText(rule, evaluation.value, evaluation.previous),
    condition_text: conditionText(rule),
    window: rule.window,
    subject: evaluation.subject,
    scope_text: scopeText(rule, evaluation.subject),
    runs: evaluation.runs,
    at,
    link: linkFor(dashboardUrl, evaluation.subject),
  };
}

/** One line for logs and terminals: `FIRING main-success-rate: Success rate 82.5 % (below 90 %) — ios-app …`. */
export function messageLine(message: AlertMessage): string {
  const change = message.change_text ? `, ${message.change_text} on the previous ${message.window}` : '';
  return `${message.event === 'firing' ? 'FIRING' : 'RESOLVED'} ${message.rule}: ${message.metric_label} ${message.value_text} over ${message.window}${change} (alert when ${message.condition_text}) — ${message.scope_text}`;
}
