// The dashboard: a header with the pages and the global filters, and the page the URL names.
import { api, type Meta, NeedsToken, setToken } from './api.js';
import { disposeCharts } from './charts.js';
import { failure, fill, h, loading } from './dom.js';
import { navigate, onNavigate } from './navigation.js';
import type { Page } from './page.js';
import { connectionsPage } from './pages/connections.js';
import { flakyPage } from './pages/flaky.js';
import { overviewPage } from './pages/overview.js';
import { projectPage } from './pages/project.js';
import { runsPage } from './pages/runs.js';
import { href, pageParams, RANGES, readGlobal } from './state.js';

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
  flaky: { name: 'flaky', title: 'Flaky', page: flakyPage, nav: true },
  connections: { name: 'connections', title: 'Connections', page: connectionsPage, nav: true },
};

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const filters = document.getElementById('filters') as HTMLFormElement;
let meta: Meta | null = null;
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

/** Range and provider: changing either keeps the page and its own filters, and lands in the URL. */
function drawFilters(providers: string[]): void {
  const global = readGlobal();
  const change = () => {
    const data = new FormData(filters);
    const params = pageParams();
    const days = String(data.get('days'));
    const provider = String(data.get('provider') ?? '');
    navigate(
      href(location.pathname, Object.fromEntries([...params.keys()].map((k) => [k, params.getAll(k)])), {
        days: Number(days),
        provider,
      }),
    );
  };
  fill(
    filters,
    h(
      'label',
      {},
      'Range',
      h(
        'select',
        { name: 'days', onchange: change },
        RANGES.map((d) => h('option', { value: d, selected: d === global.days }, `last ${d} days`)),
      ),
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
  );
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
      'This server asks for the token it was started with (BUILDLENS_SERVER_TOKEN). It is kept for this tab only.',
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

async function draw(): Promise<void> {
  const mine = ++generation;
  disposeCharts();
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
  fill(main, loading(route.title.toLowerCase()));
  try {
    meta ??= await api.meta();
    drawFilters(meta.providers);
    await route.page({
      main,
      global: readGlobal(),
      params: pageParams(),
      path: rest,
      meta,
      stale: () => mine !== generation,
    });
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof NeedsToken) askForToken();
    else fill(main, h('h1', {}, route.title), failure(route.title.toLowerCase(), error));
  }
}

onNavigate(() => void draw());
// Colours are read from CSS when charts are drawn: redraw when the system switches light/dark.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => void draw());
void draw();
