// Smaller hardening of the store and server: what `--db` may name, a damaged file, a URL that is not
// UTF-8, a broken rules file under the server, implausible costs, and no core dumps from the launcher.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readItem } from '../../src/connectors/bitrise/api.js';
import { build as bitriseBuild } from '../../src/connectors/bitrise/wire.js';
import { readBuild } from '../../src/connectors/buildkite/api.js';
import { MAX_ID_LENGTH } from '../../src/connectors/identifier.js';
import { STORED_TEXT_MAX } from '../../src/domain/text.js';
import { jobRow, projectRow, runRow, stepRow } from '../../src/store/rows.js';
import { openStore } from '../../src/store/store.js';
import { REAL_BUILDKITE, realPayload } from '../connectors/real-payloads.js';
import { startCli } from '../crash/cli.js';
import { startRig, syncOnce } from '../faults/rig.js';
import { job as fixtureJob, project as fixtureProject, run as fixtureRun } from '../store/fixtures.js';
import { buildCli } from './built-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'buildlens-hardening-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const env = { XDG_DATA_HOME: join(dir, 'data'), NO_COLOR: '1' };

/** The CLI in a child process, killed after a minute (what it takes to tell a hang from an answer). */
async function cli(args: string[], cwd = dir) {
  const run = startCli(args, env, cwd);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000);
  const result = await run.done;
  clearTimeout(timer);
  return result;
}

test('--db naming a FIFO, :memory: or a file: URI is refused in one line; nothing is created', async () => {
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const piped = await cli(['--db', fifo, 'connect', 'list']);
  assert.equal(piped.signal, null, 'it did not hang');
  assert.equal(piped.code, 2, piped.stderr);
  assert.equal(
    piped.stderr,
    `buildlens: cannot open the store at ${fifo}: it is a FIFO (named pipe), not a file\n`,
  );

  const cwd = mkdtempSync(join(dir, 'cwd-'));
  for (const location of [':memory:', 'file:team.db?mode=memory', 'file::memory:']) {
    const result = await cli(['--db', location, 'connect', 'list'], cwd);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /^buildlens: ".*" is not supported: buildlens keeps its data in a database file; give a file path or a postgres:\/\/ URL\n$/,
    );
    assert.deepEqual(readdirSync(cwd), [], `nothing created for ${location}`);
  }
});

