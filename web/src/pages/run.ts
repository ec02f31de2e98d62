// One run: what it was, and a waterfall of its jobs and their steps on one time axis from its trigger,
// with queue and setup apart from work, the critical path marked in words and outline, and every status
// written out (colour only repeats it). Names come from providers: they are text, isolated for RTL.
import { api, type RunRecord } from '../api.js';
import { empty, externalLink, fill, h } from '../dom.js';
import { formatSeconds, formatValue } from '../metrics.js';
import type { Page } from '../page.js';
import { href } from '../state.js';
import { durationTicks, tickLabel } from '../ticks.js';
import { localTime } from '../times.js';
import { type Lane, type Span, type Waterfall, waterfall } from '../waterfall.js';

/** The badge colour of a status (the run vocabulary); the word is always shown beside it. */
function outcomeOfStatus(status: string): string {
  switch (status) {
    case 'succeeded':
      return 'success';
    case 'failed':
      return 'failure';
    case 'aborted':
      return 'aborted';
    case 'skipped':
      return 'skipped';
    default:
      return 'running';
  }
}

const length = (span: Span | null) => (span === null ? null : span.to - span.from);
const at = (seconds: number) => `+${formatSeconds(seconds)}`;

/** Where a span sits on the track, through CSSOM (the Content-Security-Policy allows no style attributes). */
function segment(span: Span, total: number, className: string, what: string): HTMLElement {
  const element = h('span', {
    class: `seg ${className}`,
    title: `${what} ${formatSeconds(span.to - span.from)} (${at(span.from)} to ${at(span.to)})`,
  });
  element.style.left = `${(span.from / total) * 100}%`;
  element.style.width = `${Math.max(0.4, ((span.to - span.from) / total) * 100)}%`;
  return element;
}

/** The lane's bar; in words for screen readers, as the columns beside it say in numbers. */
function track(lane: Lane, total: number): HTMLElement {
  const parts: [Span | null, string, string][] = [
    [lane.queue, 'queue', 'queue'],
    [lane.setup, 'setup', 'setup'],
    [lane.work, `work ${outcomeOfStatus(lane.status)}`, lane.kind === 'job' ? 'work' : lane.status],
  ];
  const shown = parts.filter((p): p is [Span, string, string] => p[0] !== null);
  const words = shown.map(([span, , what]) => `${what} from ${at(span.from)} to ${at(span.to)}`);
  return h(
    'div',
    { class: 'track', role: 'img', 'aria-label': words.length ? words.join(', ') : 'did not start' },
    shown.map(([span, className, what]) => segment(span, total, className, what)),
  );
}

function axis(total: number): HTMLElement {
  const ticks = durationTicks(total);
  const labels: HTMLElement[] = [];
  for (let t = 0; t <= total; t += ticks.interval) {
    const tick = h('span', { class: 'tick' }, t === 0 ? 'trigger' : `+${tickLabel(t)}`);
    tick.style.left = `${(t / total) * 100}%`;
    labels.push(tick);
  }
  return h('div', { class: 'axis', 'aria-hidden': 'true' }, labels);
}

function laneRow(lane: Lane, total: number): HTMLElement {
  const duration = lane.work === null ? null : lane.work.to - (lane.setup?.from ?? lane.work.from);
  return h(
    'tr',
    { class: `${lane.kind}${lane.critical ? ' critical' : ''}`, 'data-lane': lane.kind },
    h(
      'th',
      { scope: 'row', class: 'lane-name' },
      h('bdi', {}, lane.name),
      lane.critical ? h('span', { class: 'tag critical-tag' }, 'critical path') : null,
      lane.webUrl ? h('span', { class: 'sub' }, externalLink(lane.webUrl, 'on the provider')) : null,
    ),
    h(
      'td',
      { 'data-field': 'status' },
      h('span', { class: `badge ${outcomeOfStatus(lane.status)}` }, lane.status),
      lane.retried ? h('span', { class: 'sub' }, 'retried: a later execution replaced it') : null,
    ),
    h('td', { class: 'timeline' }, track(lane, total)),
    h('td', { class: 'num', 'data-field': 'queue' }, formatValue('queue_s', length(lane.queue))),
    h('td', { class: 'num', 'data-field': 'setup' }, formatValue('setup_s', length(lane.setup))),
    h('td', { class: 'num', 'data-field': 'work' }, formatValue('duration_s', length(lane.work))),
    h('td', { class: 'num', 'data-field': 'duration' }, formatValue('duration_s', duration)),
  );
}

