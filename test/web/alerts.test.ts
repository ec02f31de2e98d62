/// <reference lib="dom" />
// Alerts in the dashboard, in real Chromium: the overview and the project page show the firing alert, the
// alerts page lists rules, states and the failed delivery; names with markup (a project, a connection, a
// destination's refusal) stay text and run nothing. Screenshots land in test-output/screenshots.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { alertsForStore } from '../../src/alerts/rules.js';
import { runAlerts } from '../../src/alerts/run.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { recordCoverage } from '../../src/store/coverage.js';
import { openStore, type Store } from '../../src/store/store.js';
import { type Receiver, startReceiver } from '../alerts/receiver.js';
import { project, run } from '../store/fixtures.js';
import { buildDashboard, CHROMIUM_SKIP, chromiumAvailable, launchBrowser, watchedPage } from './browser.js';

const skip = chromiumAvailable() ? false : CHROMIUM_SKIP;
const SCREENSHOTS = resolve('test-output/screenshots');
const hostile = (field: string) =>
  `<img data-xss="${field}" src=x onerror="window.__xss='${field}'"><script data-xss="${field}">window.__xss='${field}'</script>${field}`;
const PROJECT = hostile('project');
const CONNECTION = hostile('connection');

let server: RunningServer;
let store: Store;
let receiver: Receiver;
let browser: { context: BrowserContext; close(): Promise<void> };
const scratch = mkdtempSync(join(tmpdir(), 'buildlens-web-alerts-'));
const cleanups: (() => Promise<unknown> | unknown)[] = [];

before(async () => {
  if (skip) return;
  process.env.XDG_DATA_HOME = join(scratch, 'data');
  const webRoot = await buildDashboard();
  cleanups.push(() => rmSync(webRoot, { recursive: true, force: true }));
  receiver = await startReceiver([500], hostile('refusal'));
  cleanups.push(() => receiver.close());
  store = await openStore(join(scratch, 'buildlens.db'));
  const connection = await addConnection(store, {
    name: CONNECTION,
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9',
    org: 'acme',
    token: 'token-never-used-0123456789',
  });
  await recordCoverage(store, connection.id, '2026-01-01T00:00:00.000Z', new Date());
  // The last few hours on main: 5 of 10 passed.
  const runs = Array.from({ length: 10 }, (_, i) => {
    const at = new Date(Date.now() - (i + 1) * 600_000).toISOString();
    return run(`r${i}`, 0, {
      projectKey: 'p1',
      number: i + 1,
      status: i % 2 === 0 ? 'failed' : 'succeeded',
      classification: i % 2 === 0 ? 'failure' : 'success',
      triggeredAt: at,
      startedAt: at,
      finishedAt: at,
    });
  });
  await writeBatch(store, connection.id, {
    projects: [project('p1', { name: PROJECT, defaultBranch: 'main' })],
    runs,
    jobs: [],
    raw: [],
  });
  writeFileSync(
    join(scratch, 'alerts.yaml'),
    `destinations:
  team-hook: { type: webhook, url: "${receiver.url}/hook", secret: "hook-secret-0123456789abcdef" }
alerts:
  - name: main-success-rate
    metric: success_rate
    window: 24h
    condition: { below: 90% }
  - name: queue-p95-over-10m
    metric: queue_p95
    window: 24h
    condition: { above: 10m }
`,
  );
  const config = alertsForStore(store, undefined);
  assert.ok(config);
  await runAlerts(store, config, { retryDelaysMs: [] });
  server = await startServer({ store, host: '127.0.0.1', port: 0, token: null, syncEveryMs: null, webRoot });
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** No element came from the markup, no script ran, nothing was logged as an error. */
async function assertInert(page: Page, problems: string[]): Promise<void> {
  assert.deepEqual(await page.$$eval('[data-xss]', (els) => els.map((e) => e.getAttribute('data-xss'))), []);
  assert.equal(await page.evaluate(() => (window as { __xss?: string }).__xss), undefined, 'a script ran');
  assert.deepEqual(problems, []);
}

test('the overview and the project page show the firing alert; markup in names stays text', {
  skip,
}, async () => {
  const { page, problems } = await watchedPage(browser.context, `${server.url}/`);
  const banner = await page.waitForSelector('.alerts-firing');
  const text = (await banner.textContent()) ?? '';
  assert.match(text, /^1 firing alert/);
  assert.ok(text.includes('main-success-rate: Success rate 50 % over 24h (alert when below 90 %)'), text);
  assert.ok(text.includes(`${PROJECT} (${CONNECTION}), default branch`), 'names shown as text');
  await page.screenshot({ path: join(SCREENSHOTS, 'overview-alerts.png'), fullPage: true });
  await assertInert(page, problems);

  const projectUrl = `${server.url}/project/${encodeURIComponent(CONNECTION)}/${encodeURIComponent(PROJECT)}`;
  const projectPage = await watchedPage(browser.context, projectUrl);
  const projectBanner = await projectPage.page.waitForSelector(
    '.alerts-firing li[data-alert="main-success-rate"]',
  );
  assert.ok(((await projectBanner.textContent()) ?? '').includes('Success rate 50 %'));
  await projectPage.page.screenshot({ path: join(SCREENSHOTS, 'project-alerts.png'), fullPage: true });
  await assertInert(projectPage.page, projectPage.problems);
});

test('the alerts page lists rules, states (firing first) and the failed delivery', { skip }, async () => {
  const { page, problems } = await watchedPage(browser.context, `${server.url}/alerts`);
  await page.waitForSelector('tr[data-rule]');
  assert.deepEqual(
    await page.$$eval('tr[data-alert]', (rows) =>
      rows.map((r) => [r.getAttribute('data-alert'), r.getAttribute('data-state')]),
    ),
    [
      ['main-success-rate', 'firing'],
      ['queue-p95-over-10m', 'ok'],
    ],
  );
  assert.deepEqual(
    await page.$$eval('tr[data-rule]', (rows) => rows.map((r) => r.getAttribute('data-rule'))),
    ['main-success-rate', 'queue-p95-over-10m'],
  );
  const destination = (await page.textContent('li[data-destination="team-hook"]')) ?? '';
  assert.ok(
    destination.includes('(main-success-rate, firing, 1 attempts): webhook "team-hook": HTTP 500: <img'),
    destination,
  );
  assert.ok(!destination.includes(receiver.url), 'the address is a secret');
  assert.equal(await page.getAttribute('nav a[aria-current="page"]', 'href'), '/alerts');
  await page.screenshot({ path: join(SCREENSHOTS, 'alerts.png'), fullPage: true });
  await assertInert(page, problems);
});
