// The JSON API over a store synced from the sandbox (both providers): every answer is checked against the
// OpenAPI document, and numbers against the metrics module called directly.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { DEFAULT_RULES } from '../../src/classify/classify.js';
import { runCli } from '../../src/cli/program.js';
import { dayWords } from '../../src/metrics/coverage.js';
import { flakyList } from '../../src/metrics/flaky.js';
import { flakyRanking } from '../../src/metrics/flaky-ranking.js';
import { report } from '../../src/metrics/report.js';
import type { ReportDocument } from '../../src/metrics/report-document.js';
import { DIMENSIONS, METRIC_FIELDS } from '../../src/metrics/vocabulary.js';
import { registerErrorHandling } from '../../src/server/errors.js';
import type { SyncRunner } from '../../src/server/sync-runner.js';
import type { ConnectionRecord } from '../../src/store/connection-records.js';
import { addConnection, listConnections } from '../../src/store/connections.js';
import { InvalidInputError, StoreError } from '../../src/store/errors.js';
import { SyncLockedError } from '../../src/store/lock.js';
import { listProjectRecords, RUN_RECORD_FIELDS } from '../../src/store/run-records.js';
import { openStore, type Store } from '../../src/store/store.js';
import { appFor, type Synced, syncFromSandbox } from './fixture.js';
import { type Caller, openApiCaller } from './openapi-check.js';

const scratch = mkdtempSync(join(tmpdir(), 'buildlens-api-'));
process.env.XDG_DATA_HOME = join(scratch, 'data');
const cleanups: (() => unknown)[] = [];
const hooks = { after: (fn: () => unknown) => void cleanups.push(fn) };

let store: Store;
let synced: Synced;
let app: FastifyInstance;
let sync: SyncRunner;
let api: Caller;

before(async () => {
  store = await openStore(join(scratch, 'buildlens.db'));
  synced = await syncFromSandbox(store, hooks);
  // A connection whose token the sandbox refuses, for verify.
  await addConnection(store, {
    name: 'wrong-token',
    provider: 'bitrise',
    baseUrl: synced.sandbox.bitrise.url,
    org: null,
    token: 'not-the-sandbox-token-0123456789',
  });
  ({ app, sync } = await appFor(synced, hooks));
  api = await openApiCaller(app);
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await store.close();
  rmSync(scratch, { recursive: true, force: true });
});

type ReportBody = Pick<ReportDocument, 'by' | 'filter' | 'coverage' | 'rows' | 'total'>;

test('the OpenAPI document describes every API route with a response schema', async () => {
  const { body } = await api.call('GET', '/api/openapi.json');
  const document = body as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; parameters: { name: string }[] }>
    >;
  };
  assert.equal(document.openapi, '3.1.0');
  for (const [method, path] of [
    ['get', '/healthz'],
    ['get', '/api/connections'],
    ['post', '/api/connections/{name}/verify'],
    ['get', '/api/projects'],
    ['put', '/api/projects/{connection}/{project}/default-branch'],
    ['get', '/api/runs'],
    ['get', '/api/runs/points'],
    ['get', '/api/report'],
    ['get', '/api/meta'],
    ['get', '/api/rules'],
    ['get', '/api/alerts'],
    ['get', '/api/sync'],
    ['post', '/api/sync'],
    ['get', '/metrics'],
    ['get', '/api/openapi.json'],
    ['get', '/api/flaky'],
  ] as const) {
    const operation = document.paths[path]?.[method];
    assert.ok(operation, `${method} ${path}`);
    assert.ok(
      Object.keys(operation.responses).some((s) => s.startsWith('2')),
      `${method} ${path} success schema`,
    );
  }
  const reportParameters = document.paths['/api/report']?.get?.parameters.map((p) => p.name);
  assert.deepEqual(reportParameters?.sort(), [
    'agent_queue',
    'all',
    'branch',
    'by',
    'compare',
    'connection',
    'default_branch',
    'exact',
    'machine',
    'metrics',
    'pr',
    'project',
    'provider',
    'since',
    'stack',
    'trigger',
    'until',
    'workflow',
  ]);
});

