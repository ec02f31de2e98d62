// A provider that hands the caller's token back (a looping paging Link carrying `session=<token>`) must not
// get it printed: not by `sync` on stderr, not in `--json sync`'s failed[].error, not in the stored error,
// not in an API answer. Short "tokens" are refused where they enter instead of garbling every word.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { openStore } from '../../src/store/store.js';

delete process.env.BUILDLENS_KEY;
// Characters that URL encoding changes, so the encoded echo must be caught as well as the plain one.
const TOKEN = 'bkua_0123456789abcdef+/=0123456789abcdef';

/** Answers every pipelines page with a Link to a "next" page that carries the token, forever. */
async function echoingProvider(t: { after: (fn: () => unknown) => void }) {
  const server = createServer((request, response) => {
    const next = `http://127.0.0.1:${port()}/v2/organizations/acme/pipelines?session=${encodeURIComponent(TOKEN)}&raw=${TOKEN}`;
    const body = request.url?.startsWith('/v2/access-token') ? { uuid: 'u', scopes: [] } : [];
    response.writeHead(200, { 'content-type': 'application/json', link: `<${next}>; rel="next"` });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = () => (server.address() as { port: number }).port;
  return `http://127.0.0.1:${port()}/v2`;
}

function capture() {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, next) {
      text += String(chunk);
      next();
    },
  });
  return { sink, text: () => text };
}

test('a token the provider echoes back is redacted from every channel', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-echo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = await echoingProvider(t);
  const db = join(dir, 'buildlens.db');
  const env = { XDG_DATA_HOME: join(dir, 'data'), BUILDKITE_TOKEN: TOKEN };
  const run = async (args: string[]) => {
    const out = capture();
    const err = capture();
    const code = await runCli(['--db', db, ...args], {
      stdout: out.sink,
      stderr: err.sink,
      stdin: Readable.from(['']),
      env,
    });
    return { code, stdout: out.text(), stderr: err.text() };
  };

  const added = await run([
    'connect',
    'add',
    'bk',
    '--provider',
    'buildkite',
    '--org',
    'acme',
    '--url',
    url,
    '--no-verify',
  ]);
  assert.equal(added.code, 0, added.stderr);
  const plain = await run(['-v', 'sync']);
  const json = await run(['--json', 'sync']);
  assert.equal(plain.code, 3);
  assert.equal(json.code, 3);
  assert.match(plain.stderr, /linked to .* twice/, 'the loop is reported');
  const failed = (JSON.parse(json.stdout) as { failed: { error: string }[] }).failed;
  assert.match(failed[0]?.error ?? '', /session=\*\*\*/, 'the link is shown with the token replaced');

  const store = await openStore(db);
  t.after(() => store.close());
  const app = await buildApp({ store, sync: new SyncRunner(store), token: null, loopback: true });
  t.after(() => app.close());
  const answer = await app.inject({ url: '/api/connections' });
  const stored = await store.db.selectFrom('sync_state').select('last_error').executeTakeFirstOrThrow();
  assert.match(stored.last_error ?? '', /\*\*\*/);

  const channels = {
    'sync -v stderr': plain.stderr,
    'sync -v stdout': plain.stdout,
    'sync --json stdout': json.stdout,
    'sync --json stderr': json.stderr,
    'stored last_error': stored.last_error ?? '',
    '/api/connections': answer.body,
  };
  for (const [channel, text] of Object.entries(channels)) {
    for (const form of [
      TOKEN,
      encodeURIComponent(TOKEN),
      new URLSearchParams({ s: TOKEN }).toString().slice(2),
    ])
      assert.ok(!text.includes(form), `the token (${form}) in ${channel}: ${text}`);
  }
});

test('an implausibly short token is refused, so redaction never garbles words', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-short-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const err = capture();
  const code = await runCli(
    ['--db', join(dir, 'b.db'), 'connect', 'add', 'exists', '--provider', 'bitrise', '--no-verify'],
    { stdout: capture().sink, stderr: err.sink, stdin: Readable.from(['']), env: { BITRISE_TOKEN: 'x' } },
  );
  assert.equal(code, 2);
  assert.match(err.text(), /^buildlens: BITRISE_TOKEN is 1 characters long: that cannot be a real one/);
  assert.doesNotMatch(err.text(), /\*\*\*/);
});
