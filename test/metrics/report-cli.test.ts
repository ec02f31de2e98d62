// `buildlens report` with every metric group and a comparison, and `buildlens flaky`, through the CLI on a
// real SQLite file: tables fit 80 columns, json carries the previous period, csv its prev_ fields, links whole.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { ClassifiedRun } from '../../src/domain/model.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { recordCoverage } from '../../src/store/coverage.js';
import { openStore } from '../../src/store/store.js';
import { runInProcess } from '../cli/in-process.js';
import { scratch } from '../store/engines.js';
import { run } from '../store/fixtures.js';

const db = join(scratch, 'report-cli', 'buildlens.db');

/** On an 80-column terminal unless `columns` says otherwise (null: piped). */
const cli = (args: string[], columns: number | null = 80) =>
  runInProcess(['--db', db, ...args], columns === null ? {} : { columns });

// 20 days × 5 runs on 2026-02-01..20: every 4th run fails; the runs of a day share a commit, so a day with
// both outcomes on one workflow is a flaky commit. The first 2 runs of a day are on agent queue macos.
before(async () => {
  const store = await openStore(db);
  const connection = await addConnection(store, {
    name: 'br',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9',
    org: null,
    token: 'x',
  });
  await recordCoverage(store, connection.id, '2026-01-01T00:00:00.000Z', new Date());
  const runs: ClassifiedRun[] = [];
  for (let d = 0; d < 20; d++) {
    for (let i = 0; i < 5; i++) {
      const fail = (d * 5 + i) % 4 === 0;
      const date = `2026-02-${String(d + 1).padStart(2, '0')}`;
      runs.push(
        run(`r${d}-${i}`, 0, {
          projectKey: i % 2 ? 'app1' : 'an-app-with-a-really-long-name',
          workflow: i % 3 ? 'primary' : 'nightly-release-train',
          triggeredAt: `${date}T0${i}:00:00Z`,
          finishedAt: `${date}T0${i}:30:00Z`,
          commitSha: `c${d}`,
          status: fail ? 'failed' : 'succeeded',
          classification: fail ? 'failure' : 'success',
          durationS: 100 + d * 7 + i,
          agentQueue: i < 2 ? 'macos' : 'default',
        }),
      );
    }
  }
  await writeBatch(store, connection.id, {
    projects: [{ key: 'app1', name: 'iOS App', owner: null, repoUrl: null, webUrl: null }],
    runs,
    jobs: [],
    raw: [],
  });
  await store.close();
});

const PERIOD = ['--since', '2026-02-11', '--until', '2026-02-21'];

