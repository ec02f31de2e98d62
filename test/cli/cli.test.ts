// End to end: the built `bin/buildlens` in a temporary directory against a sandbox on loopback.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { buildCli } from './built-cli.js';
import { runInProcess } from './in-process.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'buildlens');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let sandbox: Sandbox;
let dir: string;
let db: string;
let env: NodeJS.ProcessEnv;
let tokens: string[];

function buildlens(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** What every run must honour: no stack trace and no token anywhere in the output. */
function assertClean(result: Result): void {
  const output = result.stdout + result.stderr;
  assert.doesNotMatch(output, /\n\s+at .+:\d+:\d+/, 'stack trace in output');
  for (const token of tokens) assert.ok(!output.includes(token), 'token in output');
}

/** A failure: the exit code asked for and exactly one line `buildlens: …` on stderr. */
function assertFails(result: Result, code: number, message: RegExp): void {
  assertClean(result);
  assert.equal(result.code, code, `exit ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `stderr has ${lines.length} lines: ${result.stderr}`);
  assert.match(lines[0] ?? '', /^buildlens: /);
  assert.match(lines[0] ?? '', message);
}

function assertOk(result: Result): void {
  assertClean(result);
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const address = server.address();
  await new Promise((closed) => server.close(closed));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

before(async () => {
  buildCli();
  // A manual clock: nothing changes between two syncs unless the test moves it.
  sandbox = await startSandbox({ seed: 1, size: 'small', clock: 'manual' });
  tokens = [sandbox.bitrise.token, sandbox.buildkite.token];
  dir = mkdtempSync(join(tmpdir(), 'buildlens-cli-'));
  db = join(dir, 'buildlens.db');
  const { BUILDLENS_DB: _db, BUILDLENS_KEY: _key, ...rest } = process.env;
  env = { ...rest, XDG_DATA_HOME: join(dir, 'data'), BITRISE_TOKEN: sandbox.bitrise.token };
});

after(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('buildlens against the sandbox', () => {
  it('connect add: token from the environment, or from stdin', async () => {
    assertOk(
      await buildlens([
        '--db',
        db,
        'connect',
        'add',
        'br',
        '--provider',
        'bitrise',
        '--url',
        sandbox.bitrise.url,
      ]),
    );
    const added = await buildlens(
      [
        '--db',
        db,
        'connect',
        'add',
        'bk',
        '--provider',
        'buildkite',
        '--url',
        sandbox.buildkite.url,
        '--org',
        sandbox.buildkite.org,
        '--token-stdin',
      ],
      { input: `${sandbox.buildkite.token}\n` },
    );
    assertOk(added);
    assert.match(added.stdout, /added connection "bk" \(buildkite/);
  });

  it('connect list shows connections with masked tokens and their last sync', async () => {
    const table = await buildlens(['--db', db, 'connect', 'list']);
    assertOk(table);
    const masked = `${sandbox.bitrise.token.slice(0, 4)}…${sandbox.bitrise.token.slice(-4)}`;
    assert.match(
      table.stdout,
      new RegExp(`^br\\s+bitrise\\s+http://127\\.0\\.0\\.1:\\S+\\s+${masked}\\s+-\\s+never$`, 'm'),
    );
    const json = await buildlens(['--db', db, '--json', 'connect', 'list']);
    assertOk(json);
    assert.deepEqual(
      JSON.parse(json.stdout).map((c: Record<string, unknown>) => [
        c.name,
        c.org,
        c.url,
        c.token,
        c.last_sync_result,
      ]),
      [
        [
          'bk',
          sandbox.buildkite.org,
          sandbox.buildkite.url,
          `${sandbox.buildkite.token.slice(0, 4)}…${sandbox.buildkite.token.slice(-4)}`,
          'never',
        ],
        ['br', null, sandbox.bitrise.url, masked, 'never'],
      ],
    );
  });

  it('connect verify on success lists what it checked, each thing once', async () => {
    const verified = await buildlens(['--db', db, 'connect', 'verify', 'bk']);
    assertOk(verified);
    const pipelines = sandbox.buildkite.world.model.org(sandbox.buildkite.org)?.pipelines.length;
    assert.equal(
      verified.stdout,
      [
        'ok: connection "bk" verified',
        '  token accepted',
        `  1 organization reachable: "${sandbox.buildkite.org}"`,
        `  ${pipelines} pipelines visible`,
        '  builds readable',
        '  steps: read from the builds’ jobs (no extra requests)',
        '  webhook: none, syncs only ("buildlens connect webhook bk" sets one up)',
        '',
      ].join('\n'),
    );
    const bitrise = await buildlens(['--db', db, 'connect', 'verify', 'br']);
    assertOk(bitrise);
    const lines = bitrise.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      'ok: connection "br" verified',
      '  token accepted',
      `  ${sandbox.bitrise.world.apps().length} apps visible`,
    ]);
    assert.match(lines[3] ?? '', /^ {2}builds and pipelines readable \(app ".+"\)$/);
    assert.equal(lines[4], '  step lists: fetched at each sync (one request per finished build)');
    assert.equal(lines.length, 6);
    const json = JSON.parse((await buildlens(['--db', db, '--json', 'connect', 'verify', 'bk'])).stdout);
    assert.equal(json.code, 'ok');
    assert.deepEqual(
      json.checked,
      verified.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.trim()),
    );
  });

  let firstTotals: { runs_new: number; jobs_new: number; projects: number };

  it('sync --json imports every run the sandbox serves', async () => {
    const synced = await buildlens(['--db', db, '--json', 'sync', '--lookback', '365d']);
    assertOk(synced);
    const outcome = JSON.parse(synced.stdout);
    const byName = Object.fromEntries(
      outcome.connections.map((c: { connection: string }) => [c.connection, c]),
    );
    assert.equal(byName.br.runs_new, sandbox.bitrise.world.runs().length);
    assert.equal(
      byName.bk.runs_new,
      sandbox.buildkite.world.builds(sandbox.buildkite.url, { org: sandbox.buildkite.org }).length,
    );
    assert.equal(byName.br.projects, sandbox.bitrise.world.apps().length);
    assert.equal(outcome.totals.runs_new, byName.br.runs_new + byName.bk.runs_new);
    assert.ok(outcome.totals.jobs_new > 0);
    assert.deepEqual(outcome.failed, []);
    assert.deepEqual(Object.keys(byName.br), [
      'connection',
      'provider',
      'projects',
      'runs_new',
      'runs_updated',
      'runs_refused',
      'jobs_new',
      'jobs_updated',
      'jobs_removed',
      'steps_new',
      'steps_updated',
      'requests',
      'duration_ms',
      'unknown_statuses',
    ]);
    // Not a terminal: progress is plain lines on stderr, one per finished project with its own runs; the
    // Buildkite builds come in one organization-wide list, and still each pipeline says its own count.
    assert.match(synced.stderr, /^br: 1\/\d+ apps done \(.+: \d+ runs?\)$/m);
    for (const name of ['br', 'bk']) {
      const done = [
        ...synced.stderr.matchAll(
          new RegExp(`^${name}: (\\d+)/\\d+ \\w+ done \\((.+): (\\d+) runs?\\)$`, 'gm'),
        ),
      ];
      assert.equal(done.length, byName[name].projects, synced.stderr);
      assert.deepEqual(
        done.map((m) => Number(m[1])),
        done.map((_, i) => i + 1),
      );
      assert.equal(new Set(done.map((m) => m[2])).size, done.length, 'each project named once');
      assert.equal(
        done.reduce((sum, m) => sum + Number(m[3]), 0),
        byName[name].runs_new,
        synced.stderr,
      );
    }
    firstTotals = outcome.totals;
  });

  it('a second sync finds nothing new and nothing changed', async () => {
    const again = await buildlens(['--db', db, '--json', 'sync']);
    assertOk(again);
    const { totals } = JSON.parse(again.stdout);
    assert.deepEqual(
      [totals.runs_new, totals.runs_updated, totals.jobs_new, totals.jobs_updated],
      [0, 0, 0, 0],
    );
    const human = await buildlens(['--db', db, '-q', 'sync', 'br']);
    assertOk(human);
    assert.equal(human.stderr, '');
    assert.match(human.stdout, /^br: \d+ apps, runs 0 new \/ 0 updated, jobs 0 new \/ 0 updated/);
    const list = JSON.parse((await buildlens(['--db', db, '--json', 'connect', 'list'])).stdout);
    assert.deepEqual(
      list.map((c: Record<string, unknown>) => [c.name, c.last_sync_result, typeof c.last_sync_at]),
      [
        ['bk', 'ok', 'string'],
        ['br', 'ok', 'string'],
      ],
    );
  });

  it('runs: newest first, classified, filtered by status; table whole when piped, fits a terminal, clean', async () => {
    const json = await buildlens(['--db', db, 'runs', '--format', 'json', '--limit', '100000']);
    assertOk(json);
    const runs = JSON.parse(json.stdout) as {
      triggered_at: string;
      finished_at: string | null;
      classification: string | null;
      classified_by: string | null;
      status: string;
    }[];
    assert.equal(runs.length, firstTotals.runs_new);
    const times = runs.map((r) => Date.parse(r.triggered_at));
    assert.ok(
      times.every((t, i) => i === 0 || t <= (times[i - 1] ?? t)),
      'newest first',
    );
    assert.ok(runs.every((r) => (r.classification === null) === (r.classified_by === null)));
    assert.ok(runs.some((r) => r.classification === 'success' && r.classified_by === 'default:succeeded'));

    const failed = JSON.parse(
      (await buildlens(['--db', db, '--json', 'runs', '--status', 'failure', '--limit', '100000'])).stdout,
    );
    assert.equal(failed.length, runs.filter((r) => r.classification === 'failure').length);
    assert.ok(failed.length > 0);

    const table = await buildlens(['--db', db, 'runs', '--limit', '500']);
    assertOk(table);
    const lines = table.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 501);
    // Piped, nothing is cut: every project name is whole.
    assert.doesNotMatch(table.stdout, /…/);
    assert.match(table.stdout, /Mobile Monorepo \(React Native\)/);
    assert.match(lines[0] ?? '', /\brule\b/);
    const terminal = await runInProcess(['--db', db, 'runs', '--limit', '500'], { columns: 80 });
    assert.equal(terminal.code, 0, terminal.stderr);
    for (const line of terminal.stdout.trimEnd().split('\n'))
      assert.ok([...line].length <= 80, `wider than 80: ${line}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
    const control = /[\u0000-\u0008\u000b-\u001f\u007f]/;
    assert.doesNotMatch(table.stdout, control, 'control characters in the table');

    const csv = await buildlens(['--db', db, 'runs', '--format', 'csv', '--limit', '3']);
    assertOk(csv);
    assert.match(csv.stdout, /^connection,provider,project,project_key,key,/);
  });

  it('report in table, json, csv and md: one row per project plus the total', async () => {
    const json = await buildlens(['--db', db, 'report', '--all', '--format', 'json']);
    assertOk(json);
    const document = JSON.parse(json.stdout);
    assert.deepEqual(document.by, ['project']);
    assert.equal(document.rows.length, firstTotals.projects);
    assert.equal(document.total.runs, firstTotals.runs_new);
    const sum = (key: string) =>
      document.rows.reduce((s: number, r: Record<string, number>) => s + (r[key] ?? 0), 0);
    for (const key of ['runs', 'success', 'failure', 'aborted', 'skipped', 'running']) {
      assert.equal(sum(key), document.total[key], key);
    }
    const t = document.total;
    assert.equal(t.runs, t.success + t.failure + t.aborted + t.skipped + t.running);
    assert.equal(t.success_rate, t.success / (t.success + t.failure));
    assert.ok(
      t.duration_s_p50 <= t.duration_s_p90 &&
        t.duration_s_p90 <= t.duration_s_p95 &&
        t.duration_s_p95 <= t.duration_s_max,
    );
    // After a sync the report reads the rollups; --exact reads every run: same counts, percentiles close.
    const exact = JSON.parse(
      (await buildlens(['--db', db, 'report', '--all', '--format', 'json', '--exact'])).stdout,
    );
    for (const [got, want] of [
      [t, exact.total],
      ...document.rows.map((r: unknown, i: number) => [r, exact.rows[i]]),
    ]) {
      for (const key of ['runs', 'success', 'failure', 'aborted', 'skipped', 'running', 'duration_s_max']) {
        assert.equal(got[key], want[key], key);
      }
      for (const key of ['duration_s_p50', 'duration_s_p95', 'queue_s_p50', 'queue_s_p95']) {
        assert.ok(
          Math.abs(got[key] - want[key]) <= 0.005 * want[key] + 1e-9,
          `${key}: ${got[key]} vs ${want[key]}`,
        );
      }
    }

    const table = await buildlens(['--db', db, 'report', '--all']);
    assertOk(table);
    const lines = table.stdout.split('\n');
    // The period and the filters first, then the table.
    assert.equal(lines[0], 'Period: every run stored');
    assert.equal(lines[1], '');
    assert.match(
      lines[2] ?? '',
      /^project\s+runs\s+ok\s+fail\s+inf\s+abrt\s+skip\s+run\s+blk\s+unk\s+rate\s+r-i\s+p50\s+p90\s+p95\s+max\s+pctl\s+q50\s+q95$/,
    );
    const recent = await buildlens(['--db', db, 'report', '--branch', 'main']);
    assertOk(recent);
    assert.match(
      recent.stdout,
      /^Period: \d{4}-\d\d-\d\d \d\d:\d\d UTC to now \(the last 30 days; --all for every run\)\nFilters: branch main\n\n/,
    );
    assert.match(table.stdout, new RegExp(`^total\\s+${t.runs}\\s+${t.success}\\s+${t.failure}\\s`, 'm'));

    const csv = await buildlens(['--db', db, 'report', '--all', '--format', 'csv']);
    assertOk(csv);
    const csvLines = csv.stdout.trimEnd().split('\n');
    assert.equal(
      csvLines[0],
      'project,connection,runs,success,failure,infra_failure,aborted,skipped,running,blocked,unknown,success_rate,success_rate_without_infra,duration_s_p50,duration_s_p90,duration_s_p95,duration_s_max,percentiles,queue_s_p50,queue_s_p95',
    );
    assert.equal(csvLines.length, firstTotals.projects + 2);
    assert.match(csvLines.at(-1) ?? '', new RegExp(`^total,,${t.runs},${t.success},`));

    const md = await buildlens(['--db', db, 'report', '--all', '--format', 'md', '--by', 'week']);
    assertOk(md);
    const mdLines = md.stdout.trimEnd().split('\n');
    assert.equal(mdLines[0], 'Period: every run stored');
    assert.match(mdLines[2] ?? '', /^\| week \| runs \| ok \|/);
    assert.match(mdLines[3] ?? '', /^\| --- \| ---: \|/);
    assert.ok(mdLines.slice(4, -1).every((l) => /^\| \d{4}-W\d{2} \| \d+ \|/.test(l)));
    assert.match(mdLines.at(-1) ?? '', new RegExp(`^\\| total \\| ${t.runs} \\|`));
  });

  it('report tables fit an 80-column terminal and keep grouping columns readable; each legend names what it shows', async () => {
    const onTerminal = async (args: string[]) => {
      const result = await runInProcess(['--db', db, ...args], { columns: 80 });
      assert.equal(result.code, 0, result.stderr);
      return result;
    };
    // Three grouping columns and the whole overview cannot share 80 columns: the overview is split.
    const grouped = await onTerminal(['report', '--by', 'project,workflow,branch']);
    for (const line of grouped.stdout.split('\n'))
      assert.ok([...line].length <= 80, `wider than 80: ${line}`);
    assert.match(grouped.stdout, /^Period: .*\n\ncounts\n/);
    assert.match(grouped.stdout, /^duration\n/m);
    assert.match(grouped.stdout, /^queue\n/m);
    // Two grouping columns would shrink to a few letters each beside the whole overview: split too.
    const twoColumns = await onTerminal(['report', '--by', 'project,workflow']);
    assert.match(
      twoColumns.stdout,
      /^counts\nproject\s+workflow\s+runs\s+ok\s+fail\s+inf\s+abrt\s+skip\s+run\s+blk\s+unk\s+rate\s+r-i\n/m,
    );
    // Compared, the overview's queue table shows p50 and p95 only, and its legend says so.
    const compared = await onTerminal(['report', '--compare', 'previous', '--since', '2000-01-01']);
    assert.match(compared.stdout, /^project\s+q50\s+Δ\s+q95\s+Δ$/m);
    assert.match(compared.stdout, /^q50\/q95: queue time of started runs$/m);
    assert.doesNotMatch(compared.stdout, /q50\.\.qmax/);
  });

  it('report filters: a --since after every run leaves an empty total', async () => {
    const empty = await buildlens(['--db', db, '--json', 'report', '--since', '2100-01-01']);
    assertOk(empty);
    const document = JSON.parse(empty.stdout);
    assert.deepEqual(document.rows, []);
    assert.equal(document.total.runs, 0);
    assert.equal(document.total.success_rate, null);
  });

  it('demo --no-serve connects, syncs and prints the report', async () => {
    const demoDb = join(dir, 'demo', 'demo.db');
    const demo = await buildlens(['--db', demoDb, 'demo', '--no-serve']);
    assertClean(demo);
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stdout, /^sandbox-bitrise: \d+ apps, runs [1-9]\d* new/m);
    assert.match(demo.stdout, /^sandbox-buildkite: \d+ pipelines, runs [1-9]\d* new/m);
    assert.match(demo.stdout, /^project\s+runs\s+ok/m);
    assert.match(demo.stdout, /^total\s+[1-9]\d*\s/m);
  });

  it('--json demo --no-serve prints JSON only: the sync summary, then the report', async () => {
    const demo = await buildlens(['--db', join(dir, 'demo', 'demo.db'), '--json', 'demo', '--no-serve']);
    assertOk(demo);
    const [summary, report, ...rest] = demo.stdout
      .trim()
      .split(/\n+(?=\{)/)
      .map((text) => JSON.parse(text));
    assert.deepEqual(rest, []);
    assert.deepEqual(summary.failed, []);
    assert.deepEqual(report.by, ['project']);
    assert.ok(report.total.runs > 0);
  });

  it('sandbox serves (with the faults asked for) until SIGTERM, then exits 0', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'sandbox', '--port', '0', '--seed', '2', '--faults', '503:on=bitrise,count=1'],
      {
        cwd: dir,
        env,
      },
    );
    const exited = new Promise<number | null>((done) => child.on('close', done));
    const firstLine = await new Promise<string>((done, fail) => {
      let out = '';
      child.stdout?.on('data', (chunk) => {
        out += chunk;
        if (out.includes('\n')) done(out.split('\n')[0] ?? '');
      });
      child.on('close', () => fail(new Error(`sandbox exited early: ${out}`)));
    });
    const info = JSON.parse(firstLine);
    const apps = () => fetch(`${info.bitrise.url}/apps`, { headers: { Authorization: info.bitrise.token } });
    assert.equal((await apps()).status, 503, 'the one injected fault');
    assert.equal((await apps()).status, 200);
    const org = await fetch(`${info.buildkite.url}/organizations/${info.buildkite.org}`, {
      headers: { Authorization: `Bearer ${info.buildkite.token}` },
    });
    assert.equal(org.status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe('buildlens errors: one line, the right exit code, no stack, no token', { concurrency: true }, () => {
  it('unknown connection → 2', async () => {
    assertFails(await buildlens(['--db', db, 'connect', 'verify', 'nope']), 2, /unknown connection "nope"/);
    assertFails(await buildlens(['--db', db, 'sync', 'nope']), 2, /unknown connection "nope"/);
    // As a filter too: a mistyped name is an error, not an empty report.
    for (const command of ['report', 'flaky', 'runs']) {
      assertFails(
        await buildlens(['--db', db, command, '--connection', 'br', '--connection', 'nope']),
        2,
        /unknown connection "nope"/,
      );
    }
  });

  it('bad URL → 2', async () => {
    assertFails(
      await buildlens([
        '--db',
        db,
        'connect',
        'add',
        'x',
        '--provider',
        'bitrise',
        '--url',
        'ftp://example.com',
      ]),
      2,
      /--url must start with http/,
    );
  });

  it('unreachable host → 3, with a curl hint', async () => {
    const port = await closedPort();
    const result = await buildlens([
      '--db',
      db,
      'connect',
      'add',
      'x',
      '--provider',
      'bitrise',
      '--url',
      `http://127.0.0.1:${port}/v0.1`,
    ]);
    assertFails(result, 3, /unreachable.*Try: curl .*\$BITRISE_TOKEN/);
    const list = await buildlens(['--db', db, '--json', 'connect', 'list']);
    assert.ok(!JSON.parse(list.stdout).some((c: { name: string }) => c.name === 'x'), 'nothing saved');
  });

  it('wrong token → 3, and the wrong token is not shown either', async () => {
    const wrong = 'wrong-token-0123456789';
    const result = await buildlens(
      ['--db', db, 'connect', 'add', 'x', '--provider', 'bitrise', '--url', sandbox.bitrise.url],
      {
        env: { BITRISE_TOKEN: wrong },
      },
    );
    assertFails(result, 3, /invalid_credentials/);
    assert.ok(!(result.stdout + result.stderr).includes(wrong));
  });

  it('a sync the provider refuses → 3: the reason, then the curl that reproduces it', async () => {
    const revoked = 'revoked-token-0123456789';
    const add = ['--db', db, 'connect', 'add', 'revoked', '--provider', 'bitrise', '--no-verify'];
    assertOk(await buildlens([...add, '--url', sandbox.bitrise.url], { env: { BITRISE_TOKEN: revoked } }));
    const result = await buildlens(['--db', db, '-q', 'sync', 'revoked']);
    assertFails(result, 3, /^buildlens: sync of "revoked" failed: .*401 Unauthorized[^.]*\. Try: curl /);
    assert.ok(!result.stderr.includes(revoked));
    assertOk(await buildlens(['--db', db, 'connect', 'remove', 'revoked', '--yes']));
  });

  it('malformed --since → 2', async () => {
    assertFails(await buildlens(['--db', db, 'report', '--since', '2026-13-45']), 2, /--since/);
    assertFails(await buildlens(['--db', db, 'runs', '--since', 'last tuesday']), 2, /--since/);
  });

  it('database path that cannot be written → 2', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    assertFails(
      await buildlens(['--db', join(file, 'sub', 'buildlens.db'), 'report']),
      2,
      /cannot open the store/,
    );
    mkdirSync(join(dir, 'is-a-dir.db'), { recursive: true });
    assertFails(await buildlens(['--db', join(dir, 'is-a-dir.db'), 'report']), 2, /cannot open the store/);
    assertFails(
      await buildlens(['--db', 'mysql://u:secret@x/db', 'report']),
      2,
      /unsupported database URL scheme "mysql"/,
    );
    assertFails(await buildlens(['--db', '', 'report']), 2, /the database location is empty/);
  });

  it('usage errors → 2: unknown option, bad --by, a bad fault spec, a token as an argument', async () => {
    assertFails(await buildlens(['sandbox', '--faults', 'bogus']), 2, /--faults: unknown fault "bogus"/);
    assertFails(await buildlens(['report', '--bogus']), 2, /unknown option '--bogus'/);
    assertFails(await buildlens(['--db', db, 'report', '--by', 'colour']), 2, /--by must be one of/);
    assertFails(
      await buildlens(['--db', db, 'connect', 'add', 'x', '--provider', 'bitrise', '--org', 'acme']),
      2,
      /--org is for Buildkite/,
    );
    const secret = 'secret-token-123456';
    const result = await buildlens([
      '--db',
      db,
      'connect',
      'add',
      'x',
      '--provider',
      'bitrise',
      `--token=${secret}`,
    ]);
    assertFails(result, 2, /token/);
    assert.ok(!result.stderr.includes(secret));
  });
});
