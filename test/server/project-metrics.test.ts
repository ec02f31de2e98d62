// /metrics per project, branch scope and window, scraped from a real server on loopback over a store synced
// from the sandbox: every figure equals what the report API answers for the same selection, and the project
// cap folds the rest into project="other" with figures of its own.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { DEFAULT_RULES } from '../../src/classify/classify.js';
import { reapplyRules } from '../../src/classify/reapply.js';
import { parseRules } from '../../src/classify/rules.js';
import { OVERVIEW_WINDOWS } from '../../src/metrics/project-overview.js';
import { report } from '../../src/metrics/report.js';
import type { ReportDocument } from '../../src/metrics/report-document.js';
import type { ReportMetrics } from '../../src/metrics/vocabulary.js';
import { OVERVIEW_REFRESH_MS } from '../../src/server/overview-cache.js';
import { bumpDataVersion } from '../../src/store/data-version.js';
import { listProjects } from '../../src/store/projects.js';
import type { Store } from '../../src/store/store.js';
import { storeTest } from '../store/engines.js';
import { type Synced, syncFromSandbox } from './fixture.js';
import { type ScrapedSample, scrape, serveOnLoopback } from './scrape.js';

const DAY_MS = 86_400_000;
const SCOPES = (['default', 'all'] as const).flatMap((branch) =>
  OVERVIEW_WINDOWS.map((w) => ({ branch, ...w })),
);

/** Buildkite's failures put down to the infrastructure, so infra_failure and the rate without it have figures. */
async function infraRules(store: Store): Promise<void> {
  const rules = parseRules(
    'rules:\n  - name: agents\n    classification: infra_failure\n    match: { provider: buildkite, status: failed }\n',
    'test-rules.yaml',
  );
  await reapplyRules(store, { file: null, rules: [...rules, ...DEFAULT_RULES] }, { dryRun: false });
}

