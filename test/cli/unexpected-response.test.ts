// `connect add` / `connect verify` with the real CLI against a sandbox whose answers cannot be read: the
// check says `unexpected_response`, naming the endpoint and the field, with the curl, and exits 3 — not
// "unreachable", which is kept for a host that does not answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { startCli } from '../crash/cli.js';

let sandbox: Sandbox;
let dir: string;

before(async () => {
  sandbox = await startSandbox({
    seed: 1,
    size: 'small',
    clock: 'manual',
    faults:
      'field:on=bitrise,key=slug,mode=type,path=/apps;field:on=buildkite,key=scopes,mode=type,path=/access-token',
  });
  dir = mkdtempSync(join(tmpdir(), 'buildlens-verify-'));
});
after(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const buildlens = (args: string[]) =>
  startCli(
    ['--db', join(dir, 'buildlens.db'), ...args],
    {
      XDG_DATA_HOME: join(dir, 'data'),
      BITRISE_TOKEN: sandbox.bitrise.token,
      BUILDKITE_TOKEN: sandbox.buildkite.token,
    },
    dir,
  ).done;

test('an answer the check cannot read is unexpected_response, with endpoint, field and curl', async () => {
  const bitrise = await buildlens([
    'connect',
    'add',
    'br',
    '--provider',
    'bitrise',
    '--url',
    sandbox.bitrise.url,
  ]);
  assert.equal(bitrise.code, 3, bitrise.stderr);
  assert.match(bitrise.stderr, /unexpected_response/);
  assert.match(
    bitrise.stderr,
    /GET \S+\/apps\?limit=1 answered, but buildlens cannot read its field data\.0\.slug/,
  );
  assert.doesNotMatch(bitrise.stderr, /unreachable/);

  const added = await buildlens([
    'connect',
    'add',
    'bk',
    '--provider',
    'buildkite',
    '--url',
    sandbox.buildkite.url,
    '--no-verify',
  ]);
  assert.equal(added.code, 0, added.stderr);
  const verified = await buildlens(['--json', 'connect', 'verify', 'bk']);
  assert.equal(verified.code, 3, verified.stderr);
  const record = JSON.parse(verified.stdout);
  assert.equal(record.code, 'unexpected_response');
  assert.match(record.message, /GET \/access-token answered, but buildlens cannot read its field scopes/);
  assert.match(record.curl, /^curl .*\/access-token'$/);
  assert.ok(!verified.stdout.includes(sandbox.buildkite.token), 'no token');
});
