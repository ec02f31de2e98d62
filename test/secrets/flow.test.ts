// Tokens never leave the encrypted store: a whole CLI flow (connect, list, verify, sync -v, runs, report in
// every format, failing syncs and verifies with -v, the HTTP API and /metrics) and every file it leaves
// behind are searched for the sandbox tokens. The database and key file are created 0600.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { startCli } from '../crash/cli.js';

delete process.env.BUILDLENS_KEY;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

test('no output channel, API answer or file holds a token', async (t) => {
  const sandbox = await startSandbox({ size: 'small', clock: 'manual', now: Date.now() });
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-secrets-'));
  t.after(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const tokens = [sandbox.bitrise.token, sandbox.buildkite.token];
  const db = join(dir, 'store', 'buildlens.db');
  const env = { XDG_DATA_HOME: join(dir, 'data'), BITRISE_TOKEN: sandbox.bitrise.token, NO_COLOR: '1' };
  const outputs: { what: string; text: string }[] = [];
  // The CLI in this process (fast), with every output channel captured; crash output comes from a child below.
  const run = async (args: string[], expectCode = 0, input = '') => {
    let text = '';
    const sink = new Writable({
      write(chunk, _encoding, next) {
        text += String(chunk);
        next();
      },
    });
    const code = await runCli(['--db', db, ...args], {
      stdout: sink,
      stderr: sink,
      stdin: Readable.from([input]),
      env,
    });
    outputs.push({ what: `buildlens ${args.join(' ')}`, text });
    assert.equal(code, expectCode, `buildlens ${args.join(' ')}: ${text}`);
    return text;
  };

  await run(['connect', 'add', 'bitrise', '--provider', 'bitrise', '--url', sandbox.bitrise.url]);
  await run(
    ['connect', 'add', 'bk', '--provider', 'buildkite', '--url', sandbox.buildkite.url, '--token-stdin'],
    0,
    `${sandbox.buildkite.token}\n`,
  );
  const list = await run(['connect', 'list']);
  assert.match(list, /…/, 'a masked token is shown');
  await run(['--json', 'connect', 'list']);
  await run(['-v', 'connect', 'verify', 'bitrise']);
  await run(['-v', 'connect', 'verify', 'bk']);
  await run(['-v', 'sync']);
  for (const format of ['table', 'json', 'csv']) await run(['runs', '--format', format, '--limit', '500']);
  for (const format of ['table', 'json', 'csv', 'md']) await run(['report', '--format', format]);

  // Failures print curl hints and, with -v, stacks: the token must not be in them either.
  sandbox.faults.set('401');
  await run(['-v', 'sync'], 3);
  const child = await startCli(['--db', db, '-v', 'sync', 'bitrise'], env, dir).done;
  outputs.push({ what: 'buildlens -v sync bitrise (child process)', text: child.stdout + child.stderr });
  assert.equal(child.code, 3, child.stderr);
  await run(['-v', 'connect', 'verify', 'bk'], 3);
  await run(['-v', '--json', 'connect', 'list']);
  // A body that is not JSON: the provider's own text reaches the message. (A field of the wrong type no
  // longer fails a sync: the run is kept with what could be read.)
  sandbox.faults.set('malformed');
  await run(['-v', 'sync', 'bk'], 3);
  sandbox.faults.set('field:key=state,mode=type');
  await run(['-v', 'sync', 'bk']);

  // The HTTP API and /metrics, with a failed sync recorded and another one asked for through the API.
  const server = startCli(['--db', db, 'serve', '--port', '0'], env, dir);
  t.after(() => server.child.kill('SIGTERM'));
  let exited = false;
  void server.done.then(() => {
    exited = true;
  });
  let url = '';
  for (let i = 0; i < 300 && !url && !exited; i++) {
    await new Promise((r) => setTimeout(r, 50));
    url = /Dashboard: (http:\/\/\S+?)\/?$/m.exec(server.output())?.[1] ?? '';
  }
  assert.ok(url, 'serve printed its address');
  for (const path of ['/api/connections', '/api/runs', '/api/report', '/api/meta', '/metrics']) {
    const res = await fetch(`${url}${path}`);
    outputs.push({ what: `GET ${path}`, text: `${JSON.stringify([...res.headers])}${await res.text()}` });
    assert.equal(res.status, 200, path);
  }
  const synced = await fetch(`${url}/api/sync`, { method: 'POST' });
  outputs.push({ what: 'POST /api/sync', text: await synced.text() });
  server.child.kill('SIGTERM');
  const served = await server.done;
  outputs.push({ what: 'buildlens serve', text: served.stdout + served.stderr });

  for (const { what, text } of outputs) {
    for (const token of tokens) assert.ok(!text.includes(token), `a token in the output of ${what}`);
  }
  const files = filesUnder(dir);
  assert.ok(files.some((f) => f.endsWith('buildlens.key')) && files.some((f) => f.endsWith('.db')));
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const token of tokens) assert.ok(!bytes.includes(token), `a token in ${file}`);
  }
  for (const file of [db, join(dir, 'store', 'buildlens.key')]) {
    assert.equal(statSync(file).mode & 0o777, 0o600, `${file} is 0600`);
  }
});