function legend(): HTMLElement {
  const item = (className: string, text: string) =>
    h('li', {}, h('span', { class: `seg swatch ${className}`, 'aria-hidden': 'true' }), text);
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    item('queue', 'queue: waiting for an agent or a machine'),
    item('setup', 'setup: from start to the first step (environment, checkout of the agent)'),
    item('work success', 'work, coloured by status (the status is also written beside each bar)'),
    h('li', {}, h('span', { class: 'tag critical-tag' }, 'critical path'), 'jobs on the critical path'),
  );
}

function waterfallTable(fall: Waterfall): HTMLElement {
  const headers = ['Job / step', 'Status', 'Timeline from the trigger', 'Queue', 'Setup', 'Work', 'Duration'];
  return h(
    'section',
    { class: 'card waterfall' },
    h('h2', {}, 'Waterfall'),
    fall.criticalPath.length
      ? h(
          'p',
          { class: 'note', 'data-field': 'critical-path' },
          'Critical path: ',
          fall.criticalPath.flatMap((name, i) => [i > 0 ? ' → ' : '', h('bdi', {}, name)]),
        )
      : null,
    legend(),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data compact lanes' },
        h('caption', { class: 'visually-hidden' }, 'Jobs and their steps in the order they ran'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            headers.map((t) =>
              h(
                'th',
                { scope: 'col', class: ['Queue', 'Setup', 'Work', 'Duration'].includes(t) ? 'num' : '' },
                t === 'Timeline from the trigger' ? [t, axis(fall.span)] : t,
              ),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          fall.lanes.map((lane) => laneRow(lane, fall.span)),
        ),
      ),
    ),
  );
}

function summary(run: RunRecord): HTMLElement {
  const item = (term: string, ...value: (Node | string)[]) => [h('dt', {}, term), h('dd', {}, ...value)];
  return h(
    'dl',
    { class: 'card facts' },
    item(
      'Status',
      h('span', { class: `badge ${outcomeOfStatus(run.status)}`, 'data-field': 'run-status' }, run.status),
      run.classification ? ` classified ${run.classification}` : '',
      run.classified_by ? h('span', { class: 'sub' }, `by ${run.classified_by}`) : '',
    ),
    item('Triggered', localTime(run.triggered_at), h('span', { class: 'sub' }, run.trigger)),
    item('Queue', formatValue('queue_s', run.queue_s)),
    run.setup_s === null ? [] : item('Setup', formatValue('setup_s', run.setup_s)),
    item('Duration', formatValue('duration_s', run.duration_s)),
    item('Branch', h('bdi', {}, run.branch ?? '—')),
    item('Commit', run.commit_sha ? h('code', {}, run.commit_sha.slice(0, 12)) : '—'),
    run.message ? item('Message', h('bdi', { class: 'message' }, run.message)) : [],
    run.reason ? item('Reason', h('bdi', {}, run.reason)) : [],
    item('Provider', externalLink(run.web_url, `open on ${run.provider}`)),
  );
}

export const runPage: Page = async (context) => {
  const [connection = '', key = ''] = context.path;
  const [run, jobs, steps] = await Promise.all([
    api.run(key, connection),
    api.runJobs(key, connection),
    api.runSteps(key, connection),
  ]);
  if (context.stale()) return;
  const fall = waterfall(run, jobs, steps);
  const project = run.project ?? run.project_key;
  const number = run.number === null ? run.key.slice(0, 8) : `#${run.number}`;
  fill(
    context.main,
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: href('/runs', { connection: run.connection, project }), 'data-link': true }, 'Runs'),
      ' / ',
      h(
        'a',
        {
          href: href(`/project/${encodeURIComponent(run.connection)}/${encodeURIComponent(project)}`),
          'data-link': true,
        },
        h('bdi', {}, project),
      ),
    ),
    h('h1', {}, `Run ${number} `, h('bdi', {}, run.workflow)),
    summary(run),
    fall.lanes.every((lane) => lane.work === null && lane.queue === null)
      ? empty('Nothing of this run has started yet, or its jobs carry no times.')
      : waterfallTable(fall),
  );
};
