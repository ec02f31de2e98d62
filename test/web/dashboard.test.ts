/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard in real Chromium against a real server over a store synced from the sandbox: every page
// draws charts with data, filters change the numbers and live in the URL, untrusted text stays text.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createApiToken, revokeApiToken } from '../../src/store/api-tokens.js';
import { openStore, type Store } from '../../src/store/store.js';
import { syncFromSandbox } from '../server/fixture.js';
import {
  buildDashboard,
  CHROMIUM_SKIP,
  chromiumAvailable,
  contrasts,
  launchBrowser,
  watchedPage,
} from './browser.js';

const SCREENSHOTS = resolve('test-output/screenshots');
const skip = chromiumAvailable() ? false : CHROMIUM_SKIP;
if (skip) console.log(`# ${CHROMIUM_SKIP}`);

let server: RunningServer;
let serverWebRoot: string;
let store: Store;
let browser: { context: BrowserContext; close(): Promise<void> };
const scratch = mkdtempSync(join(tmpdir(), 'buildlens-web-test-'));
const cleanups: (() => Promise<unknown> | unknown)[] = [];

before(async () => {
  if (skip) return;
  process.env.XDG_DATA_HOME = join(scratch, 'data');
  const webRoot = await buildDashboard();
  serverWebRoot = webRoot;
  cleanups.push(() => rmSync(webRoot, { recursive: true, force: true }));
  store = await openStore(join(scratch, 'buildlens.db'));
  await syncFromSandbox(store, { after: (fn: () => unknown) => void cleanups.push(fn) });
  server = await startServer({ store, host: '127.0.0.1', port: 0, token: null, syncEveryMs: null, webRoot });
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
  console.log(`# screenshots in ${SCREENSHOTS}`);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const openPage = (path: string) => watchedPage(browser.context, `${server.url}${path}`);

/** Charts on the page that drew their data: data-points > 0 and SVG shapes inside. */
async function drawnCharts(page: Page, selector = '.chart'): Promise<number> {
  await page.waitForFunction((s) => document.querySelectorAll(`${s} svg path`).length > 0, selector);
  return page.$$eval(
    selector,
    (charts) =>
      charts.filter((c) => Number(c.getAttribute('data-points')) > 0 && c.querySelector('svg path') !== null)
        .length,
  );
}

const kpi = (page: Page, metric: string) => page.textContent(`.kpi-value[data-metric="${metric}"]`);

test('overview: every project with numbers and sparklines; the provider filter changes them and lives in the URL', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/');
  await page.waitForSelector('table.data tbody tr');
  const projects = await page.$$eval('tbody tr[data-project]', (rows) => rows.length);
  assert.ok(projects >= 4, `${projects} projects listed`);
  assert.ok((await drawnCharts(page, '.spark')) >= projects - 1, 'sparklines drawn');
  assert.ok((await drawnCharts(page)) >= 2, 'throughput and duration charts drawn');
  const allRuns = Number((await kpi(page, 'runs'))?.replace(/,/g, ''));
  assert.ok(allRuns > 0);
  // 90 days of history and a 30-day range: every project has a previous period to compare with.
  const arrows = await page.$$eval('tbody tr[data-project] .trend', (spans) =>
    spans.map((s) => s.textContent ?? '').filter((t) => /^[▲▼→] /.test(t)),
  );
  assert.ok(arrows.length >= projects, `${arrows.length} trend arrows for ${projects} projects`);
  await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });

  const before = await kpi(page, 'runs');
  await page.selectOption('select[name="provider"]', 'bitrise');
  await page.waitForURL(/provider=bitrise/);
  await page.waitForFunction(
    (text) => document.querySelector('.kpi-value[data-metric="runs"]')?.textContent !== text,
    before,
  );
  const bitriseRuns = Number((await kpi(page, 'runs'))?.replace(/,/g, ''));
  assert.ok(bitriseRuns > 0 && bitriseRuns < allRuns, `${bitriseRuns} of ${allRuns}`);
  const bitriseRate = await kpi(page, 'success_rate');
  const shared = page.url();

  const again = await openPage(new URL(shared).pathname + new URL(shared).search);
  await again.page.waitForSelector('.kpi-value[data-metric="runs"]');
  assert.equal(
    Number((await kpi(again.page, 'runs'))?.replace(/,/g, '')),
    bitriseRuns,
    'the URL reproduces the view',
  );
  assert.equal(await kpi(again.page, 'success_rate'), bitriseRate);
  assert.equal(await again.page.inputValue('select[name="provider"]'), 'bitrise');
  assert.deepEqual([...problems, ...again.problems], []);
  await again.page.close();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than a phone screen`);
  await page.screenshot({ path: join(SCREENSHOTS, 'overview-phone.png'), fullPage: true });
  await page.close();
  if (process.env.BUILDLENS_UPDATE_SCREENSHOT)
    copyFileSync(join(SCREENSHOTS, 'overview.png'), resolve('docs/screenshot.png'));
});

test('project page: time series, outcomes, breakdowns and rankings, all drawn from data', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/?days=90');
  await page.click('tbody tr[data-project] th a');
  await page.waitForURL(/\/project\//);
  await page.waitForSelector('h2');
  const charts = await drawnCharts(page);
  assert.ok(charts >= 6, `${charts} charts with data`);
  assert.match((await page.textContent('main h1')) ?? '', /\S/);
  assert.ok((await page.$$('.ranking li')).length > 0, 'slowest / most failing workflows listed');
  assert.ok(page.url().includes('days=90'), 'the range follows to the project page');
  await page.screenshot({ path: join(SCREENSHOTS, 'project.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('run explorer: filters narrow the runs, classifications show their rule, HTML in messages stays text', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/runs?days=90');
  await page.waitForSelector('tbody tr[data-run]');
  assert.ok((await drawnCharts(page)) >= 1);
  const messages = await page.$$eval('td.message', (cells) => cells.map((c) => c.textContent ?? ''));
  assert.ok(
    messages.some((m) => m.includes('<')),
    'the sandbox sends HTML in some commit messages',
  );
  assert.equal(await page.$$eval('tbody script, tbody img, tbody iframe', (els) => els.length), 0);
  assert.equal(await page.evaluate(() => document.querySelectorAll('script:not([src])').length), 0);
  const links = await page.$$eval('tbody a[target="_blank"]', (as) =>
    as.map((a) => (a as HTMLAnchorElement).protocol),
  );
  assert.ok(links.length > 0 && links.every((p) => p === 'http:' || p === 'https:'));
  await page.screenshot({ path: join(SCREENSHOTS, 'runs.png'), fullPage: true });

  await page.selectOption('select[name="classification"]', 'failure');
  await page.click('form.run-filters button[type="submit"]');
  await page.waitForURL(/classification=failure/);
  await page.waitForFunction(() => {
    const badges = [...document.querySelectorAll('tbody .badge')];
    return badges.length > 0 && badges.every((b) => b.textContent === 'failure');
  });
  const rules = await page.$$eval('tbody .badge + .sub', (subs) => subs.map((s) => s.textContent));
  assert.deepEqual([...new Set(rules)], ['default:failed']);
  assert.deepEqual(problems, []);
  await page.close();
});

test('flaky runs: totals, charts, and the commits and jobs behind them with provider links', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/flaky?days=90');
  await page.waitForSelector('.kpi-value[data-metric="flaky_runs"]');
  assert.ok((await drawnCharts(page)) >= 2, 'flaky runs over time and by project');
  const commits = await page.$$('tr[data-commit]');
  assert.ok(commits.length > 0, 'flaky commits listed');
  const links = await page.$$eval('tbody a[target="_blank"]', (as) =>
    as.map((a) => (a as HTMLAnchorElement).protocol),
  );
  assert.ok(links.length > 0 && links.every((p) => p === 'http:' || p === 'https:'));
  await page.screenshot({ path: join(SCREENSHOTS, 'flaky.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('connections: last sync shown, verify explains the outcome', { skip }, async () => {
  const { page, problems } = await openPage('/connections');
  await page.waitForSelector('tr[data-connection]');
  assert.equal((await page.$$('tr[data-connection]')).length, 2);
  assert.ok((await drawnCharts(page)) >= 1);
  await page.click('tr[data-connection="bitrise-sandbox"] button:has-text("Verify")');
  await page.waitForSelector('tr[data-connection="bitrise-sandbox"] [data-code]');
  assert.equal(
    await page.getAttribute('tr[data-connection="bitrise-sandbox"] [data-code]', 'data-code'),
    'ok',
  );
  // Success lists what was checked, once each, instead of two sentences saying it works.
  const checked = await page.$$eval('tr[data-connection="bitrise-sandbox"] .verify-result li', (items) =>
    items.map((li) => li.textContent ?? ''),
  );
  assert.equal(checked[0], 'token accepted');
  assert.match(checked[1] ?? '', /^\d+ apps visible$/);
  assert.equal(new Set(checked).size, checked.length);
  assert.equal(
    await page.$$eval('tr[data-connection="bitrise-sandbox"] .verify-result p', (p) => p.length),
    0,
  );
  await page.screenshot({ path: join(SCREENSHOTS, 'connections.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('with a server token, the dashboard asks for it once per tab and then shows the data', {
  skip,
}, async () => {
  const token = 'dashboard-token-7c1e';
  const guarded = await startServer({
    store,
    host: '127.0.0.1',
    port: 0,
    token,
    syncEveryMs: null,
    webRoot: serverWebRoot,
  });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${guarded.url}/connections`);
    await page.waitForSelector('form.token');
    await page.fill('#token', 'wrong');
    await page.click('form.token button');
    await page.waitForSelector('form.token');
    await page.fill('#token', token);
    await page.click('form.token button');
    await page.waitForSelector('tr[data-connection]');
    await page.goto(`${guarded.url}/`);
    await page.waitForSelector('.kpi-value[data-metric="runs"]');
    await page.close();

    // A viewer's named token: asked for again in a new tab, kept for that tab only, and an admin action
    // answered with what the role lacks.
    const viewer = await createApiToken(store, 'dashboard-viewer', 'viewer');
    const tab = await browser.context.newPage();
    await tab.goto(`${guarded.url}/connections`);
    await tab.waitForSelector('form.token');
    await tab.fill('#token', viewer);
    await tab.click('form.token button');
    await tab.waitForSelector('tr[data-connection]');
    const kept = await tab.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: Object.values(localStorage),
      cookie: document.cookie,
    }));
    assert.deepEqual(kept, { session: [viewer], local: [], cookie: '' });
    await tab.getByRole('button', { name: 'Sync all now' }).click();
    await tab.getByText('this needs an admin token; "dashboard-viewer" is a viewer').waitFor();
    // Revoked while the tab is open: the tab forgets it and asks again.
    await revokeApiToken(store, 'dashboard-viewer');
    await tab.goto(`${guarded.url}/`);
    await tab.waitForSelector('form.token');
    assert.deepEqual(await tab.evaluate(() => Object.values(sessionStorage)), []);
    await tab.close();
  } finally {
    await guarded.close();
  }
});