test('a damaged database file: commands say so, exit 2, and name PRAGMA integrity_check', async (t) => {
  const rig = await startRig({ now: Date.now() });
  t.after(() => rig.close());
  assert.ok((await syncOnce(rig, 'buildkite')).ok);
  await rig.store.close();
  // Every page but the first (the schema) overwritten: what a disk or a copy gone wrong leaves.
  const size = statSync(rig.dbPath).size;
  const fd = openSync(rig.dbPath, 'r+');
  writeSync(fd, Buffer.alloc(size - 4096, 0x5a), 0, size - 4096, 4096);
  closeSync(fd);
  for (const args of [['connect', 'list'], ['runs'], ['report'], ['sync']]) {
    const result = await cli(['--db', rig.dbPath, '-q', ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(
      result.stderr,
      `buildlens: the database file ${rig.dbPath} is damaged (database disk image is malformed): check it with sqlite3 ${rig.dbPath} "PRAGMA integrity_check" and restore it from a backup, with its buildlens.key\n`,
      args.join(' '),
    );
  }
  rig.store = await openStore(join(rig.dir, 'other.db'));
});

/** A raw request, so the path goes out exactly as written. */
function rawGet(
  port: number,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

before(buildCli);

test('serve: a URL that is not UTF-8 and a broken rules file get our error shape and headers; no core dumps', async (t) => {
  const work = mkdtempSync(join(dir, 'serve-'));
  const db = join(work, 'buildlens.db');
  writeFileSync(join(work, 'rules.yaml'), 'rules:\n  - name: r\n    classification: nonsense\n');
  // Core dumps allowed where the launcher starts: it must turn them off itself.
  const child = spawn(
    'sh',
    [
      '-c',
      'ulimit -c unlimited 2>/dev/null || ulimit -c 4096; exec "$0" "$@"',
      process.execPath,
      join(ROOT, 'bin', 'buildlens'),
      '--db',
      db,
      'serve',
      '--port',
      '0',
    ],
    { cwd: work, env: { ...process.env, ...env } },
  );
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  let port = 0;
  for (let i = 0; !port && i < 600; i++) {
    port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1] ?? 0);
    if (!port) await sleep(100);
  }
  assert.ok(port, output);

  const limits = readFileSync(`/proc/${child.pid}/limits`, 'utf8');
  assert.match(limits, /^Max core file size\s+0\s+0\s+bytes/m, limits);

  for (const path of ['/api/runs%ff', '/%c3%28', '/api/%80']) {
    const answer = await rawGet(port, path);
    assert.equal(answer.status, 400, path);
    assert.deepEqual(JSON.parse(answer.body), {
      error: 'bad_request',
      message: 'the URL is not valid: a percent-encoded part is not UTF-8',
    });
    assert.equal(answer.headers['x-content-type-options'], 'nosniff', path);
    assert.match(String(answer.headers['content-security-policy']), /default-src 'self'/);
  }

  const rules = await rawGet(port, '/api/rules');
  assert.equal(rules.status, 503, rules.body);
  const body = JSON.parse(rules.body) as { error: string; message: string };
  assert.equal(body.error, 'unavailable');
  assert.match(body.message, /rules\.yaml: rule 1 \("r"\): classification: /);
});

test('a credit cost that is negative, infinite or absurdly large is stored as no cost', () => {
  for (const cost of [1.79e308, -5, Number.POSITIVE_INFINITY, 1e12]) {
    assert.equal(runRow(1, fixtureRun('b1', 0, { cost })).cost, null, String(cost));
  }
  assert.equal(runRow(1, fixtureRun('b1', 0, { cost: 12.5 })).cost, 12.5);
  assert.equal(runRow(1, fixtureRun('b1', 0, { cost: 0 })).cost, 0);
});

test('every provider text column is stored capped, whatever the field', () => {
  const huge = 'x'.repeat(STORED_TEXT_MAX * 3);
  // Fields that are ours (ids, enums, times, numbers) keep their values; every other string is the provider's.
  const ours = new Set([
    'key',
    'projectKey',
    'runKey',
    'jobKey',
    'retryOf',
    'kind',
    'trigger',
    'status',
    'classification',
    'classifiedBy',
  ]);
  const hostile = <T extends object>(value: T): T =>
    Object.fromEntries(
      Object.entries(value).map(([field, v]) => [
        field,
        typeof v === 'string' && !ours.has(field) && !field.endsWith('At') ? huge : v,
      ]),
    ) as T;
  const job = { ...hostile(fixtureJob('j1', 'r1')), dependsOn: [huge] };
  const rows = {
    project: projectRow(
      1,
      hostile(fixtureProject('p1', { repoUrl: 'r', webUrl: 'w', defaultBranch: 'main' })),
    ),
    run: runRow(
      1,
      hostile(fixtureRun('r1', 0, { prId: '7', tag: 'v1', reason: 'r', machine: 'm', stack: 's' })),
    ),
    job: jobRow(1, job),
    step: stepRow(
      1,
      hostile({
        key: 's1',
        runKey: 'r1',
        jobKey: 'j1',
        name: 'n',
        stepId: 'i',
        position: 0,
        status: 'succeeded' as const,
        providerStatus: 'p',
        startedAt: null,
        finishedAt: null,
        durationS: 1,
      }),
    ),
  };
  for (const [table, row] of Object.entries(rows)) {
    for (const [column, value] of Object.entries(row)) {
      if (typeof value === 'string' && column !== 'depends_on') {
        assert.ok(value.length <= STORED_TEXT_MAX + 1, `${table}.${column}: ${value.length} characters`);
      }
    }
  }
  assert.ok((rows.job.depends_on?.length ?? 0) < STORED_TEXT_MAX + 10);
});

test('an id or slug too long to be a key refuses its run; one too long for a lenient id reads as none', () => {
  const long = 'a'.repeat(MAX_ID_LENGTH + 1);
  const bitrise = (realPayload('list_builds.json') as { data: Record<string, unknown>[] }).data[0];
  const refused = readItem(bitriseBuild, 'build', { ...bitrise, slug: long });
  assert.ok(
    'refused' in refused && /slug/.test(refused.refused.reason),
    JSON.stringify(refused).slice(0, 200),
  );
  assert.ok('item' in readItem(bitriseBuild, 'build', { ...bitrise, slug: 'a'.repeat(MAX_ID_LENGTH) }));
  const buildkite = realPayload('get_build.json', REAL_BUILDKITE) as Record<string, unknown>;
  assert.match(readBuild({ ...buildkite, id: long }).problem ?? '', /^id: /);
  assert.equal(readBuild(buildkite).problem, null);
});
