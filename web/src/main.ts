// The dashboard: a header with the pages and the global filters, and the page the URL names.
import { api, type Meta, NeedsToken, type ProjectRecord, setToken } from './api.js';
import { disposeCharts, shownCharts } from './charts.js';
import { failure, fill, h, loading } from './dom.js';
import { watchData } from './live.js';
import { navigate, onNavigate } from './navigation.js';
import type { Page } from './page.js';
import { alertsPage } from './pages/alerts.js';
import { connectionsPage } from './pages/connections.js';
import { flakyPage } from './pages/flaky.js';
import { overviewPage } from './pages/overview.js';
import { projectPage } from './pages/project.js';
import { runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { href, pageParams, period, RANGES, readGlobal } from './state.js';

interface Route {
  name: string;
  title: string;
  page: Page;
  /** Shown in the navigation. */
  nav: boolean;
}

const ROUTES: Record<string, Route> = {
  '': { name: '', title: 'Overview', page: overviewPage, nav: true },
  project: { name: 'project', title: 'Project', page: projectPage, nav: false },
  runs: { name: 'runs', title: 'Runs', page: runsPage, nav: true },
  run: { name: 'run', title: 'Run', page: runPage, nav: false },
  flaky: { name: 'flaky', title: 'Flaky', page: flakyPage, nav: true },
  connections: { name: 'connections', title: 'Connections', page: connectionsPage, nav: true },
  alerts: { name: 'alerts', title: 'Alerts', page: alertsPage, nav: true },
};

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const filters = document.getElementById('filters') as HTMLFormElement;
let meta: Meta | null = null;
let projects: ProjectRecord[] | null = null;
let generation = 0;

function drawNav(current: Route): void {
  fill(
    nav,
    Object.values(ROUTES)
      .filter((r) => r.nav)
      .map((r) =>
        h(
          'a',
          { href: href(`/${r.name}`), 'data-link': true, 'aria-current': r === current ? 'page' : null },
          r.title,
        ),
      ),
  );
}

/** The projects whose default branch is inferred or unknown, said in words beside the toggle. */
function defaultBranchNote(projects: ProjectRecord[]): HTMLElement {
  const inferred = projects.filter((p) => p.default_branch_source === 'inferred');
  const unknown = projects.filter((p) => p.default_branch === null);
  return h(
    'p',
    { class: 'note default-branch-note', role: 'status' },
    inferred.length === 0
      ? 'Every default branch is set or given by the provider.'
      : `Inferred default branch (the most-built of main, master, develop, trunk on push runs): ${inferred
          .map((p) => `${p.name} → ${p.default_branch}`)
          .join(', ')}.`,
    unknown.length === 0 ? '' : ` No default branch known for ${unknown.map((p) => p.name).join(', ')}.`,
  );
}

/**
 * The global filters: a preset range or custom dates, provider, workflow, branch and the default-branch
 * view. A change keeps the page and its own filters, and lands in the URL.
 */
function drawFilters(providers: string[], projects: ProjectRecord[]): void {
  const global = readGlobal();
  const change = (event: Event) => {
    const data = new FormData(filters);
    const params = pageParams();
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const range = text('days');
    const custom = (event.target as Element | null)?.getAttribute('type') === 'date' || range === 'custom';
    let from = text('from');
    let to = text('to');
    if (custom && (from || to)) {
      from ||= to;
      to ||= from;
    }
    navigate(
      href(location.pathname, Object.fromEntries([...params.keys()].map((k) => [k, params.getAll(k)])), {
        days: custom ? global.days : Number(range),
        from: custom && from ? from : null,
        to: custom && to ? to : null,
        provider: text('provider'),
        workflow: text('workflow') ? [text('workflow')] : [],
        branch: text('branch') ? [text('branch')] : [],
        defaultBranch: data.get('default_branch') === 'on',
      }),
    );
  };
  const custom = global.from !== null;
  const { since, until } = period(global);
  const field = (name: string, label: string, value: string, hint: string) =>
    h(
      'label',
      {},
      label,
      h('input', { name, type: 'search', value, placeholder: hint, autocomplete: 'off', onchange: change }),
    );
  fill(
    filters,
    h(
      'label',
      {},
      'Range',
      h(
        'select',
        { name: 'days', onchange: change },
        RANGES.map((d) =>
          h('option', { value: d, selected: !custom && d === global.days }, `last ${d} days`),
        ),
        h('option', { value: 'custom', selected: custom }, 'custom dates'),
      ),
    ),
    h(
      'label',
      {},
      'From',
      h('input', { type: 'date', name: 'from', value: since.slice(0, 10), onchange: change }),
    ),
    h(
      'label',
      {},
      'To',
      h('input', {
        type: 'date',
        name: 'to',
        value: new Date(Date.parse(until) - 1).toISOString().slice(0, 10),
        onchange: change,
      }),
    ),
    h(
      'label',
      {},
      'Provider',
      h(
        'select',
        { name: 'provider', onchange: change },
        h('option', { value: '' }, 'all'),
        providers.map((p) => h('option', { value: p, selected: p === global.provider }, p)),
      ),
    ),
    field('workflow', 'Workflow', global.workflow.join(', '), 'any'),
    field('branch', 'Branch', global.branch.join(', '), 'any'),
    h(
      'label',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        name: 'default_branch',
        checked: global.defaultBranch,
        onchange: change,
      }),
      'Default branch only',
    ),
    global.defaultBranch ? defaultBranchNote(projects) : null,
  );
  filters.onsubmit = (event) => {
    event.preventDefault();
    change(event);
  };
}

