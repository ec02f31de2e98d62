// Run explorer: filter runs, see how each was classified and by which rule, open it on the provider. The
// scatter shows every finished run of the range (not only the page loaded); times read in the browser's
// own time zone, UTC on hover. Workflow and branch are the global filters (the header).
import { api, type Params, type ProjectRecord, type RunPoints, type RunRecord } from '../api.js';
import { axisStyle, CLASS_COLORS, chartFigure, color, durationAxis } from '../charts.js';
import { empty, externalLink, failure, fill, h } from '../dom.js';
import { formatSeconds, formatValue } from '../metrics.js';
import { navigate } from '../navigation.js';
import type { Page } from '../page.js';
import { globalParams, href, periodText, readGlobal } from '../state.js';
import { localTime } from '../times.js';

const PAGE_SIZE = 100;
const CHOICE_FILTERS = ['classification', 'status', 'step_status'] as const;
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'aborted', 'skipped', 'blocked', 'unknown'];

/** The report's outcome bucket of a classification, for colouring. */
function outcomeOf(classification: string | null): keyof typeof CLASS_COLORS {
  switch (classification) {
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

const outcome = (run: RunRecord) => outcomeOf(run.classification);

/** The run's own page in the dashboard: its waterfall of jobs and steps. */
export const runHref = (run: RunRecord) =>
  href(`/run/${encodeURIComponent(run.connection)}/${encodeURIComponent(run.key)}`);

function runRow(run: RunRecord): HTMLElement {
  const result = run.classification ?? run.status;
  const number = run.number === null ? run.key.slice(0, 8) : `#${run.number}`;
  return h(
    'tr',
    { 'data-run': run.key },
    h(
      'td',
      { class: 'num nowrap', 'data-field': 'number' },
      externalLink(run.web_url, number, `Open run ${number} on ${run.provider}`),
    ),
    h(
      'td',
      { class: 'nowrap', 'data-field': 'time' },
      localTime(run.triggered_at),
      h('span', { class: 'sub' }, run.started_at ? localTime(run.started_at, 'started ') : 'not started'),
    ),
    h('td', {}, run.project ?? run.project_key, h('span', { class: 'sub' }, run.connection)),
    h(
      'td',
      {},
      run.workflow,
      h(
        'a',
        {
          class: 'sub',
          href: runHref(run),
          'data-link': true,
          'data-field': 'run-page',
          'aria-label': `Jobs and steps of run ${number}`,
        },
        'jobs and steps',
      ),
    ),
    h(
      'td',
      { class: 'branch' },
      run.branch ?? '—',
      h(
        'span',
        { class: 'sub', 'data-field': 'commit' },
        run.commit_sha ? h('code', { title: run.commit_sha }, run.commit_sha.slice(0, 8)) : 'no commit',
      ),
    ),
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
    h('td', { class: 'num', 'data-field': 'duration' }, formatValue('duration_s', run.duration_s)),
    h('td', { class: 'num' }, formatValue('queue_s', run.queue_s)),
  );
}

/** Every finished run of the range (one in `every` above the server's limit); a click opens its day's runs. */
function durationScatter(points: RunPoints, scope: Params): HTMLElement {
  const groups = Object.keys(CLASS_COLORS) as (keyof typeof CLASS_COLORS)[];
  const series = groups.map((group) => points.points.filter((p) => outcomeOf(p[2]) === group));
  const shown = points.points.length;
  const title =
    points.every === 1
      ? `Duration of all ${points.total.toLocaleString('en')} finished runs, ${periodText(readGlobal())}`
      : `Duration of ${shown.toLocaleString('en')} of ${points.total.toLocaleString('en')} finished runs (every ${points.every}th), ${periodText(readGlobal())}`;
  return chartFigure(
    title,
    {
      xAxis: { type: 'time', ...axisStyle() },
      yAxis: durationAxis(points.points.map((p) => p[1])),
      tooltip: {
        trigger: 'item',
        valueFormatter: (v: unknown) => (typeof v === 'number' ? formatSeconds(v) : String(v)),
      },
      series: groups.map((group, i) => ({
        name: group,
        type: 'scatter',
        symbolSize: 5,
        itemStyle: { color: color(CLASS_COLORS[group]) },
        data: series[i]?.map((p) => [p[0], p[1]]),
      })),
    },
    shown,
    {
      height: 240,
      emptyText: 'No finished runs in this range.',
      onClick: (click) => {
        const point = series[click.seriesIndex]?.[click.dataIndex];
        if (!point) return;
        const day = new Date(point[0]).toISOString().slice(0, 10);
        navigate(href('/runs', scope, { ...readGlobal(), from: day, to: day }));
      },
    },
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
    select('classification', 'Classification', classifications),
    select('status', 'Status', STATUSES),
    h(
      'label',
      {},
      'Step',
      h('input', {
        name: 'step',
        type: 'search',
        value: params.get('step') ?? '',
        placeholder: 'any',
        autocomplete: 'off',
      }),
    ),
    select('step_status', 'Step status', STATUSES),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const [connection, project] = String(data.get('scope') ?? '').split('\u0000');
    const next: Params = { connection, project, trigger: params.getAll('trigger') };
    for (const name of [...CHOICE_FILTERS, 'step']) next[name] = String(data.get(name) ?? '').trim();
    navigate(href('/runs', next));
  });
  return form;
}

/** Says in words which step the runs are chosen by (a "most failing step" link lands here). */
function stepNote(params: URLSearchParams): HTMLElement | null {
  const steps = params.getAll('step');
  const statuses = params.getAll('step_status');
  if (steps.length === 0 && statuses.length === 0) return null;
  const rest = new URLSearchParams(params);
  rest.delete('step');
  rest.delete('step_status');
  return h(
    'p',
    { class: 'note', role: 'status', 'data-field': 'step-filter' },
    'Runs that executed ',
    steps.length ? 'the step ' : 'a step',
    steps.flatMap((s, i) => [i > 0 ? ' or ' : '', h('bdi', {}, s)]),
    statuses.length ? ` ending ${statuses.join(' or ')}` : '',
    '. ',
    h(
      'a',
      {
        href: href('/runs', Object.fromEntries([...rest.keys()].map((k) => [k, rest.getAll(k)]))),
        'data-link': true,
      },
      'Any step',
    ),
  );
}

export const runsPage: Page = async (context) => {
  const { global, params, meta } = context;
  const query: Params = { ...globalParams(global), limit: String(PAGE_SIZE) };
  const scope: Params = {};
  for (const name of ['connection', 'project', 'trigger', 'step', ...CHOICE_FILTERS])
    scope[name] = params.getAll(name);
  Object.assign(query, scope);
  const { limit: _, ...pointQuery } = query;
  const [projects, first, points] = await Promise.all([
    api.projects(),
    api.runs(query),
    api.runPoints(pointQuery),
  ]);
  if (context.stale()) return;
  const form = filterForm(params, meta.classifications, projects);
  const shown: RunRecord[] = [...first.runs];
  const body = h('tbody', {}, first.runs.map(runRow));
  const chartSlot = h('div', {}, durationScatter(points, scope));
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
      fill(status, `${shown.length} runs shown${cursor ? '' : ' (all that match)'}.`);
      more.hidden = cursor === null;
    } catch (error) {
      fill(status, failure('more runs', error));
    } finally {
      more.disabled = false;
    }
  });
  const headers = [
    'Run',
    'Triggered (your time)',
    'Project',
    'Workflow',
    'Branch and commit',
    'Message / reason',
    'Trigger',
    'Result and rule',
    'Duration',
    'Queue',
  ];
  fill(
    context.main,
    h('h1', {}, 'Runs'),
    form,
    stepNote(params),
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
                    h(
                      'th',
                      { scope: 'col', class: ['Run', 'Duration', 'Queue'].includes(t) ? 'num' : '' },
                      t,
                    ),
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
