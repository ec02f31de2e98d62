/// <reference lib="dom" />
// Live updates in real Chromium against a real server: a run that lands through a signed webhook delivery
// while the runs page is open appears without a reload, the page's filters and scroll position kept; the
// stream is read with the tab's token; the connections page shows the webhook's health; text from the
// delivery stays text.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server/serve.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { openStore } from '../../src/store/store.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { run } from '../store/fixtures.js';
import { buildkiteDeliveryBody } from '../webhooks/buildkite-delivery.js';
import { buildDashboard, CHROMIUM_SKIP, chromiumAvailable, launchBrowser, watchedPage } from './browser.js';

const skip = chromiumAvailable() ? false : CHROMIUM_SKIP;
const TOKEN = 'server-token-for-the-live-tests-41b7';
const SECRET = 'webhook-secret-for-the-live-tests-90cc';
const HOSTILE = '<img src=x onerror="window.pwned=1">';

/** A build.finished delivery of a passed build that ran a minute ago, with a hostile message and branch. */
function finishedDelivery(): string {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return buildkiteDeliveryBody('build.finished', {
    message: `Live ${HOSTILE}`,
    branch: `live-${HOSTILE}`,
    created_at: at(3),
    scheduled_at: at(3),
    started_at: at(2),
    finished_at: at(1),
  });
}

test('a run delivered by webhook appears on the open page without a reload; connections show webhook health', {
  skip,
}, async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'buildlens-live-test-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  process.env.XDG_DATA_HOME = join(scratch, 'data');
  const webRoot = await buildDashboard();
  t.after(() => rmSync(webRoot, { recursive: true, force: true }));
  const store = await openStore(join(scratch, 'buildlens.db'));
  t.after(() => store.close());
  const bk = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'my-great-org',
    token: 'provider-token-never-used-live-01',
  });
  await setWebhookSecret(store, bk, SECRET);
  // Enough runs to scroll: the page is scrolled down when the delivery lands.
  const minute = Math.floor((Date.now() - Date.UTC(2026, 1, 10, 9)) / 60_000) - 600;
  await writeBatch(store, bk.id, {
    runs: Array.from({ length: 30 }, (_, i) => run(`old-${i}`, minute + i, { projectKey: 'p' })),
    jobs: [],
    raw: [],
  });
  const server = await startServer({
    store,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    syncEveryMs: null,
    webRoot,
  });
  t.after(() => server.close());
  const browser = await launchBrowser();
  t.after(() => browser.close());

  const { page, problems } = await watchedPage(browser.context, `${server.url}/runs?status=succeeded`);
  await page.waitForSelector('form.token');
  // The first requests went without a token (their 401s are what asked for it).
  const asked = problems.length;
  await page.fill('#token', TOKEN);
  await page.click('form.token button');
  await page.waitForSelector('table.data tbody tr');
  // The stream of data versions is open, read with the tab's token.
  await page.waitForSelector('html[data-live="on"]', { state: 'attached' });
  const rowsBefore = await page.$$eval('table.data tbody tr', (rows) => rows.length);
  // What a reload would lose: a mark on the window, the scroll position.
  await page.evaluate(() => {
    (window as unknown as { mark: number }).mark = 1;
    window.scrollTo(0, 400);
  });
  const scrolled = await page.evaluate(() => window.scrollY);
  assert.ok(scrolled > 0, 'the page is long enough to scroll');

  const body = finishedDelivery();
  const stamp = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', SECRET).update(`${stamp}.${body}`).digest('hex');
  const post = (sig: string) =>
    fetch(`${server.url}/webhooks/bk`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-buildkite-event': 'build.finished',
        'x-buildkite-signature': `timestamp=${stamp},signature=${sig}`,
      },
    });
  assert.equal((await post(signature)).status, 202);
  assert.equal((await post('0'.repeat(64))).status, 401, 'a forged delivery is refused');

  await page.waitForFunction(
    (text) =>
      [...document.querySelectorAll('table.data tbody tr')].some((r) => r.textContent?.includes(text)),
    `Live ${HOSTILE}`,
  );
  const after = await page.evaluate(() => ({
    mark: (window as unknown as { mark?: number }).mark,
    scrollY: window.scrollY,
    rows: document.querySelectorAll('table.data tbody tr').length,
    status: (document.querySelector('select[name="status"]') as HTMLSelectElement | null)?.value ?? null,
    images: document.querySelectorAll('main img').length,
    pwned: (window as unknown as { pwned?: number }).pwned,
  }));
  assert.equal(after.mark, 1, 'no reload');
  assert.equal(after.scrollY, scrolled, 'the scroll position is kept');
  assert.equal(after.rows, rowsBefore + 1);
  assert.ok(page.url().endsWith('/runs?status=succeeded'), 'the filters stay in the URL');
  assert.equal(after.images, 0, 'the hostile message is text, not an element');
  assert.equal(after.pwned, undefined);

  await page.click('nav a[href^="/connections"]');
  const health = page.locator('tr[data-connection="bk"] .webhook-health');
  await health.waitFor();
  const text = (await health.textContent()) ?? '';
  assert.match(text, /Last delivery \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  assert.match(text, /1 accepted/);
  assert.match(text, /1 refused \(last .*: .*signature/);
  assert.match(text, /0 runs missed \(no reconciliation yet\)/);
  assert.deepEqual(problems.slice(asked), []);
  assert.ok(!JSON.stringify(await page.evaluate(() => document.body.textContent)).includes(TOKEN));
});