function askForToken(): void {
  const input = h('input', {
    type: 'password',
    name: 'token',
    required: true,
    autocomplete: 'current-password',
    id: 'token',
  });
  const form = h(
    'form',
    { class: 'card token' },
    h('h1', {}, 'Access token needed'),
    h(
      'p',
      {},
      'This server asks for an access token: one made for you with buildlens token create (viewer or admin), or the one it was started with (BUILDLENS_SERVER_TOKEN). It is kept for this tab only.',
    ),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit' }, 'Continue'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    void draw();
  });
  fill(main, form);
  input.focus();
}

/**
 * Draws the page the URL names. `again`: the same page with fresh data (new runs landed): no loading
 * placeholder and the filters untouched, its charts replaced only once the new ones are drawn, the scroll
 * position kept; if it fails, what is shown stays.
 */
async function draw(again = false): Promise<void> {
  const mine = ++generation;
  const shown = again ? shownCharts() : [];
  if (!again) disposeCharts();
  const [first = '', ...rest] = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const route = ROUTES[first];
  drawNav(route ?? (ROUTES[''] as Route));
  if (!route) {
    fill(
      main,
      h('h1', {}, 'Not found'),
      h('p', {}, 'There is no such page. '),
      h('a', { href: href('/'), 'data-link': true }, 'Go to the overview'),
    );
    return;
  }
  document.title = `${route.title} · buildlens`;
  const scroll = { left: window.scrollX, top: window.scrollY };
  if (!again) fill(main, loading(route.title.toLowerCase()));
  try {
    meta ??= await api.meta();
    // The projects' default branches, for the words beside the default-branch toggle.
    projects ??= await api.projects();
    if (!again) drawFilters(meta.providers, projects);
    await route.page({
      main,
      global: readGlobal(),
      params: pageParams(),
      path: rest,
      meta,
      stale: () => mine !== generation,
    });
    if (again && mine === generation) window.scrollTo(scroll);
    // Once the API answered (with the token, where one is needed): follow its changes from now on.
    if (!following) {
      following = true;
      void watchData(dataChanged, (on) => {
        document.documentElement.dataset.live = on ? 'on' : 'off';
      });
    }
  } catch (error) {
    if (mine !== generation || again) return;
    if (error instanceof NeedsToken) askForToken();
    else fill(main, h('h1', {}, route.title), failure(route.title.toLowerCase(), error));
  } finally {
    disposeCharts(shown);
  }
}

/** A form field of the page has the focus: drawing the page again would take it and what was typed. */
const editing = () => {
  const active = document.activeElement;
  return active !== null && main.contains(active) && active.matches('input, select, textarea');
};
let drawAgain = false;
let following = false;

/** New data landed: the page is drawn again now, or once the tab is seen and no field is being edited. */
function dataChanged(): void {
  drawAgain = true;
  if (document.hidden || editing()) return;
  drawAgain = false;
  // Projects and their default branches may have changed too: read them at the next full draw.
  projects = null;
  void draw(true);
}

const drawIfWaiting = () => {
  if (drawAgain) dataChanged();
};
document.addEventListener('visibilitychange', drawIfWaiting);
// Focus moves after focusout: look once it has.
main.addEventListener('focusout', () => setTimeout(drawIfWaiting));

onNavigate(() => void draw());
// Colours are read from CSS when charts are drawn: redraw when the system switches light/dark.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => void draw());
void draw();
