/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The run page and the project's step rankings in real Chromium over a store synced from the sandbox: a
// run opened from the runs table shows its jobs and steps on one time axis with queue and setup apart
// from work, the critical path and every status in words, and its URL opens it again; the slowest and most
// failing steps carry trends, and a failing step opens the runs where it failed. Keyboard and contrast.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { LevelReport } from '../../src/metrics/level-report.js';
import type { JobRecord } from '../../src/store/job-records.js';
import type { RunRecord, RunRecordPage } from '../../src/store/run-records.js';
import type { StepRecord } from '../../src/store/step-records.js';
import { contrasts } from './browser.js';
import { dashboardRig, SCREENSHOTS } from './dashboard-rig.js';

const STATUS_WORDS = /^(queued|running|succeeded|failed|aborted|skipped|blocked|unknown)$/;
const rig = dashboardRig('run-page');
const { skip, openPage, api } = rig;

const runPath = (run: RunRecord) =>
  `/run/${encodeURIComponent(run.connection)}/${encodeURIComponent(run.key)}`;

/** A finished run of the connection whose jobs (or, without jobs, steps) all have times. */
async function finishedRun(connection: string, withJobs: boolean): Promise<RunRecord> {
  const { runs } = await api<RunRecordPage>(
    `/api/runs?connection=${connection}&status=succeeded&status=failed&limit=100`,
  );
  for (const run of runs) {
    const jobs = await api<JobRecord[]>(`/api/runs/${run.key}/jobs`);
    const steps = await api<StepRecord[]>(`/api/runs/${run.key}/steps`);
    if (
      withJobs
        ? jobs.some((j) => j.on_critical_path) && jobs.some((j) => (j.queue_s ?? 0) > 0)
        : steps.length > 2
    )
      return run;
  }
  throw new Error(`no finished run of ${connection} to show`);
}

interface Lane {
  kind: string;
  name: string;
  status: string;
  critical: boolean;
  segments: string[];
}

async function lanes(page: Page): Promise<Lane[]> {
  await page.waitForSelector('table.lanes tbody tr');
  return page.$$eval('table.lanes tbody tr', (rows) =>
    rows.map((row) => ({
      kind: row.getAttribute('data-lane') ?? '',
      name: row.querySelector('.lane-name bdi')?.textContent ?? '',
      status: row.querySelector('td[data-field="status"] .badge')?.textContent ?? '',
      critical: (row.querySelector('.lane-name')?.textContent ?? '').includes('critical path'),
      segments: [...row.querySelectorAll('.track .seg')].map((s) => s.className),
    })),
  );
}

