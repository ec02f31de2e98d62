/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Every field a provider sends (and the names a person types) carries markup, in real Chromium: each page
// shows it as text, creates no element from it, runs no script and links only to http(s) pages.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { ClassifiedRun } from '../../src/domain/model.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { openStore, type Store } from '../../src/store/store.js';
import { recordSyncFailure, recordSyncStart } from '../../src/store/sync-state.js';
import { job, project, run } from '../store/fixtures.js';
import { buildDashboard, CHROMIUM_SKIP, chromiumAvailable, launchBrowser, watchedPage } from './browser.js';

const skip = chromiumAvailable() ? false : CHROMIUM_SKIP;

/** Markup naming its field: if any of it becomes an element, the element says where it came from. */
const hostile = (field: string) =>
  `<img data-xss="${field}" src=x onerror="window.__xss='${field}'"><script data-xss="${field}">window.__xss='${field}'</script>${field}`;
const SCRIPT_URL = "javascript:window.__xss='url'";

let server: RunningServer;
let store: Store;
let browser: { context: BrowserContext; close(): Promise<void> };
const scratch = mkdtempSync(join(tmpdir(), 'buildlens-xss-test-'));
const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** A run triggered `hoursAgo` hours ago with markup in every text field. */
function hostileRun(key: string, hoursAgo: number, overrides: Partial<ClassifiedRun>): ClassifiedRun {
  const at = (offsetS: number) => new Date(Date.now() - hoursAgo * 3_600_000 + offsetS * 1000).toISOString();
  return run(key, 0, {
    projectKey: hostile('project-key'),
    workflow: hostile('workflow'),
    branch: hostile('branch'),
    commitSha: hostile('commit'),
    message: hostile('message'),
    tag: hostile('tag'),
    actor: hostile('actor'),
    reason: hostile('reason'),
    abortedBy: hostile('aborted-by'),
    machine: hostile('machine'),
    stack: hostile('stack'),
    agentQueue: hostile('agent-queue'),
    classifiedBy: hostile('rule'),
    providerStatus: hostile('provider-status'),
    webUrl: SCRIPT_URL,
    triggeredAt: at(0),
    startedAt: at(20),
    finishedAt: at(80),
    ...overrides,
  });
}

before(async () => {
  if (skip) return;
  process.env.XDG_DATA_HOME = join(scratch, 'data');
  const webRoot = await buildDashboard();
  cleanups.push(() => rmSync(webRoot, { recursive: true, force: true }));
  store = await openStore(join(scratch, 'buildlens.db'));
  const connection = await addConnection(store, {
    name: hostile('connection'),
    provider: 'bitrise',
    baseUrl: `http://127.0.0.1:9/${hostile('base-url')}`,
    org: hostile('org'),
    token: 'token-never-used-0123456789',
  });
  const runs: ClassifiedRun[] = [];
  for (let i = 0; i < 24; i++) {
    const failed = i % 3 === 0;
    runs.push(
      hostileRun(`r${i}`, i * 5 + 1, {
        number: i + 1,
        status: failed ? 'failed' : 'succeeded',
        classification: failed ? 'failure' : 'success',
      }),
    );
  }
  const retried = runs[1]?.key ?? '';
  await writeBatch(
    store,
    connection.id,
    {
      projects: [
        project(hostile('project-key'), {
          name: hostile('project'),
          owner: hostile('owner'),
          repoUrl: SCRIPT_URL,
          webUrl: SCRIPT_URL,
        }),
      ],
      runs,
      // A job that passed on retry of a failed one, for the flaky page's job list.
      jobs: [
        job('j1', retried, { name: hostile('job'), status: 'failed', webUrl: SCRIPT_URL }),
        job('j2', retried, { name: hostile('job'), retryOf: 'j1', webUrl: SCRIPT_URL }),
      ],
      raw: [],
    },
    {},
  );
  await recordSyncStart(store, connection.id);
  await recordSyncFailure(store, connection.id, hostile('sync-error'));
  server = await startServer({ store, host: '127.0.0.1', port: 0, token: null, syncEveryMs: null, webRoot });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function visit(path: string, ready: string): Promise<{ page: Page; problems: string[] }> {
  const visited = await watchedPage(browser.context, `${server.url}${path}`);
  await visited.page.waitForSelector(ready);
  return visited;
}

/** Nothing of the markup became an element or ran; it shows as text; links go to http(s) only. */
async function assertInert(page: Page, problems: string[], shown: string[]): Promise<void> {
  const leaked = await page.$$eval('[data-xss]', (els) => els.map((e) => e.getAttribute('data-xss')));
  assert.deepEqual(leaked, [], `elements made from provider text on ${page.url()}`);
  assert.equal(await page.evaluate(() => (window as { __xss?: string }).__xss), undefined, 'a script ran');
  const text = await page.evaluate(() => document.body.textContent ?? '');
  for (const field of shown)
    assert.ok(text.includes(`<img data-xss="${field}"`), `${field} shown as text on ${page.url()}`);
  const schemes = await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).protocol));
  assert.ok(
    schemes.every((s) => s === 'http:' || s === 'https:'),
    `link schemes: ${[...new Set(schemes)].join(', ')}`,
  );
  assert.deepEqual(problems, [], 'no console errors, page errors or dialogs');
}

test('overview and project page: project, workflow and branch names stay text', { skip }, async () => {
  const { page, problems } = await visit('/', 'tbody tr[data-project]');
  await page.waitForSelector('.chart svg path', { state: 'attached' });
  await assertInert(page, problems, ['project']);
  await page.click('tbody tr[data-project] th a');
  await page.waitForURL(/\/project\//);
  await page.waitForSelector('.chart svg path', { state: 'attached' });
  await page.waitForFunction(() => (document.body.textContent ?? '').includes('data-xss="workflow"'));
  await assertInert(page, problems, ['project', 'workflow', 'branch']);
  await page.close();
});

test('run explorer: every run field stays text, provider links that are not http(s) are dropped', {
  skip,
}, async () => {
  const { page, problems } = await visit('/runs', 'tbody tr[data-run]');
  await assertInert(page, problems, [
    'project',
    'connection',
    'workflow',
    'branch',
    'message',
    'reason',
    'rule',
  ]);
  await page.close();
});

test('flaky page: commits and retried jobs stay text', { skip }, async () => {
  const { page, problems } = await visit('/flaky', '.kpi-value[data-metric="flaky_runs"]');
  await page.waitForFunction(() => (document.body.textContent ?? '').includes('data-xss="job"'));
  await assertInert(page, problems, ['project', 'workflow', 'job']);
  await page.close();
});

test('connections page: names, URLs and sync errors stay text', { skip }, async () => {
  const { page, problems } = await visit('/connections', 'table tbody tr');
  await assertInert(page, problems, ['connection', 'base-url', 'sync-error']);
  await page.close();
});