test('every metric group against the previous period fits 80 columns, one table per group', async () => {
  const result = await cli([
    'report',
    '--by',
    'project,workflow',
    '--metrics',
    'all',
    '--compare',
    'previous',
    ...PERIOD,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  for (const line of lines) assert.ok([...line].length <= 80, `wider than 80: ${line}`);
  const titles = lines
    .filter((l) => / \(Δ against 2026-02-01 to 2026-02-11\)$/.test(l))
    .map((l) => l.split(' ')[0]);
  assert.deepEqual(titles, ['counts', 'duration', 'rates', 'queue', 'setup', 'recovery', 'flaky', 'credits']);
  assert.match(result.stdout, /^an-app-with-a-r[a-z-]*…\s/m, 'long names are shortened');
});

test('json: each row and the total carry the previous period; csv: prev_ fields', async () => {
  const json = await cli([
    'report',
    '--format',
    'json',
    '--metrics',
    'flaky',
    '--compare',
    'previous',
    ...PERIOD,
  ]);
  const document = JSON.parse(json.stdout);
  // 50 runs in each period (5 a day for 10 days); failures are runs 0, 4, 8, … of the 100.
  assert.deepEqual(document.previous_filter, {
    since: '2026-02-01T00:00:00.000Z',
    until: '2026-02-11T00:00:00.000Z',
  });
  assert.equal(document.total.runs, 50);
  assert.equal(document.total.previous.runs, 50);
  assert.equal(document.total.failure, 12, 'runs 52, 56, …, 96 of 50..99');
  assert.equal(document.total.previous.failure, 13, 'runs 0, 4, …, 48');
  assert.deepEqual(document.metrics, ['flaky']);
  const csv = await cli(['report', '--format', 'csv', '--compare', 'previous', ...PERIOD]);
  const header = csv.stdout.split('\n')[0] ?? '';
  assert.match(
    header,
    /^project,connection,runs,.*,queue_s_p95,coverage,covered_from,prev_runs,prev_success,/,
  );
});

test('--by agent_queue and --agent-queue', async () => {
  // Run n = 5d + i fails when n % 4 = 0. macos (i = 0, 1): n = 5d fails for d = 0, 4, 8, 12, 16 and n = 5d + 1
  // for d = 3, 7, 11, 15, 19: 10 of 40. default: the other 15 of the 25 failures, of 60.
  const csv = await cli(['report', '--all', '--by', 'agent_queue', '--format', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const rows = csv.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, 4).join(','));
  assert.deepEqual(rows, [
    'agent_queue,runs,success,failure',
    'default,60,45,15',
    'macos,40,30,10',
    'total,100,75,25',
  ]);
  const json = await cli([
    'report',
    '--all',
    '--by',
    'agent_queue',
    '--agent-queue',
    'macos',
    '--format',
    'json',
  ]);
  const document = JSON.parse(json.stdout);
  assert.deepEqual(document.filter, { agent_queue: ['macos'] }, 'the filter as the API names it');
  assert.deepEqual(
    document.rows.map((r: Record<string, unknown>) => [r.agent_queue, r.runs, r.failure]),
    [['macos', 40, 10]],
  );
});

test('flaky lists commits with their date and both links, whole', async () => {
  const result = await cli(['flaky', '--all', '--limit', '2']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.equal(lines[0], 'Period: every run stored');
  assert.equal(lines[2], 'flaky commits (the first 2; --limit shows more)');
  assert.match(lines[3] ?? '', /^ {2}2026-02-\d\d \d\d:\d\d UTC · \S.* · c\d+ · main · 1 failed, 1 passed$/);
  assert.match(lines[4] ?? '', /^ {4}failed: https:\/\/app\.example\/build\/r\d+-\d$/);
  assert.match(lines[5] ?? '', /^ {4}passed: https:\/\/app\.example\/build\/r\d+-\d$/);
  const all = await cli(['flaky', '--all', '--limit', '1000']);
  const count = Number(/^flaky commits \((\d+)\)$/.exec(all.stdout.split('\n')[2] ?? '')?.[1]);
  assert.ok(count > 2, all.stdout);
  const json = JSON.parse((await cli(['flaky', '--all', '--limit', '1000', '--format', 'json'])).stdout);
  assert.deepEqual(json.filter, {});
  assert.equal(json.commits.length, count);
});

test('flaky covers the last 30 days unless told otherwise, and says so', async () => {
  // The runs are of February: none is in the last 30 days.
  const recent = await cli(['flaky']);
  assert.equal(recent.code, 0, recent.stderr);
  assert.equal(recent.stdout, '');
  assert.match(
    recent.stderr,
    /^Period: \S+ \S+ UTC to now \(the last 30 days; --all for every run\)\nno flaky commits or jobs\n$/,
  );
  const json = JSON.parse((await cli(['flaky', '--by', 'job', '--format', 'json'])).stdout);
  assert.ok(Date.now() - Date.parse(json.filter.since) - 30 * 86_400_000 < 60_000, json.filter.since);
  assert.deepEqual(json.ranks, []);
  const february = await cli(['flaky', ...PERIOD]);
  assert.match(
    february.stdout,
    /^Period: 2026-02-11 00:00 UTC to 2026-02-21 00:00 UTC\n\nflaky commits \(5\)\n/,
  );
});

test('bad report and runs options fail in one line with exit code 2', async () => {
  for (const [args, message] of [
    // A name that matches nothing is a typo, not an empty answer.
    [['runs', '--project', 'nope'], /unknown project "nope" \(neither a name nor an id\)/],
    [['runs', '--connection', 'nope'], /unknown connection "nope"/],
    [['report', '--project', 'nope'], /unknown project "nope"/],
    [['flaky', '--project', 'nope'], /unknown project "nope"/],
    [['report', '--all', '--compare', 'previous'], /needs a start \(--since\)/],
    [['report', '--all', '--since', '2026-01-01'], /--all and --since\/--until contradict each other/],
    [['flaky', '--all', '--until', '2026-01-01'], /--all and --since\/--until contradict each other/],
    [['report', '--compare', 'last-year', ...PERIOD], /--compare must be one of previous/],
    [['report', '--metrics', 'speed'], /--metrics must be one of counts, rates/],
    [['report', '--trigger', 'cron'], /--trigger must be one of push, pull_request/],
  ] as const) {
    const result = await cli([...args]);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.equal(result.stderr.split('\n').length, 2, 'one line');
  }
});