test('keyboard: the navigation, the global filters and the project links are reached with Tab and work with Enter', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/');
  await page.waitForSelector('tbody tr[data-project] th a');
  const reached = new Set<string>();
  for (let i = 0; i < 40 && !reached.has('project link'); i++) {
    await page.keyboard.press('Tab');
    reached.add(
      await page.evaluate(() => {
        const el = document.activeElement;
        if (!el) return '';
        if (el.closest('#nav')) return `nav ${el.textContent}`;
        if (el instanceof HTMLSelectElement) return `select ${el.name}`;
        if (el.closest('tr[data-project]')) return 'project link';
        return el.tagName.toLowerCase();
      }),
    );
  }
  for (const control of [
    'nav Overview',
    'nav Runs',
    'nav Flaky',
    'nav Connections',
    'select days',
    'select provider',
    'project link',
  ])
    assert.ok(reached.has(control), `${control} reached with Tab (reached: ${[...reached].join(', ')})`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/project\//);
  await page.waitForSelector('.chart svg path', { state: 'attached' });
  // A focused control shows it: the outline is not removed.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  assert.deepEqual(problems, []);
  await page.close();
});

test('light and dark colour schemes: text has at least 4.5:1 contrast on every page', { skip }, async () => {
  const pages: [string, string][] = [
    ['/', 'tbody tr[data-project]'],
    ['/runs', 'tbody tr[data-run]'],
    ['/flaky?days=90', 'tr[data-commit]'],
    ['/connections', 'tr[data-connection]'],
  ];
  const selectors = [
    'body',
    'main h1',
    '#nav a',
    '#nav a[aria-current="page"]',
    'label',
    '.kpi-value',
    'table.data th',
    'table.data td',
    'tbody a',
    '.sub',
    '.note',
    '.muted',
    '.badge',
    'button',
    '.trend.good',
    '.trend.bad',
  ];
  for (const scheme of ['light', 'dark'] as const) {
    const page = await browser.context.newPage();
    await page.emulateMedia({ colorScheme: scheme });
    for (const [path, ready] of pages) {
      await page.goto(`${server.url}${path}`);
      await page.waitForSelector(ready);
      const measured = await contrasts(page, selectors);
      assert.ok(Object.keys(measured).length >= 6, `${path}: elements measured`);
      for (const [selector, ratio] of Object.entries(measured))
        assert.ok(ratio >= 4.5, `${scheme} ${path} ${selector}: contrast ${ratio.toFixed(2)}:1`);
    }
    await page.close();
  }
});