test('run page: opened from the runs table, jobs and steps on one axis, queue and setup apart, critical path and statuses in words, the URL opens it again', {
  skip,
}, async () => {
  const run = await finishedRun('buildkite-sandbox', true);
  const jobs = await api<JobRecord[]>(`/api/runs/${run.key}/jobs`);
  const { page, problems } = await openPage(`/runs?connection=buildkite-sandbox&days=90`);
  await page.waitForSelector(`tr[data-run="${run.key}"]`);
  await page.click(`tr[data-run="${run.key}"] a[data-field="run-page"]`);
  await page.waitForURL((url) => url.pathname === runPath(run));
  const shown = await lanes(page);
  const jobLanes = shown.filter((l) => l.kind === 'job');
  assert.deepEqual(
    jobLanes.map((l) => [l.name, l.status, l.critical]),
    jobs.map((j) => [j.name, j.status, j.on_critical_path]),
    'every job in start order, its status and whether it is on the critical path, in words',
  );
  for (const lane of shown) assert.match(lane.status, STATUS_WORDS);
  const queued = jobs.filter((j) => (j.queue_s ?? 0) > 0 && j.started_at !== null);
  assert.equal(
    jobLanes.filter((l) => l.segments.some((s) => s.includes('queue'))).length,
    queued.length,
    'a queue segment for every job that waited',
  );
  for (const lane of jobLanes.filter((l) => l.segments.length > 0))
    assert.ok(
      lane.segments.some((s) => s.startsWith('seg work')),
      `${lane.name} has work`,
    );
  assert.match(
    (await page.textContent('[data-field="critical-path"]')) ?? '',
    new RegExp(
      `^Critical path: ${jobs.filter((j) => j.on_critical_path)[0]?.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
    ),
  );
  await page.screenshot({ path: join(SCREENSHOTS, 'run-page-buildkite.png'), fullPage: true });
  // The page's URL shows the same run on its own.
  await page.goto(page.url());
  assert.deepEqual(await lanes(page), shown);
  assert.deepEqual(problems, []);
  await page.close();
});

test('run page of a Bitrise build: its steps under it, setup before the first step, durations as stored', {
  skip,
}, async () => {
  const run = await finishedRun('bitrise-sandbox', false);
  const steps = await api<StepRecord[]>(`/api/runs/${run.key}/steps`);
  const { page, problems } = await openPage(runPath(run));
  const shown = await lanes(page);
  assert.equal(shown[0]?.kind, 'job');
  assert.deepEqual(
    shown.filter((l) => l.kind === 'step').map((l) => [l.name, l.status]),
    steps.map((s) => [s.name, s.status]),
  );
  const segments = shown[0]?.segments ?? [];
  if ((run.queue_s ?? 0) > 0)
    assert.ok(
      segments.some((s) => s.includes('queue')),
      'queue shown',
    );
  if ((run.setup_s ?? 0) > 0) {
    assert.ok(
      segments.some((s) => s.includes('setup')),
      'setup shown',
    );
    const setup = await page.textContent('table.lanes tbody tr[data-lane="job"] td[data-field="setup"]');
    assert.notEqual(setup, '—');
  }
  const first = await page.textContent('table.lanes tbody tr[data-lane="step"] td[data-field="work"]');
  assert.equal(first?.trim() !== '—', steps[0]?.duration_s !== null);
  await page.screenshot({ path: join(SCREENSHOTS, 'run-page-bitrise.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('project page: slowest and most failing steps with trends; a failing step opens the runs where it failed', {
  skip,
}, async () => {
  const report = await api<LevelReport>('/api/report/levels?level=step&connection=bitrise-sandbox&all=true');
  const failing = report.rows.find((r) => r.failed > 0);
  assert.ok(failing, 'the sandbox has failing steps');
  const { page, problems } = await openPage(
    `/project/bitrise-sandbox/${encodeURIComponent(failing.project)}`,
  );
  await page.waitForSelector('[data-ranking="failing-steps"] li');
  await page.waitForSelector('[data-ranking="slowest-steps"] li');
  const trends = await page.$$eval('[data-ranking] li .trend', (els) => els.map((e) => e.textContent ?? ''));
  assert.ok(trends.length >= 2, 'each ranked step has its trend');
  assert.ok(
    trends.some((t) => /^[▲▼→] /.test(t)),
    `some step compared with the previous period: ${trends.join(' | ')}`,
  );
  const name = (await page.getAttribute('[data-ranking="failing-steps"] li', 'data-step')) ?? '';
  await page.screenshot({ path: join(SCREENSHOTS, 'project-steps.png'), fullPage: true });
  await page.click('[data-ranking="failing-steps"] li a');
  await page.waitForURL(/step_status=failed/);
  await page.waitForSelector('tbody tr[data-run]');
  assert.match(
    (await page.textContent('[data-field="step-filter"]')) ?? '',
    /Runs that executed the step .* ending failed/,
  );
  const keys = await page.$$eval('tbody tr[data-run]', (rows) => rows.map((r) => r.getAttribute('data-run')));
  assert.ok(keys.length > 0);
  for (const key of keys.slice(0, 10)) {
    const steps = await api<StepRecord[]>(`/api/runs/${key}/steps`);
    assert.ok(
      steps.some((s) => s.name === name && s.status === 'failed'),
      `run ${key} has the step "${name}" failed`,
    );
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('keyboard: the run page link of the runs table is reached with Tab and opens with Enter; the run page’s links too', {
  skip,
}, async () => {
  const { page, problems } = await openPage('/runs?connection=buildkite-sandbox&status=succeeded');
  await page.waitForSelector('a[data-field="run-page"]');
  let onLink = false;
  for (let i = 0; i < 80 && !onLink; i++) {
    await page.keyboard.press('Tab');
    onLink = await page.evaluate(() => document.activeElement?.getAttribute('data-field') === 'run-page');
  }
  assert.ok(onLink, 'a run page link reached with Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/run\//);
  await page.waitForSelector('table.lanes tbody tr');
  const reached = new Set<string>();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    reached.add(
      await page.evaluate(() => {
        const el = document.activeElement;
        if (!el?.closest('main')) return '';
        if (el.closest('.crumbs')) return `crumb ${el.textContent}`;
        if (el.closest('table.lanes')) return 'lane link';
        return el.tagName.toLowerCase();
      }),
    );
  }
  for (const control of ['crumb Runs', 'lane link'])
    assert.ok(reached.has(control), `${control} reached with Tab (reached: ${[...reached].join(', ')})`);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  assert.deepEqual(problems, []);
  await page.close();
});

test('run page and step rankings: text has at least 4.5:1 contrast in the light and the dark scheme', {
  skip,
}, async () => {
  const run = await finishedRun('buildkite-sandbox', true);
  const report = await api<LevelReport>('/api/report/levels?level=step&connection=bitrise-sandbox&all=true');
  const project = report.rows.find((r) => r.failed > 0)?.project ?? '';
  const pages: [string, string, string[]][] = [
    [
      runPath(run),
      'table.lanes tbody tr',
      [
        'main h1',
        '.facts dt',
        '.facts dd',
        '.badge',
        '.tag',
        '.legend li',
        '.axis .tick',
        'table.lanes th',
        'table.lanes td',
        'table.lanes .sub a',
        '.note',
      ],
    ],
    [
      `/project/bitrise-sandbox/${encodeURIComponent(project)}`,
      '[data-ranking="failing-steps"] li',
      ['[data-ranking] h2', '[data-ranking] li a', '[data-ranking] .rank-value', '[data-ranking] .sub'],
    ],
  ];
  for (const scheme of ['light', 'dark'] as const) {
    const page = await rig.browser.context.newPage();
    await page.emulateMedia({ colorScheme: scheme });
    for (const [path, ready, selectors] of pages) {
      await page.goto(`${rig.server.url}${path}`);
      await page.waitForSelector(ready);
      const measured = await contrasts(page, selectors);
      assert.equal(Object.keys(measured).length, selectors.length, `${path}: every selector measured`);
      for (const [selector, ratio] of Object.entries(measured))
        assert.ok(ratio >= 4.5, `${scheme} ${path} ${selector}: contrast ${ratio.toFixed(2)}:1`);
    }
    await page.screenshot({ path: join(SCREENSHOTS, `project-steps-${scheme}.png`), fullPage: true });
    await page.close();
  }
});
