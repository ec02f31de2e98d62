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
import type { ClassifiedRun, Step } from '../../src/domain/model.js';
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

/** Right-to-left text with a neutral tail, which without isolation would swallow what follows it. */
const RTL_NAME = 'اختبارات الواجهة (ui) \u202ereversed';
/** A name far wider than any column, without a space to break at. */
const LONG_NAME = `integration-tests/${'very-long-module-name/'.repeat(24)}end`;

/** Start and finish `from`–`to` seconds after the run's trigger. */
function during(of: ClassifiedRun | undefined, from: number, to: number) {
  const at = (s: number) => new Date(Date.parse(of?.triggeredAt ?? '') + s * 1000).toISOString();
  return { startedAt: at(from), finishedAt: at(to), durationS: to - from };
}

function hostileStep(
  key: string,
  jobKey: string,
  position: number,
  name: string,
  status: 'succeeded' | 'failed',
  times: ReturnType<typeof during>,
): Step {
  return {
    key,
    runKey: 'r1',
    jobKey,
    name,
    stepId: hostile('step-id'),
    position,
    status,
    providerStatus: hostile('step-status'),
    ...times,
  };
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
        job('j1', retried, {
          name: hostile('job'),
          status: 'failed',
          webUrl: SCRIPT_URL,
          ...during(runs[1], 20, 40),
        }),
        job('j2', retried, {
          name: hostile('job'),
          retryOf: 'j1',
          webUrl: SCRIPT_URL,
          ...during(runs[1], 40, 80),
        }),
      ],
      steps: [
        hostileStep('s1', 'j1', 0, hostile('step'), 'failed', during(runs[1], 22, 40)),
        hostileStep('s2', 'j2', 0, hostile('step'), 'succeeded', during(runs[1], 42, 50)),
        hostileStep('s3', 'j2', 1, RTL_NAME, 'succeeded', during(runs[1], 50, 60)),
        hostileStep('s4', 'j2', 2, LONG_NAME, 'failed', during(runs[1], 60, 80)),
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

test('run page, step rankings and the step filter: job and step names stay text, RTL stays isolated, long names stay inside', {
  skip,
}, async () => {
  const connection = encodeURIComponent(hostile('connection'));
  const { page, problems } = await visit(`/run/${connection}/r1`, 'table.lanes tbody tr[data-lane="step"]');
  await assertInert(page, problems, ['project', 'workflow', 'job', 'step', 'branch', 'message']);
  const names = await page.$$eval('table.lanes .lane-name bdi', (els) => els.map((e) => e.textContent));
  // The store keeps provider text without bidi overrides; the page isolates what is left.
  assert.ok(names.includes(RTL_NAME.replace('\u202e', '')), `RTL name shown: ${names.join(' | ')}`);
  assert.ok(names.includes(LONG_NAME), 'the long name shown whole');
  const overflow = async () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 1, 'a long step name widens no page');
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
      .map((e) => `${e.tagName}.${e.className}`)
      .slice(0, 8),
  );
  assert.ok(
    (await overflow()) <= 1,
    `the run page is ${await overflow()}px wider than a phone: ${wide.join(', ')}`,
  );
  await page.screenshot({ path: 'test-output/screenshots/run-page-hostile.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.goto(`${server.url}/project/${connection}/${encodeURIComponent(hostile('project'))}`);
  await page.waitForSelector('[data-ranking="failing-steps"] li');
  await assertInert(page, problems, ['project', 'step']);
  const ranked = await page.$$eval('[data-ranking="failing-steps"] li bdi', (els) =>
    els.map((e) => e.textContent),
  );
  assert.ok(ranked.includes(LONG_NAME) && ranked.includes(hostile('step')), ranked.join(' | '));
  await page.click(`[data-ranking="failing-steps"] li[data-step="${LONG_NAME}"] a`);
  await page.waitForSelector('[data-field="step-filter"]');
  await page.waitForSelector('tbody tr[data-run]');
  await assertInert(page, problems, ['project', 'workflow']);
  assert.match((await page.textContent('[data-field="step-filter"]')) ?? '', /integration-tests\/very-long/);
  assert.deepEqual(
    await page.$$eval('tbody tr[data-run]', (rows) => rows.map((r) => r.getAttribute('data-run'))),
    ['r1'],
  );
  await page.close();
});