test('empty results and failed requests are said in words; every page fits a phone screen', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/runs?workflow=no-such-workflow');
  await page.waitForSelector('.state.empty');
  assert.match((await page.textContent('.state.empty')) ?? '', /No runs match/);
  await page.goto(`${server.url}/runs?classification=great`);
  await page.waitForSelector('.state.error');
  assert.match((await page.textContent('.state.error')) ?? '', /^Could not load runs: .*classification/);
  // The failed request shows as a console error in Chromium; nothing else may.
  assert.ok(
    problems.every((p) => /status of 400/.test(p)),
    problems.join('\n'),
  );

  await page.setViewportSize({ width: 390, height: 844 });
  const phonePages: [string, string][] = [
    ['/runs', 'tbody tr[data-run]'],
    ['/flaky?days=90', 'tr[data-commit]'],
    ['/connections', 'tr[data-connection]'],
  ];
  for (const [path, ready] of phonePages) {
    await page.goto(`${server.url}${path}`);
    await page.waitForSelector(ready);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} is ${overflow}px wider than a phone screen`);
  }
  await page.goto(`${server.url}/`);
  await page.click('tbody tr[data-project] th a');
  await page.waitForSelector('.chart svg path', { state: 'attached' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the project page is ${overflow}px wider than a phone screen`);
  await page.close();
});