test('healthz answers when the database does', async () => {
  const { status, body } = await api.call('GET', '/healthz');
  assert.equal(status, 200);
  assert.deepEqual(body, { status: 'ok', version: '0.1.0', database: 'sqlite' });
});

/** `buildlens <args>` on this test's database, in this process; its stdout parsed as JSON. */
async function cliJson(args: string[]): Promise<unknown> {
  let printed = '';
  const stdout = new Writable({
    write(chunk, _encoding, next) {
      printed += String(chunk);
      next();
    },
  });
  const code = await runCli(['--db', join(scratch, 'buildlens.db'), ...args], {
    stdout,
    stderr: stdout,
    stdin: Readable.from([]),
    env: { XDG_DATA_HOME: join(scratch, 'data') },
  });
  assert.equal(code, 0, printed);
  return JSON.parse(printed);
}

test('connections: listed with their last sync, never with a token; verify explains the outcome', async () => {
  const { body } = await api.call('GET', '/api/connections');
  const connections = body as ConnectionRecord[];
  assert.deepEqual(
    connections.map((c) => [c.name, c.last_sync_result]),
    [
      ['bitrise-sandbox', 'ok'],
      ['buildkite-sandbox', 'ok'],
      ['wrong-token', 'never'],
    ],
  );
  assert.ok(connections[0]?.last_sync_at && connections[0].last_sync_error === null);
  assert.ok(Number(connections[0]?.last_sync_summary?.runs_new ?? 0) > 0);
  assert.equal(connections[2]?.last_sync_at, null, 'never synced');
  // The same records `buildlens --json connect list` prints, which adds only the masked token.
  const listed = (await cliJson(['--json', 'connect', 'list'])) as (ConnectionRecord & { token: string })[];
  assert.deepEqual(
    listed.map(({ token: _token, ...record }) => record),
    connections,
  );
  assert.ok(listed.every((c) => c.token.includes('…')));

  const ok = await api.call('POST', '/api/connections/{name}/verify', {
    url: '/api/connections/bitrise-sandbox/verify',
  });
  assert.equal((ok.body as { code: string }).code, 'ok');
  assert.deepEqual(ok.body, await cliJson(['--json', 'connect', 'verify', 'bitrise-sandbox']), 'as the CLI');
  const wrong = await api.call('POST', '/api/connections/{name}/verify', {
    url: '/api/connections/wrong-token/verify',
  });
  const check = wrong.body as { code: string; explanation: string; message: string };
  assert.equal(check.code, 'invalid_credentials');
  assert.match(check.explanation, /rejected the token/);
  assert.ok(!wrong.text.includes('not-the-sandbox-token'), 'the token is not echoed');
  const unknown = await api.call('POST', '/api/connections/{name}/verify', {
    url: '/api/connections/nope/verify',
  });
  assert.equal(unknown.status, 404);
  assert.match((unknown.body as { message: string }).message, /unknown connection "nope"/);
});

