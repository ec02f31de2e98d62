// Alerts: every rule of the alerts file in words, the state of each subject (firing first), destinations
// that cannot be used and the last failed delivery of each. Rules are written in alerts.yaml
// (docs/alerts.md); this page only shows them.
import { stateSentence, utcMinute } from '../alerts.js';
import { api } from '../api.js';
import { empty, fill, h } from '../dom.js';
import type { Page } from '../page.js';
import { href } from '../state.js';

const table = (caption: string, headings: string[], rows: HTMLElement[]) =>
  h(
    'div',
    { class: 'table-wrap card' },
    h(
      'table',
      { class: 'data' },
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headings.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );

export const alertsPage: Page = async (context) => {
  const document = await api.alerts();
  if (context.stale()) return;
  const rules = new Map(document.rules.map((r) => [r.name, r]));
  const subjectLink = (s: (typeof document.states)[number]) =>
    s.subject.project === undefined
      ? h('span', {}, s.scope_text)
      : h(
          'a',
          {
            href: href(
              `/project/${encodeURIComponent(s.subject.connection ?? '')}/${encodeURIComponent(s.subject.project)}`,
            ),
            'data-link': true,
          },
          s.scope_text,
        );
  fill(
    context.main,
    h('h1', {}, 'Alerts'),
    h(
      'p',
      { class: 'lead' },
      document.file === null
        ? 'No alerts file: write one with "buildlens alerts init" (docs/alerts.md).'
        : `Rules from ${document.file}, judged after every sync and webhook batch.`,
    ),
    document.problem ? h('p', { class: 'state error', role: 'alert' }, document.problem) : null,
    h('h2', {}, 'States'),
    document.states.length === 0
      ? empty('No state yet: the rules are judged after the next sync, or run "buildlens alerts check".')
      : table(
          'State of each alert and what it is about, firing first',
          ['Alert', 'About', 'State', 'Figure', 'Since', 'Judged'],
          document.states.map((s) =>
            h(
              'tr',
              { 'data-state': s.state, 'data-alert': s.rule },
              h('th', { scope: 'row' }, s.rule),
              h('td', {}, subjectLink(s)),
              h('td', {}, h('span', { class: `badge ${s.state}` }, s.state === 'firing' ? 'firing' : 'ok')),
              h('td', {}, stateSentence(s, rules.get(s.rule))),
              h('td', {}, utcMinute(s.since)),
              h('td', {}, utcMinute(s.evaluated_at)),
            ),
          ),
        ),
    h('h2', {}, 'Rules'),
    document.rules.length === 0
      ? empty('No rules.')
      : table(
          'Alert rules',
          ['Alert', 'Metric', 'Scope', 'Per', 'Window', 'Condition', 'Min runs', 'Notifies'],
          document.rules.map((r) =>
            h(
              'tr',
              { 'data-rule': r.name },
              h('th', { scope: 'row' }, r.name),
              h('td', {}, r.metric_label),
              h('td', {}, r.scope_text),
              h('td', {}, r.per),
              h('td', {}, r.window),
              h('td', {}, r.condition),
              h('td', { class: 'num' }, String(r.min_runs)),
              h('td', {}, r.notify.join(', ') || '—'),
            ),
          ),
        ),
    h('h2', {}, 'Destinations'),
    document.destinations.length === 0
      ? empty('No destinations: alerts are only shown here and by "buildlens alerts list".')
      : h(
          'ul',
          { class: 'card destinations' },
          document.destinations.map((d) => {
            const failure = document.last_failures.find((f) => f.destination === d.name);
            return h(
              'li',
              { 'data-destination': d.name },
              h('strong', {}, d.name),
              ` (${d.type})`,
              d.problem ? h('span', { class: 'bad' }, ` cannot be used: ${d.problem}`) : null,
              failure
                ? h(
                    'span',
                    { class: 'sub' },
                    `last failed delivery ${failure.at ? utcMinute(failure.at) : ''} (${failure.rule}, ${failure.event}, ${failure.attempts} attempts): ${failure.error ?? ''}`,
                  )
                : null,
            );
          }),
        ),
  );
};
