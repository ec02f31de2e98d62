// `buildlens serve` / `demo` as a person runs them: the demo ends on a live dashboard that answers with
// the synced data, and Ctrl-C stops everything with exit code 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { parseInterval } from '../../src/cli/commands/serve.js';
import { UsageError } from '../../src/cli/errors.js';
import { runCli } from '../../src/cli/program.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { addConnection } from '../../src/store/connections.js';
import { openStore } from '../../src/store/store.js';

const ROOT = join(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

test('--sync-every takes seconds, minutes or hours, at least 10 seconds', () => {
  assert.equal(parseInterval('15m'), 900_000);
  assert.equal(parseInterval('1h'), 3_600_000);
  assert.equal(parseInterval('90s'), 90_000);
  for (const bad of ['5s', '15', 'm', '1d', '-1m', ''])
    assert.throws(() => parseInterval(bad), UsageError, bad);
});

test('serve --sync-every: a bad interval is one line and exit 2, before anything starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-serve-test-'));
  try {
    for (const bad of ['5x', '5s', 'soon']) {
      let text = '';
      const sink = new Writable({
        write(chunk, _encoding, next) {
          text += String(chunk);
          next();
        },
      });
      const code = await runCli(['--db', join(dir, 'b.db'), 'serve', '--port', '0', '--sync-every', bad], {
        stdout: sink,
        stderr: sink,
        stdin: Readable.from([]),
        env: { XDG_DATA_HOME: join(dir, 'data') },
      });
      assert.equal(code, 2, text);
      assert.equal(
        text,
        `buildlens: --sync-every must look like 15m, 1h or 90s (at least 10s), or off, got "${bad}"\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve --metrics-projects: a whole number from 0 to 1000, else one line and exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-serve-test-'));
  try {
    for (const bad of ['-1', '1001', 'many', '2.5']) {
      let text = '';
      const sink = new Writable({
        write(chunk, _encoding, next) {
          text += String(chunk);
          next();
        },
      });
      const code = await runCli(
        ['--db', join(dir, 'b.db'), 'serve', '--port', '0', '--metrics-projects', bad],
        {
          stdout: sink,
          stderr: sink,
          stdin: Readable.from([]),
          env: { XDG_DATA_HOME: join(dir, 'data') },
        },
      );
      assert.equal(code, 2, text);
      assert.equal(text, 'buildlens: --metrics-projects must be a whole number from 0 to 1000\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve --sync-every 15m --metrics-projects 3: serves with the background sync on and the cap, Ctrl-C stops it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-serve-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      '--db',
      join(dir, 's.db'),
      'serve',
      '--port',
      '0',
      '--sync-every',
      '15m',
      '--metrics-projects',
      '3',
    ],
    { cwd: ROOT, env: { ...process.env, XDG_DATA_HOME: join(dir, 'data'), NO_COLOR: '1' } },
  );
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/press Ctrl-C/.test(stderr) && child.exitCode === null && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  assert.match(stderr, /syncing every 900s; press Ctrl-C to stop/, stderr);
  const url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
  assert.ok(url, stdout);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.match(await (await fetch(`${url}/metrics`)).text(), /^buildlens_overview_project_limit 3$/m);
  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
});

test('serve --sync-every: one log line per background sync of each connection, a failure redacted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-serve-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await startSandbox({ size: 'small', clock: 'manual' });
  t.after(() => sandbox.close());
  const db = join(dir, 's.db');
  const revoked = 'revoked-token-0123456789abcdef';
  const store = await openStore(db);
  await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: sandbox.buildkite.url,
    org: sandbox.buildkite.org,
    token: sandbox.buildkite.token,
  });
  await addConnection(store, {
    name: 'revoked',
    provider: 'bitrise',
    baseUrl: sandbox.bitrise.url,
    org: null,
    token: revoked,
  });
  await store.close();
  // The shortest interval there is: the first background sync starts 10 seconds after the server.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--db', db, 'serve', '--port', '0', '--sync-every', '10s'],
    { cwd: ROOT, env: { ...process.env, XDG_DATA_HOME: join(dir, 'data'), NO_COLOR: '1' } },
  );
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  while (!/sync of "revoked"/.test(stderr) && child.exitCode === null && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
  const lines = stderr.split('\n').filter((line) => line.includes('sync of'));
  assert.equal(lines.length, 2, stderr);
  assert.match(
    lines[0] ?? '',
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ sync of "bk" \(schedule\): runs [1-9]\d* new \/ 0 updated, [1-9]\d* requests, \d+\.\d s$/,
  );
  assert.match(lines[1] ?? '', /^\S+Z sync of "revoked" \(schedule\) failed: .*401/);
  assert.ok(!stderr.includes(revoked), 'the token is not in the log');
});

test('demo: sandbox, sync, report, then the dashboard until Ctrl-C', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-demo-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--db', join(dir, 'demo.db'), 'demo'], {
    cwd: ROOT,
    env: { ...process.env, XDG_DATA_HOME: join(dir, 'data'), NO_COLOR: '1' },
  });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url && child.exitCode === null && Date.now() < deadline) {
    url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
    if (!url) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(url, `no dashboard URL in: ${stdout}\n${stderr}`);
  assert.match(stdout, /^total\s+\d+/m, 'the report was printed first');

  const report = (await (await fetch(`${url}/api/report?by=connection`)).json()) as {
    rows: { connection: string; runs: number }[];
  };
  assert.deepEqual(
    report.rows.map((r) => r.connection),
    ['sandbox-bitrise', 'sandbox-buildkite'],
  );
  assert.ok(report.rows.every((r) => r.runs > 0));
  const page = await fetch(`${url}/`);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);

  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
  await assert.rejects(fetch(`${url}/healthz`), 'the server is gone');
});
