// The alerts as `alerts list --json`, the API and the dashboard show them: each rule in words, the state of
// each subject (the figures as last judged), and the last failed delivery of each destination. Never an
// address or a key: destinations are shown by name, type and what keeps them from being used.
import { lastDeliveryFailures, listAlertStates } from '../store/alert-state.js';
import type { Store } from '../store/store.js';
import type { Subject } from './evaluate.js';
import { conditionText, scopeText } from './message.js';
import { formatFigure, METRICS } from './metrics.js';
import type { AlertGrouping, AlertScope, AlertsConfig } from './rules.js';

export interface AlertRuleRecord {
  name: string;
  metric: string;
  metric_label: string;
  scope: AlertScope;
  scope_text: string;
  per: AlertGrouping;
  window: string;
  condition: string;
  min_runs: number;
  notify: string[];
}

export interface AlertStateRecord {
  rule: string;
  subject: Subject;
  state: 'ok' | 'firing';
  since: string;
  value: number | null;
  value_text: string;
  previous_text: string | null;
  runs: number | null;
  evaluated_at: string;
  scope_text: string;
}

export interface DeliveryFailureRecord {
  destination: string;
  rule: string;
  event: string;
  at: string | null;
  attempts: number;
  error: string | null;
}

export interface AlertsDocument {
  /** The alerts file's path; null when there is none. */
  file: string | null;
  /** Why the file cannot be used (its one-line error); null when it can. */
  problem: string | null;
  dashboard_url: string | null;
  destinations: { name: string; type: string; problem: string | null }[];
  rules: AlertRuleRecord[];
  /** States of the file's rules, firing first. */
  states: AlertStateRecord[];
  last_failures: DeliveryFailureRecord[];
}

/** The document for a loaded file (`config`), no file (null), or a file that cannot be used (`problem`). */
export async function alertsDocument(
  store: Store,
  config: AlertsConfig | null,
  problem: { file: string; message: string } | null = null,
): Promise<AlertsDocument> {
  const rules = config?.rules ?? [];
  const byName = new Map(rules.map((r) => [r.name, r]));
  const [states, failures] = await Promise.all([listAlertStates(store), lastDeliveryFailures(store)]);
  return {
    file: config?.file ?? problem?.file ?? null,
    problem: problem?.message ?? null,
    dashboard_url: config?.dashboardUrl ?? null,
    destinations: (config?.destinations ?? []).map((d) => ({
      name: d.name,
      type: d.type,
      problem: d.problem,
    })),
    rules: rules.map((r) => ({
      name: r.name,
      metric: r.metric,
      metric_label: METRICS[r.metric].label,
      scope: r.scope,
      scope_text: scopeText(r, {}),
      per: r.per,
      window: r.window,
      condition: conditionText(r),
      min_runs: r.minRuns,
      notify: r.notify,
    })),
    states: states
      .flatMap((s) => {
        const rule = byName.get(s.rule);
        if (!rule) return [];
        const { kind } = METRICS[rule.metric];
        const subject = JSON.parse(s.subject) as Subject;
        return [
          {
            rule: s.rule,
            subject,
            state: s.state,
            since: s.since,
            value: s.value,
            value_text: formatFigure(kind, s.value),
            previous_text: s.previous === null ? null : formatFigure(kind, s.previous),
            runs: s.runs,
            evaluated_at: s.evaluatedAt,
            scope_text: scopeText(rule, subject),
          },
        ];
      })
      .sort((a, b) => Number(b.state === 'firing') - Number(a.state === 'firing')),
    last_failures: failures.map((f) => ({
      destination: f.destination,
      rule: f.rule,
      event: f.event,
      at: f.finishedAt,
      attempts: f.attempts,
      error: f.error,
    })),
  };
}
