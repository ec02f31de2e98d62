// Firing alerts as the overview and a project's page show them: one line each, saying the figure, the
// condition and what it is about, linking to the alerts page. Nothing when none fires.
import type { AlertRuleRecord, AlertStateRecord, AlertsDocument } from './api.js';
import { h } from './dom.js';
import { href } from './state.js';

/** `Success rate 80 % over 24h (alert when below 90 %)`. */
export function stateSentence(state: AlertStateRecord, rule: AlertRuleRecord | undefined): string {
  if (!rule) return state.value_text;
  return `${rule.metric_label} ${state.value_text} over ${rule.window} (alert when ${rule.condition})`;
}

/** `2026-03-02 12:00 UTC`. */
export const utcMinute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

export function firingAlerts(document: AlertsDocument | null): HTMLElement | null {
  const firing = document?.states.filter((s) => s.state === 'firing') ?? [];
  if (!document || firing.length === 0) return null;
  const rules = new Map(document.rules.map((r) => [r.name, r]));
  return h(
    'section',
    { class: 'card alerts-firing', role: 'status', 'aria-label': 'Firing alerts' },
    h('h2', {}, `${firing.length} firing alert${firing.length === 1 ? '' : 's'}`),
    h(
      'ul',
      {},
      firing.map((s) =>
        h(
          'li',
          { 'data-alert': s.rule },
          h('a', { href: href('/alerts'), 'data-link': true, class: 'alert-rule' }, s.rule),
          ': ',
          stateSentence(s, rules.get(s.rule)),
          h('span', { class: 'sub' }, `${s.scope_text} · since ${utcMinute(s.since)}`),
        ),
      ),
    ),
  );
}
