// Run explorer: filter runs, see how each was classified and by which rule, open it on the provider.
import { api, type Params, type ProjectRecord, type RunRecord } from '../api.js';
import { axisStyle, CLASS_COLORS, chartFigure, color } from '../charts.js';
import { empty, externalLink, failure, fill, h } from '../dom.js';
import { formatSeconds, formatValue } from '../metrics.js';
import { navigate } from '../navigation.js';
import type { Page } from '../page.js';
import { globalParams, href } from '../state.js';

const PAGE_SIZE = 100;
const TEXT_FILTERS = ['workflow', 'branch'] as const;
const CHOICE_FILTERS = ['classification', 'status'] as const;
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'aborted', 'skipped', 'blocked', 'unknown'];

/** The report's outcome bucket of a run, for colouring. */
function outcome(run: RunRecord): keyof typeof CLASS_COLORS {
  switch (run.classification) {
    case 'success':
      return 'success';
    case 'failure':
    case 'infra_failure':
      return 'failure';
    case 'aborted_manual':
    case 'aborted_auto':
      return 'aborted';
    case 'skipped':
      return 'skipped';
    default:
      return 'running';
  }
}

const time = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

function runRow(run: RunRecord): HTMLElement {
  const result = run.classification ?? run.status;
  return h(
    'tr',
    { 'data-run': run.key },
    h(
      'td',
      { class: 'nowrap' },
      h('time', { datetime: run.triggered_at }, time(run.triggered_at)),
      h('span', { class: 'sub' }, `started ${time(run.started_at)}`),
      h('span', { class: 'sub' }, `finished ${time(run.finished_at)}`),
    ),
    h('td', {}, run.project ?? run.project_key, h('span', { class: 'sub' }, run.connection)),
    h('td', {}, run.workflow),
    h('td', { class: 'branch' }, run.branch ?? '—'),
    h(
      'td',
      { class: 'message' },
      run.message ?? '',
      run.reason ? h('span', { class: 'sub' }, run.reason) : null,
    ),
    h('td', {}, run.trigger),
    h(
      'td',
      {},
      h('span', { class: `badge ${outcome(run)}` }, result),
      h(
        'span',
        { class: 'sub', title: 'rule that set the classification' },
        run.classified_by ?? 'not finished',
      ),
    ),
    h('td', { class: 'num' }, formatValue('duration_s', run.duration_s)),
    h('td', { class: 'num' }, formatValue('queue_s', run.queue_s)),
    h('td', {}, externalLink(run.web_url, 'Open', `Open run ${run.number ?? run.key} on ${run.provider}`)),
  );
}

function durationScatter(runs: RunRecord[]): HTMLElement {
  const finished = runs.filter((r) => r.duration_s !== null);
  const groups = Object.keys(CLASS_COLORS) as (keyof typeof CLASS_COLORS)[];
  return chartFigure(
    `Duration of the ${finished.length} finished runs shown`,
    {
      xAxis: { type: 'time', ...axisStyle() },
      yAxis: {
        type: 'value',
        ...axisStyle(),
        axisLabel: { ...axisStyle().axisLabel, formatter: formatSeconds },
      },
      tooltip: {
        trigger: 'item',
        valueFormatter: (v: unknown) => (typeof v === 'number' ? formatSeconds(v) : String(v)),
      },
      series: groups.map((group) => ({
        name: group,
        type: 'scatter',
        symbolSize: 6,
        itemStyle: { color: color(CLASS_COLORS[group]) },
        data: finished.filter((r) => outcome(r) === group).map((r) => [r.triggered_at, r.duration_s]),
      })),
    },
    finished.length,
    { height: 220, emptyText: 'No finished runs among these.' },
  );
}

function filterForm(
  params: URLSearchParams,
  classifications: string[],
  projects: ProjectRecord[],
): HTMLElement {
  const chosen = `${params.get('connection') ?? ''}\u0000${params.get('project') ?? ''}`;
  const select = (name: string, label: string, choices: string[]) =>
    h(
      'label',
      {},
      label,
      h(
        'select',
        { name },
        h('option', { value: '' }, 'any'),
        choices.map((c) => h('option', { value: c, selected: params.get(name) === c }, c)),
      ),
    );
  const form = h(
    'form',
    { class: 'run-filters card', 'aria-label': 'Run filters' },
    h(
      'label',
      {},
      'Project',
      h(
        'select',
        { name: 'scope' },
        h('option', { value: '' }, 'all'),
        projects.map((p) => {
          const value = `${p.connection}\u0000${p.name}`;
          return h('option', { value, selected: value === chosen }, `${p.name} (${p.connection})`);
        }),
      ),
    ),
    TEXT_FILTERS.map((name) =>
      h(
        'label',
        {},
        name[0]?.toUpperCase() + name.slice(1),
        h('input', { name, type: 'search', value: params.get(name) ?? '', autocomplete: 'off' }),
      ),
    ),
    select('classification', 'Classification', classifications),
    select('status', 'Status', STATUSES),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const [connection, project] = String(data.get('scope') ?? '').split('\u0000');
    const next: Params = { connection, project };
    for (const name of [...TEXT_FILTERS, ...CHOICE_FILTERS]) next[name] = String(data.get(name) ?? '').trim();
    navigate(href('/runs', next));
  });
  return form;
}

export const runsPage: Page = async (context) => {
  const { global, params, meta } = context;
  const query: Params = { ...globalParams(global), limit: String(PAGE_SIZE) };
  for (const name of ['connection', 'project', ...TEXT_FILTERS, ...CHOICE_FILTERS])
    query[name] = params.getAll(name);
  const [projects, first] = await Promise.all([api.projects(), api.runs(query)]);
  if (context.stale()) return;
  const form = filterForm(params, meta.classifications, projects);
  const shown: RunRecord[] = [...first.runs];
  const body = h('tbody', {}, first.runs.map(runRow));
  const chartSlot = h('div', {}, durationScatter(shown));
  const status = h(
    'p',
    { class: 'note', role: 'status' },
    `${shown.length} runs shown${first.next_cursor ? '' : ' (all that match)'}.`,
  );
  let cursor = first.next_cursor;
  const more = h('button', { type: 'button', class: 'more' }, 'Load more');
  more.hidden = cursor === null;
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await api.runs({ ...query, cursor: cursor ?? undefined });
      shown.push(...page.runs);
      body.append(...page.runs.map(runRow));
      cursor = page.next_cursor;
      fill(chartSlot, durationScatter(shown));
      fill(status, `${shown.length} runs shown${cursor ? '' : ' (all that match)'}.`);
      more.hidden = cursor === null;
    } catch (error) {
      fill(status, failure('more runs', error));
    } finally {
      more.disabled = false;
    }
  });
  const headers = [
    'Times (UTC)',
    'Project',
    'Workflow',
    'Branch',
    'Message / reason',
    'Trigger',
    'Result and rule',
    'Duration',
    'Queue',
    'Provider',
  ];
  fill(
    context.main,
    h('h1', {}, 'Runs'),
    form,
    shown.length === 0
      ? empty('No runs match these filters in this range.')
      : [
          chartSlot,
          h(
            'div',
            { class: 'table-wrap card' },
            h(
              'table',
              { class: 'data runs' },
              h('caption', { class: 'visually-hidden' }, 'Runs, newest first'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  headers.map((t) =>
                    h('th', { scope: 'col', class: t === 'Duration' || t === 'Queue' ? 'num' : '' }, t),
                  ),
                ),
              ),
              body,
            ),
          ),
          status,
          more,
        ],
  );
};