test('runs: cursor paging visits every run once; filters select what they say', async () => {
  const keys = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/api/runs?limit=200${cursor ? `&cursor=${cursor}` : ''}`;
    const { body } = await api.call('GET', '/api/runs', { url });
    const page = body as { runs: { key: string; connection: string }[]; next_cursor: string | null };
    for (const run of page.runs) keys.add(`${run.connection}/${run.key}`);
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor !== null && pages < 100);
  const [total] = await report(store, { filter: {}, by: [] });
  assert.equal(keys.size, total?.runs);
  assert.ok(pages > 1);

  const failed = (
    await api.call('GET', '/api/runs', {
      url: '/api/runs?classification=failure&classification=infra_failure&limit=500',
    })
  ).body as { runs: { classification: string; classified_by: string }[] };
  assert.ok(failed.runs.length > 0);
  assert.ok(failed.runs.every((r) => r.classification === 'failure' && r.classified_by === 'default:failed'));

  const buildkite = (
    await api.call('GET', '/api/runs', { url: '/api/runs?provider=buildkite&branch=main&limit=500' })
  ).body as {
    runs: { provider: string; branch: string }[];
  };
  assert.ok(buildkite.runs.length > 0);
  assert.ok(buildkite.runs.every((r) => r.provider === 'buildkite' && r.branch === 'main'));

  const pulls = (
    await api.call('GET', '/api/runs', { url: '/api/runs?trigger=pull_request&pr=true&limit=500' })
  ).body as {
    runs: { trigger: string; pr_id: string | null }[];
  };
  assert.ok(pulls.runs.length > 0);
  assert.ok(pulls.runs.every((r) => r.trigger === 'pull_request' && r.pr_id !== null));

  const none = (
    await api.call('GET', '/api/runs', { url: '/api/runs?provider=buildkite&connection=bitrise-sandbox' })
  ).body as { runs: unknown[] };
  assert.deepEqual(none.runs, [], 'a connection of another provider selects nothing');
});

test('runs, projects, report and flaky: the API answers what the CLI prints as JSON', async () => {
  const fromCli = (await cliJson([
    'runs',
    '--format',
    'json',
    '--branch',
    'main',
    '--limit',
    '300',
  ])) as Record<string, unknown>[];
  const { body } = await api.call('GET', '/api/runs', { url: '/api/runs?branch=main&limit=300' });
  const page = body as { runs: Record<string, unknown>[] };
  assert.ok(fromCli.length > 0);
  assert.deepEqual(page.runs, fromCli);
  for (const run of page.runs) {
    assert.deepEqual(Object.keys(run), RUN_RECORD_FIELDS, 'every field, snake_case, in print order');
    assert.equal(typeof run.project, 'string', 'runs carry their project name');
  }

  const projects = (await api.call('GET', '/api/projects')).body as Record<string, unknown>[];
  assert.deepEqual(projects, await listProjectRecords(store));
  assert.ok(projects.every((p) => 'web_url' in p && 'repo_url' in p && !('webUrl' in p)));

  // With an end: the previous period of an open range ends at each caller's own clock.
  const end = Math.floor(synced.sandbox.clock.now() / 3_600_000) * 3_600_000;
  const since = new Date(end - 28 * 86_400_000).toISOString();
  const until = new Date(end).toISOString();
  const report = await api.call('GET', '/api/report', {
    url: `/api/report?by=connection&by=week&metrics=rates&compare=previous&since=${since}&until=${until}&branch=main`,
  });
  assert.deepEqual(
    report.body,
    await cliJson([
      'report',
      '--format',
      'json',
      '--by',
      'connection,week',
      '--metrics',
      'rates',
      '--compare',
      'previous',
      '--since',
      since,
      '--until',
      until,
      '--branch',
      'main',
    ]),
  );
  assert.ok((report.body as ReportBody).rows.length > 1, 'weeks with runs');
  const flaky = await api.call('GET', '/api/flaky', {
    url: `/api/flaky?limit=20&since=${since}&until=${until}`,
  });
  assert.ok((flaky.body as { commits: unknown[] }).commits.length > 0, 'flaky commits');
  assert.deepEqual(
    flaky.body,
    await cliJson(['flaky', '--format', 'json', '--limit', '20', '--since', since, '--until', until]),
  );
});

test('runs and report: bad parameters get a 400 that says what is wrong', async () => {
  const cases: [string, string, RegExp][] = [
    ['/api/runs', '/api/runs?limit=0', /limit/],
    ['/api/runs', '/api/runs?limit=abc', /limit/],
    ['/api/runs', '/api/runs?since=yesterday', /since: .*ISO 8601/],
    ['/api/runs', '/api/runs?cursor=garbage', /invalid cursor/],
    ['/api/runs', '/api/runs?classification=great', /classification/],
    ['/api/runs', '/api/runs?unknown=1', /unknown/i],
    ['/api/report', '/api/report?by=colour', /by/],
    ['/api/report', '/api/report?since=2026-02-01&until=2026-01-01', /since must be earlier than until/],
    ['/api/runs', '/api/runs?limit=501', /limit: .*500/],
    ['/api/flaky', '/api/flaky?limit=100000', /limit: .*500/],
    ['/api/report', '/api/report?since=1900-01-01', /since: must be between 2000-01-01 and 2100-01-01/],
    ['/api/runs', '/api/runs?until=9999-12-31', /until: must be between/],
    ['/api/report', `/api/report?${'branch=b&'.repeat(101)}`, /branch: .*100/],
  ];
  for (const [template, url, message] of cases) {
    const { status, body, text } = await api.call('GET', template, { url });
    assert.equal(status, 400, url);
    assert.equal((body as { error: string }).error, 'bad_request');
    assert.match((body as { message: string }).message, message, url);
    assert.ok(!text.includes('    at '), 'no stack trace');
  }
});

test('report: the same document as the metrics module gives, for any grouping and filter', async () => {
  const { body } = await api.call('GET', '/api/report', { url: '/api/report?all=true' });
  const document = body as ReportBody;
  assert.deepEqual(document.by, ['project']);
  assert.deepEqual(document.rows, await report(store, { filter: {}, by: ['project'] }));
  assert.deepEqual(document.total, (await report(store, { filter: {}, by: [] }))[0]);

  // Without a period: the last 30 days, like the CLI and the dashboard.
  const before = Date.now();
  const recent = (await api.call('GET', '/api/report')).body as ReportBody;
  const start = Date.parse(String(recent.filter.since));
  assert.ok(start >= before - 30 * 86_400_000 - 1000 && start <= Date.now() - 30 * 86_400_000 + 1000);
  assert.ok(Number(recent.total.runs) < Number(document.total.runs), 'the sandbox holds 90 days');
  const contradiction = await api.call('GET', '/api/report', {
    url: '/api/report?all=true&since=2026-01-01',
  });
  assert.equal(contradiction.status, 400);

  // A selection of up to 20,000 runs is answered exactly, as with exact=true.
  const exact = (await api.call('GET', '/api/report', { url: '/api/report?all=true&exact=true' }))
    .body as ReportBody;
  assert.deepEqual(exact.rows, await report(store, { filter: {}, by: ['project'], exact: true }));
  assert.deepEqual(exact.rows, document.rows);
  assert.ok(document.rows.every((r) => r.percentiles === 'exact'));

  const since = '2026-01-01T00:00:00.000Z';
  const weekly = (
    await api.call('GET', '/api/report', { url: `/api/report?by=week&by=workflow&since=2026-01-01` })
  ).body as ReportBody;
  assert.deepEqual(weekly.filter, { since });
  assert.deepEqual(weekly.rows, await report(store, { filter: { since }, by: ['week', 'workflow'] }));

  const perProvider = await Promise.all(
    ['bitrise', 'buildkite'].map(
      async (p) =>
        (
          (await api.call('GET', '/api/report', { url: `/api/report?all=true&provider=${p}` }))
            .body as ReportBody
        ).total,
    ),
  );
  assert.equal(
    perProvider.reduce((sum, t) => sum + Number(t.runs), 0),
    document.total.runs,
  );
  assert.ok(perProvider.every((t) => Number(t.runs) > 0));
});

test('meta: dimensions and metric groups come from the metrics module', async () => {
  const { body } = await api.call('GET', '/api/meta');
  const meta = body as { dimensions: string[]; metric_groups: Record<string, string[]> };
  assert.deepEqual(meta.dimensions, [...DIMENSIONS]);
  assert.deepEqual(meta.metric_groups, METRIC_FIELDS);
});

test('report: metric groups and the previous period, as the metrics module computes them', async () => {
  const since = '2026-01-01T00:00:00.000Z';
  const until = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000).toISOString();
  const url = `/api/report?by=trigger&metrics=flaky&metrics=rates&compare=previous&since=${since}&until=${until}`;
  const document = (await api.call('GET', '/api/report', { url })).body as ReportBody & {
    metrics: string[];
    previous_filter: { since: string; until: string };
  };
  assert.deepEqual(document.metrics, ['flaky', 'rates']);
  assert.equal(document.previous_filter.until, since);
  const metrics = ['flaky', 'rates'] as const;
  // The sandbox was backfilled 90 days: the store does not hold the year before, so nothing is compared.
  const coveredFrom = (await listConnections(store))
    .flatMap((c) => (c.coveredFrom === null ? [] : [c.coveredFrom]))
    .sort()
    .at(-1);
  assert.deepEqual(document.total.comparison, {
    coverage: 'not_covered',
    covered_from: coveredFrom,
    note: `no data before ${dayWords(coveredFrom as string, new Date(until).getUTCFullYear())}`,
  });
  assert.equal(document.total.previous, null, 'never a change against a period the store does not hold');
  assert.ok(document.rows.every((r) => r.previous === null && r.comparison?.coverage === 'not_covered'));
  const [total] = await report(store, { filter: { since, until }, by: [], metrics });
  const { previous: _, comparison: _c, ...current } = document.total;
  assert.deepEqual(current, total);
  assert.ok(document.rows.length > 1 && document.rows.every((r) => typeof r.trigger === 'string'));
  assert.ok('flaky_rate' in document.total && 'abort_rate' in document.total);

  const unbounded = await api.call('GET', '/api/report', { url: '/api/report?all=true&compare=previous' });
  assert.equal(unbounded.status, 400);
  assert.match((unbounded.body as { message: string }).message, /needs a start/);
});

test('flaky: commits that failed and passed, and jobs that passed on retry, as the metrics module lists them', async () => {
  const { body } = await api.call('GET', '/api/flaky', { url: '/api/flaky?limit=500&all=true' });
  const flaky = body as { commits: { failures: number; successes: number }[]; jobs: unknown[] };
  assert.deepEqual(flaky, { filter: {}, ...(await flakyList(store, {}, 500)) });
  assert.ok(flaky.commits.length + flaky.jobs.length > 0, 'the sandbox has flaky runs');
  assert.ok(flaky.commits.every((c) => c.failures > 0 && c.successes > 0));
  const bitrise = (
    await api.call('GET', '/api/flaky', { url: '/api/flaky?provider=bitrise&limit=500&all=true' })
  ).body as {
    commits: { connection: string }[];
  };
  assert.ok(bitrise.commits.every((c) => c.connection === 'bitrise-sandbox'));
});

test('flaky?by=job|workflow: the ranking the CLI prints, with a trend per bucket when asked', async () => {
  for (const by of ['job', 'workflow'] as const) {
    const { body } = await api.call('GET', '/api/flaky', { url: `/api/flaky?by=${by}&limit=500&all=true` });
    assert.deepEqual(body, {
      filter: {},
      by,
      ranks: await flakyRanking(store, { filter: {}, by, limit: 500 }),
    });
    assert.deepEqual(
      body,
      await cliJson(['flaky', '--by', by, '--all', '--format', 'json', '--limit', '500']),
    );
    assert.ok((body as { ranks: unknown[] }).ranks.length > 0, `the sandbox has flaky ${by}s`);
  }
  const weekly = (
    await api.call('GET', '/api/flaky', { url: '/api/flaky?by=job&bucket=week&limit=3&all=true' })
  ).body as { ranks: { flaky: number; trend: { bucket: string; flaky: number }[] }[] };
  for (const rank of weekly.ranks) {
    assert.equal(
      rank.trend.reduce((sum, p) => sum + p.flaky, 0),
      rank.flaky,
      'the trend adds up to the flaky count',
    );
    assert.ok(rank.trend.every((p) => /^\d{4}-W\d\d$/.test(p.bucket)));
  }
  const bad = await api.call('GET', '/api/flaky', { url: '/api/flaky?by=step' });
  assert.equal(bad.status, 400);
  const both = await api.call('GET', '/api/flaky', { url: '/api/flaky?all=true&since=2026-01-01T00:00:00Z' });
  assert.equal(both.status, 400);
  // Without a period, the last 30 days, said in the answer.
  const recent = (await api.call('GET', '/api/flaky')).body as { filter: { since: string } };
  assert.ok(Math.abs(Date.now() - 30 * 86_400_000 - Date.parse(recent.filter.since)) < 60_000);
});

test('rules and projects', async () => {
  const rules = (await api.call('GET', '/api/rules')).body as { order: number; name: string }[];
  assert.deepEqual(
    rules.map((r) => r.name),
    DEFAULT_RULES.map((r) => r.name),
  );
  assert.deepEqual(
    rules.map((r) => r.order),
    DEFAULT_RULES.map((_, i) => i + 1),
  );
  // A rules file beside the database comes first, as the server's syncs apply it.
  const file = join(scratch, 'rules.yaml');
  writeFileSync(
    file,
    'rules:\n  - name: docs-only\n    classification: skipped\n    match: { reason: "docs only" }\n',
  );
  try {
    const inForce = (await api.call('GET', '/api/rules')).body as { name: string; classification: string }[];
    assert.deepEqual(inForce[0], { order: 1, name: 'docs-only', classification: 'skipped' });
    assert.deepEqual(
      inForce.slice(1).map((r) => r.name),
      DEFAULT_RULES.map((r) => r.name),
    );
  } finally {
    rmSync(file);
  }

  const projects = (await api.call('GET', '/api/projects')).body as { connection: string; name: string }[];
  const reported = await report(store, { filter: {}, by: ['project'] });
  assert.deepEqual(
    projects.map((p) => `${p.connection}/${p.name}`).sort(),
    reported.map((r) => `${r.connection}/${r.project}`).sort(),
  );
});

test('runs/points: every finished run of the selection, thinned evenly above the limit', async () => {
  type Points = { total: number; every: number; points: [number, number, string][] };
  const all = (await api.call('GET', '/api/runs/points')).body as Points;
  const runs = (await report(store, { filter: {}, by: [] }))[0];
  assert.ok(all.total > 100 && all.total <= (runs?.runs ?? 0), `${all.total} finished runs`);
  assert.equal(all.every, 1);
  assert.equal(all.points.length, all.total);
  assert.ok(
    all.points.every((p, i) => i === 0 || (all.points[i - 1]?.[0] ?? 0) <= p[0]),
    'oldest first',
  );
  const thin = (await api.call('GET', '/api/runs/points', { url: '/api/runs/points?limit=100' }))
    .body as Points;
  assert.equal(thin.total, all.total);
  assert.equal(thin.every, Math.ceil(all.total / 100));
  assert.equal(thin.points.length, Math.ceil(all.total / thin.every));
  assert.deepEqual(thin.points[1], all.points[thin.every], 'every k-th run, the same ones each time');
  const failed = (
    await api.call('GET', '/api/runs/points', { url: '/api/runs/points?classification=failure' })
  ).body as Points;
  assert.ok(failed.total > 0 && failed.points.every((p) => p[2] === 'failure'));
});

test('default branches: the pipeline’s or inferred, set per project, and the default_branch filter', async () => {
  type Project = {
    connection: string;
    name: string;
    default_branch: string | null;
    default_branch_source: string | null;
  };
  const before = (await api.call('GET', '/api/projects')).body as Project[];
  assert.ok(
    before
      .filter((p) => p.connection === 'buildkite-sandbox')
      .every((p) => p.default_branch_source === 'provider'),
    'Buildkite pipelines carry theirs',
  );
  const app = before.find(
    (p) => p.connection === 'bitrise-sandbox' && p.default_branch_source === 'inferred',
  );
  assert.ok(app, 'a Bitrise app’s default branch is inferred from its push runs');
  const path = '/api/projects/{connection}/{project}/default-branch';
  const url = `/api/projects/bitrise-sandbox/${encodeURIComponent(app.name)}/default-branch`;
  try {
    const set = await api.call('PUT', path, { url, payload: { branch: 'release/9' } });
    assert.equal(set.status, 200);
    assert.deepEqual(
      [(set.body as Project).default_branch, (set.body as Project).default_branch_source],
      ['release/9', 'setting'],
    );
    const query = `default_branch=true&connection=bitrise-sandbox&project=${encodeURIComponent(app.name)}`;
    const none = (await api.call('GET', '/api/report', { url: `/api/report?${query}` })).body as ReportBody;
    assert.equal(none.total.runs, 0, 'no run on the branch set');
    assert.deepEqual(none.filter.default_branch, true);
    const missing = await api.call('PUT', path, {
      url: '/api/projects/bitrise-sandbox/nope/default-branch',
      payload: { branch: 'main' },
    });
    assert.equal(missing.status, 404);
    const empty = await api.call('PUT', path, { url, payload: { branch: ' ' } });
    assert.equal(empty.status, 400);
  } finally {
    const unset = await api.call('PUT', path, { url, payload: { branch: null } });
    assert.equal((unset.body as Project).default_branch_source, 'inferred');
  }
  const onDefault = (await api.call('GET', '/api/report', { url: '/api/report?default_branch=true' }))
    .body as ReportBody;
  const others = (await api.call('GET', '/api/report', { url: '/api/report?default_branch=false' }))
    .body as ReportBody;
  const all = (await api.call('GET', '/api/report', { url: '/api/report' })).body as ReportBody;
  assert.ok(Number(onDefault.total.runs) > 0 && Number(others.total.runs) > 0);
  assert.equal(
    Number(onDefault.total.runs) + Number(others.total.runs),
    all.total.runs,
    'the two views split the runs',
  );
});

test('sync: one at a time, with progress and the result per connection', async () => {
  const started = await api.call('POST', '/api/sync', { payload: { connections: ['bitrise-sandbox'] } });
  assert.equal(started.status, 202);
  assert.equal((started.body as { running: boolean }).running, true);
  const again = await api.call('POST', '/api/sync', { payload: {} });
  assert.equal(again.status, 409);
  assert.match((again.body as { message: string }).message, /already running/);
  await sync.idle();
  const { body } = await api.call('GET', '/api/sync');
  const status = body as {
    running: boolean;
    connections: {
      connection: string;
      state: string;
      projects_done: number;
      summary: { runs_new: number };
    }[];
  };
  assert.equal(status.running, false);
  assert.equal(status.connections.length, 1);
  const [entry] = status.connections;
  assert.equal(entry?.state, 'succeeded');
  assert.equal(entry?.summary.runs_new, 0, 'the sandbox clock stood still: nothing new');
  assert.ok((entry?.projects_done ?? 0) > 0);

  const together = await Promise.all(
    [1, 2, 3].map(() => app.inject({ method: 'POST', url: '/api/sync', payload: {} })),
  );
  assert.deepEqual(
    together.map((r) => r.statusCode).sort(),
    [202, 409, 409],
    'requests at once start one sync',
  );
  await sync.idle();

  const failing = await api.call('POST', '/api/sync', { payload: { connections: ['wrong-token'] } });
  assert.equal(failing.status, 202);
  await sync.idle();
  const failed = (await api.call('GET', '/api/sync')).body as typeof status & {
    connections: { error: string | null }[];
  };
  assert.equal(failed.connections[0]?.state, 'failed');
  assert.ok(failed.connections[0]?.error && !failed.connections[0].error.includes('not-the-sandbox-token'));

  assert.equal((await api.call('POST', '/api/sync', { payload: { connections: ['nope'] } })).status, 404);
  assert.equal((await api.call('POST', '/api/sync', { payload: { connections: 'all' } })).status, 400);
  assert.equal((await api.call('POST', '/api/sync', { payload: { connections: [], extra: 1 } })).status, 400);
  const text = await api.call('POST', '/api/sync', {
    payload: 'connections=a',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(text.status, 415);
  const huge = await api.call('POST', '/api/sync', { payload: { connections: ['x'.repeat(20_000)] } });
  assert.equal(huge.status, 413);
});

test('a scheduled sync covers every connection in the background', async () => {
  sync.schedule(100);
  try {
    for (let i = 0; i < 200; i++) {
      const status = sync.status();
      if (status.trigger === 'schedule' && !status.running) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    sync.stop();
    await sync.idle();
  }
  const status = (await api.call('GET', '/api/sync')).body as {
    trigger: string;
    connections: { connection: string; state: string }[];
  };
  assert.equal(status.trigger, 'schedule');
  assert.deepEqual(
    status.connections.map((c) => [c.connection, c.state]),
    [
      ['bitrise-sandbox', 'succeeded'],
      ['buildkite-sandbox', 'succeeded'],
      ['wrong-token', 'failed'],
    ],
  );
});

test('/metrics: Prometheus text with run counts by class, quantiles and sync status', async () => {
  const { status, text, headers } = await api.call('GET', '/metrics');
  assert.equal(status, 200);
  assert.match(String(headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const value = (pattern: RegExp) =>
    text
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const [total] = await report(store, { filter: { since }, by: [] });
  assert.ok((total?.runs ?? 0) > 0, 'the sandbox has runs in the last 30 days');
  assert.equal(value(/^buildlens_runs\{.*\}/), total?.runs);
  assert.equal(value(/^buildlens_runs\{.*class="success"\}/), total?.success);
  assert.match(
    text,
    /^buildlens_run_duration_seconds\{connection="bitrise-sandbox",project="[^"]+",workflow="[^"]+",quantile="0\.95"\} \d/m,
  );
  assert.match(text, /^buildlens_last_sync_timestamp_seconds\{connection="buildkite-sandbox"\} \d+/m);
  assert.match(text, /^buildlens_last_sync_failed\{connection="wrong-token"\} 1$/m);
  assert.match(text, /^# TYPE buildlens_sync_failures_total counter$/m);
  assert.match(
    text,
    // The schedule may have run several times (every 100 ms) before the test saw it idle: 2 or more.
    /^buildlens_sync_failures_total\{connection="wrong-token"\} (?:[2-9]|[1-9]\d+)$/m,
    'API and scheduled failures',
  );
  assert.match(text, /^buildlens_sync_failures_total\{connection="bitrise-sandbox"\} 0$/m);
});

test('unknown routes are 404 in JSON; the app shell answers for app paths', async () => {
  const missing = await app.inject({ url: '/api/nothing' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error, 'not_found');
  assert.equal((await app.inject({ url: '/metrics/x' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/assets/missing.js' })).statusCode, 404);
  const page = await app.inject({ url: '/project/a/b?days=7' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
});

test('no answer ever contained a provider token', () => {
  const tokens = [
    synced.sandbox.bitrise.token,
    synced.sandbox.buildkite.token,
    'not-the-sandbox-token-0123456789',
  ];
  assert.ok(api.bodies.length > 20);
  for (const body of api.bodies) for (const token of tokens) assert.ok(!body.includes(token));
});

test('an unexpected failure is a plain 500: logged on the server, no details to the client', async (t) => {
  const broken = await openStore(join(scratch, 'broken.db'));
  const { app: brokenApp, errors } = await appFor({ ...synced, store: broken }, t);
  await broken.close();
  const response = await brokenApp.inject({ url: '/api/report' });
  assert.equal(response.statusCode, 500);
  assert.deepEqual(response.json(), {
    error: 'internal_error',
    message: 'internal error; the server log has the details',
  });
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? '', /GET \/api\/report/);
});

test('store failures are a 503 with their one line; input the client can fix is a 400; a held sync a 409', async () => {
  const app = Fastify();
  const logged: string[] = [];
  registerErrorHandling(app, (line) => logged.push(line));
  const failures: Record<string, Error> = {
    full: new StoreError('cannot write to the store: the disk is full; nothing of this batch was saved'),
    cursor: new InvalidInputError('invalid cursor "x"'),
    locked: new SyncLockedError('another sync of "br" is running on this database; wait for it to finish'),
  };
  for (const [path, error] of Object.entries(failures)) {
    app.get(`/${path}`, async () => {
      throw error;
    });
  }
  const answers = await Promise.all(Object.keys(failures).map((path) => app.inject({ url: `/${path}` })));
  assert.deepEqual(
    answers.map((a) => [a.statusCode, a.json()]),
    [
      [503, { error: 'unavailable', message: failures.full?.message }],
      [400, { error: 'bad_request', message: 'invalid cursor "x"' }],
      [409, { error: 'conflict', message: failures.locked?.message }],
    ],
  );
  assert.deepEqual(logged, [], 'none of them is an unexpected error');
  await app.close();
});