async function reportApi(url: string, query: string): Promise<ReportDocument> {
  const response = await fetch(`${url}/api/report?metrics=flaky&metrics=credits&${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as ReportDocument;
}

function selection(synced: Synced, branch: 'default' | 'all', days: number): string {
  const since = new Date(synced.sandbox.clock.now() - days * DAY_MS).toISOString();
  return `since=${since}${branch === 'default' ? '&default_branch=true' : ''}`;
}

/** The samples of one project, scope and window, by family name and the extra label's value. */
function figuresOf(samples: ScrapedSample[], labels: Record<string, string>): Map<string, number> {
  const found = new Map<string, number>();
  for (const s of samples) {
    if (!s.name.startsWith('buildlens_project_')) continue;
    if (!Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue;
    const extra = s.labels.outcome ?? s.labels.quantile;
    const key = extra === undefined ? s.name : `${s.name}/${extra}`;
    assert.ok(!found.has(key), `one sample of ${key} for ${JSON.stringify(labels)}`);
    found.set(key, s.value);
  }
  return found;
}

/** What /metrics must say for a report row: null figures have no sample. */
function expectedFigures(m: ReportMetrics): Map<string, number> {
  const entries: [string, number | null | undefined][] = [
    ['buildlens_project_runs/success', m.success],
    ['buildlens_project_runs/failure', m.failure - m.infra_failure],
    ['buildlens_project_runs/infra_failure', m.infra_failure],
    ['buildlens_project_runs/aborted', m.aborted],
    ['buildlens_project_runs/skipped', m.skipped],
    ['buildlens_project_runs/running', m.running],
    ['buildlens_project_runs/unknown', m.unknown],
    ['buildlens_project_success_ratio', m.success_rate],
    ['buildlens_project_success_ratio_without_infra', m.success_rate_without_infra],
    ['buildlens_project_flaky_ratio', m.flaky_rate],
    ['buildlens_project_run_duration_seconds/0.5', m.duration_s_p50],
    ['buildlens_project_run_duration_seconds/0.9', m.duration_s_p90],
    ['buildlens_project_run_duration_seconds/0.95', m.duration_s_p95],
    ['buildlens_project_queue_seconds/0.5', m.queue_s_p50],
    ['buildlens_project_queue_seconds/0.95', m.queue_s_p95],
    ['buildlens_project_credits', m.credits],
  ];
  return new Map(entries.filter((e): e is [string, number] => e[1] !== null && e[1] !== undefined));
}

/** Every project, branch scope and window: the figures the report API gives for that selection. */
async function everyProject(synced: Synced, t: TestContext): Promise<void> {
  const url = await serveOnLoopback(synced, t);
  const samples = await scrape(url);
  const compared = new Set<string>();
  for (const scope of SCOPES) {
    const document = await reportApi(url, `by=project&${selection(synced, scope.branch, scope.days)}`);
    const labels = document.rows.map((r) => JSON.stringify([r.connection, r.project]));
    assert.equal(new Set(labels).size, labels.length, 'the sandbox has no two projects of one name');
    for (const row of document.rows) {
      const labels = {
        connection: String(row.connection),
        project: String(row.project),
        branch: scope.branch,
        window: scope.window,
      };
      assert.deepEqual(figuresOf(samples, labels), expectedFigures(row), JSON.stringify(labels));
      for (const key of expectedFigures(row).keys()) compared.add(key);
    }
    // Nothing beyond the API's projects: every scraped project of this scope was compared above.
    const scraped = new Set(
      samples
        .filter(
          (s) =>
            s.name === 'buildlens_project_runs' &&
            s.labels.branch === scope.branch &&
            s.labels.window === scope.window,
        )
        .map((s) => JSON.stringify([s.labels.connection, s.labels.project])),
    );
    assert.deepEqual([...scraped].sort(), [...labels].sort());
  }
  // Every family was checked against a real figure somewhere (the sandbox has infra failures, credits...).
  assert.deepEqual([...new Set([...compared].map((k) => k.split('/')[0]))].sort(), [
    'buildlens_project_credits',
    'buildlens_project_flaky_ratio',
    'buildlens_project_queue_seconds',
    'buildlens_project_run_duration_seconds',
    'buildlens_project_runs',
    'buildlens_project_success_ratio',
    'buildlens_project_success_ratio_without_infra',
  ]);
  const positive = (outcome: string) =>
    samples.some((s) => s.name === 'buildlens_project_runs' && s.labels.outcome === outcome && s.value > 0);
  assert.ok(positive('infra_failure') && positive('failure') && positive('success'), 'outcomes seen');
  assert.ok(!samples.some((s) => s.labels.project === 'other'), 'fewer projects than the limit: no "other"');
}

/** The cap: the most-built projects by name, the rest as project="other" with their own figures. */
async function cap(synced: Synced, t: TestContext): Promise<void> {
  const limit = 2;
  const url = await serveOnLoopback(synced, t, { metricsProjects: limit });
  const samples = await scrape(url);
  const month = await reportApi(url, `by=project&${selection(synced, 'all', 30)}`);
  const ranked = [...month.rows].sort(
    (a, b) =>
      b.runs - a.runs ||
      String(a.connection).localeCompare(String(b.connection)) ||
      String(a.project).localeCompare(String(b.project)),
  );
  assert.ok(ranked.length > limit + 1, `the sandbox has more than ${limit + 1} projects`);
  const named = ranked.slice(0, limit);
  const rest = ranked.slice(limit);

  const projectSeries = samples.filter((s) => s.name.startsWith('buildlens_project_'));
  const shown = new Set(projectSeries.map((s) => JSON.stringify([s.labels.connection, s.labels.project])));
  assert.deepEqual(
    [...shown].sort(),
    [...named.map((r) => JSON.stringify([r.connection, r.project])), JSON.stringify(['', 'other'])].sort(),
  );
  const gauge = (name: string, group?: string) =>
    samples.find((s) => s.name === name && s.labels.group === group)?.value;
  assert.equal(gauge('buildlens_overview_project_limit'), limit);
  assert.equal(gauge('buildlens_overview_projects', 'named'), limit);
  assert.equal(gauge('buildlens_overview_projects', 'other'), rest.length);

  // "other" is the selection of the remaining projects (their names are unique in the sandbox).
  const restNames = rest.map((r) => `project=${encodeURIComponent(String(r.project))}`).join('&');
  assert.equal(new Set(ranked.map((r) => r.project)).size, ranked.length);
  for (const scope of SCOPES) {
    const others = await reportApi(url, `${restNames}&${selection(synced, scope.branch, scope.days)}`);
    const labels = { connection: '', project: 'other', branch: scope.branch, window: scope.window };
    assert.deepEqual(figuresOf(samples, labels), expectedFigures(others.total), JSON.stringify(labels));
  }
}

/** Two projects of one name in a connection are one series, over the runs of both. */
async function sharedName(synced: Synced, t: TestContext): Promise<void> {
  const projects = await listProjects(synced.store);
  const [first, second] = projects.filter((p) => p.connection === 'bitrise-sandbox' && p.name !== null);
  assert.ok(first?.name && second?.name);
  const name: string = first.name;
  const renamed = await synced.store.db
    .updateTable('projects')
    .set({ name })
    .where('key', '=', second.key)
    .where('name', '=', second.name)
    .executeTakeFirst();
  assert.equal(Number(renamed.numUpdatedRows), 1);
  const url = await serveOnLoopback(synced, t);
  const samples = await scrape(url);
  assert.ok(!samples.some((s) => s.labels.project === second.name));
  for (const scope of SCOPES) {
    const scoped = selection(synced, scope.branch, scope.days);
    const both = await reportApi(
      url,
      `connection=bitrise-sandbox&project=${encodeURIComponent(name)}&${scoped}`,
    );
    const labels = {
      connection: 'bitrise-sandbox',
      project: name,
      branch: scope.branch,
      window: scope.window,
    };
    const expected = both.total.runs > 0 ? expectedFigures(both.total) : new Map<string, number>();
    assert.deepEqual(figuresOf(samples, labels), expected, JSON.stringify(labels));
  }
}

/**
 * The overview is kept while the data version stays and for OVERVIEW_REFRESH_MS: a write the version does
 * not announce (no writer of the store makes one; this test does, to tell a kept answer from a new one)
 * shows once the time is up, and one it announces shows at once.
 */
async function kept(synced: Synced, t: TestContext): Promise<void> {
  let now = synced.sandbox.clock.now();
  const url = await serveOnLoopback(synced, t, { now: () => now });
  const monthRuns = async () =>
    (await scrape(url))
      .filter(
        (s) => s.name === 'buildlens_project_runs' && s.labels.branch === 'all' && s.labels.window === '30d',
      )
      .reduce((sum, s) => sum + s.value, 0);
  const monthAgoUs = (now - 30 * DAY_MS) * 1000;
  const moved = await synced.store.db
    .selectFrom('runs')
    .select(['connection_id', 'key'])
    .where('triggered_us', '>=', monthAgoUs + DAY_MS * 1000)
    .orderBy('key')
    .limit(2)
    .execute();
  assert.equal(moved.length, 2);
  const moveOut = (run: (typeof moved)[number]) =>
    synced.store.db
      .updateTable('runs')
      .set({ triggered_us: monthAgoUs - DAY_MS * 1000 })
      .where('connection_id', '=', run.connection_id)
      .where('key', '=', run.key)
      .execute();
  // What the store holds for the window ending now (the window moves with the clock too).
  const stored = async () => {
    const since = new Date(now - 30 * DAY_MS).toISOString();
    const [total] = await report(synced.store, { filter: { since }, by: [] });
    return total?.runs;
  };
  const before = await monthRuns();
  assert.equal(before, await stored());
  await moveOut(moved[0] as (typeof moved)[number]);
  now += OVERVIEW_REFRESH_MS - 1;
  assert.equal(await monthRuns(), before, 'kept: same data version, younger than the refresh');
  assert.ok(((await stored()) ?? before) < before, 'the store holds fewer runs by now');
  now += 1;
  const refreshed = await monthRuns();
  assert.equal(refreshed, await stored(), 'made again once the kept one is as old as the refresh');
  await moveOut(moved[1] as (typeof moved)[number]);
  await bumpDataVersion(synced.store.db);
  assert.equal(await monthRuns(), refreshed - 1, 'made again when the data version moves');
}

storeTest(
  '/metrics per project: report API figures, the cap and "other", one series per name, kept per data version',
  async (store, t) => {
    const synced = await syncFromSandbox(store, t);
    await infraRules(store);
    await everyProject(synced, t);
    await cap(synced, t);
    await sharedName(synced, t);
    await kept(synced, t);
  },
);
