/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Infra failures on the dashboard, in real Chromium over a store synced from the sandbox whose Buildkite
// failures a rule puts down to the infrastructure: their own card and column beside the success rate
// without them, their own series in the outcome charts (a bar opens exactly those runs), and the project
// page's summary. Every figure is the report API's.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { reapplyRules } from '../../src/classify/reapply.js';
import { loadRules } from '../../src/classify/rules.js';
import { dashboardRig, SCREENSHOTS } from './dashboard-rig.js';

const rig = dashboardRig('infra', async (store, scratch) => {
  const rules = join(scratch, 'rules.yaml');
  writeFileSync(
    rules,
    'rules:\n  - name: agents\n    classification: infra_failure\n    match:\n      provider: buildkite\n      status: failed\n',
  );
  await reapplyRules(store, loadRules(rules), { dryRun: false });
});
const { skip, openPage } = rig;

/** Opens `path` and returns, beside the page, the report the page asked for grouped `by`. */
async function openWithReport(path: string, by = 'project') {
  const page = await rig.browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // The page's report with the change against the previous period: its cards and summary come from it.
  const answer = page.waitForResponse((r) => {
    const url = new URL(r.url());
    return (
      url.pathname === '/api/report' &&
      url.searchParams.getAll('by').join() === by &&
      url.searchParams.has('compare')
    );
  });
  await page.goto(`${rig.server.url}${path}`);
  const body = (await (await answer).json()) as { rows: Row[]; total: Row };
  return { page, problems, ...body };
}

interface Row {
  project?: string;
  connection?: string;
  infra_failure: number;
  success_rate: number | null;
  success_rate_without_infra: number | null;
}

const report = async (query: string) =>
  (await (await fetch(`${rig.server.url}/api/report?${query}`)).json()) as { rows: Row[]; total: Row };
const percent = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

test('overview: infra failures have their own card and column, the rate without them beside the plain one', {
  skip,
}, async () => {
  const { page, problems, total, rows } = await openWithReport('/');
  assert.ok(total.infra_failure > 0, 'the rule made infra failures');
  assert.notEqual(total.success_rate_without_infra, total.success_rate);
  await page.waitForSelector('table.data tbody tr');
  const card = (metric: string) => page.textContent(`.kpi-value[data-metric="${metric}"]`);
  assert.equal(await card('infra_failure'), total.infra_failure.toLocaleString('en'));
  assert.equal(await card('success_rate'), percent(total.success_rate));
  assert.equal(await card('success_rate_without_infra'), percent(total.success_rate_without_infra));
  // The rate without infra stands right after the plain one, in the cards and in the table.
  const labels = await page.$$eval('.kpi-label', (ls) => ls.map((l) => l.textContent ?? ''));
  assert.equal(labels.indexOf('Success rate without infra'), labels.indexOf('Success rate') + 1);
  const headings = await page.$$eval('table.data thead th', (ths) => ths.map((t) => t.textContent ?? ''));
  assert.equal(headings.indexOf('Success rate without infra'), headings.indexOf('Success rate') + 1);
  assert.ok(headings.includes('Infra failures'));
  for (const row of rows) {
    const cell = await page.textContent(
      `tr[data-project="${row.project}"] td[data-metric="infra_failure"] > span:first-child`,
    );
    assert.equal(cell, row.infra_failure.toLocaleString('en'), String(row.project));
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'overview-infra.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('throughput: infra failures are a series of their own, and a bar of it opens exactly those runs', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/?days=30');
  const chart = 'figure:has-text("Throughput") .chart';
  await page.waitForSelector(`${chart} svg path`, { state: 'attached' });
  const legend = await page.$$eval(`${chart} svg text`, (ts) => ts.map((t) => t.textContent ?? ''));
  assert.ok(legend.includes('Infra failures'), legend.join(' | '));
  assert.ok(legend.includes('Failed (not infra)'), legend.join(' | '));
  await page.locator(chart).scrollIntoViewIfNeeded();
  // The infra colour as the browser computes it, then the tallest bar drawn in it.
  const rgb = await page.evaluate(() => {
    const probe = document.createElement('span');
    probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--c-infra').trim();
    document.body.append(probe);
    const computed = getComputedStyle(probe).color;
    probe.remove();
    return computed;
  });
  const infra = await page.$$eval(
    `${chart} svg path`,
    (paths, colour) => {
      const bars = paths
        .filter((p) => getComputedStyle(p).fill === colour)
        .map((p) => p.getBoundingClientRect())
        .filter((r) => r.width > 2 && r.width < 80 && r.height > 2);
      bars.sort((a, b) => b.height - a.height);
      const top = bars[0];
      return top ? { x: top.x + top.width / 2, y: top.y + top.height / 2 } : null;
    },
    rgb,
  );
  assert.ok(infra, 'infra failure bars drawn in their own colour');
  await page.mouse.click(infra.x, infra.y);
  await page.waitForURL(/\/runs\?.*classification=infra_failure/);
  assert.deepEqual(new URL(page.url()).searchParams.getAll('classification'), ['infra_failure']);
  await page.waitForSelector('tbody tr[data-run]');
  const badges = await page.$$eval('tbody .badge', (bs) => bs.map((b) => b.textContent ?? ''));
  assert.ok(badges.length > 0);
  assert.ok(
    badges.every((b) => b === 'infra_failure'),
    badges.join(','),
  );
  // Hovering draws ECharts' tooltip with a style attribute the Content-Security-Policy refuses (known).
  assert.deepEqual(
    problems.filter((p) => !p.startsWith('console: Applying inline style violates')),
    [],
  );
  await page.close();
});

test('project page: the summary gives the rate without infra failures and their count', {
  skip,
}, async () => {
  const { rows } = await report('by=project');
  const project = rows.find((r) => r.infra_failure > 0);
  assert.ok(project, 'a project with infra failures');
  const { page, problems, total } = await openWithReport(
    `/project/${encodeURIComponent(String(project.connection))}/${encodeURIComponent(String(project.project))}`,
    'workflow',
  );
  assert.ok(total.infra_failure > 0);
  await page.waitForSelector('p.lead [data-metric="infra_failure"]');
  assert.equal(
    await page.textContent('p.lead [data-metric="success_rate_without_infra"]'),
    `, ${percent(total.success_rate_without_infra)} without infra failures`,
  );
  assert.equal(
    await page.textContent('p.lead [data-metric="infra_failure"]'),
    ` (${total.infra_failure} infra failure${total.infra_failure === 1 ? '' : 's'})`,
  );
  const legend = await page.$$eval('figure:has-text("Classification of runs") svg text', (ts) =>
    ts.map((t) => t.textContent ?? ''),
  );
  assert.ok(legend.includes('Infra failures'), legend.join(' | '));
  await page.screenshot({ path: join(SCREENSHOTS, 'project-infra.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});
