// The real CLI against a sandbox serving hostile payloads (DESIGN.md "Refused run"): a 100,000-deep value
// and a build dated 9999-12-31 are refused and counted, the sync and its checkpoint go on, and
// `buildlens refused` lists them and shows each payload as received.
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
    seed: 3,
    size: 'small',
    clock: 'manual',
    faults:
      'field:on=buildkite,key=message,mode=deep,path=/builds,count=1;' +
      'field:on=buildkite,key=created_at,mode=future,path=/builds,after=1,count=1',
  });
  dir = mkdtempSync(join(tmpdir(), 'buildlens-refused-'));
});
after(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function buildlens(args: string[]) {
  const env = { XDG_DATA_HOME: join(dir, 'data'), BUILDKITE_TOKEN: sandbox.buildkite.token };
  const db = join(dir, 'buildlens.db');
  return startCli(['--db', db, ...args], env, dir).done;
}

test('hostile payloads are refused, counted and shown; the sync goes on', async () => {
  const { url, org } = sandbox.buildkite;
  const added = await buildlens([
    'connect',
    'add',
    'bk',
    '--provider',
    'buildkite',
    '--url',
    url,
    '--org',
    org,
    '--no-verify',
  ]);
  assert.equal(added.code, 0, added.stderr);

  const synced = await buildlens(['--json', 'sync']);
  assert.equal(synced.code, 0, synced.stderr);
  const outcome = JSON.parse(synced.stdout);
  assert.equal(outcome.totals.runs_refused, 2);
  assert.ok(outcome.totals.runs_new > 50);
  assert.deepEqual(outcome.failed, []);

  const listed = await buildlens(['--json', 'refused']);
  assert.equal(listed.code, 0, listed.stderr);
  const refused = JSON.parse(listed.stdout) as { id: number; reason: string; kind: string; key: string }[];
  const reasons = refused.map((r) => r.reason).sort();
  assert.equal(reasons.length, 2);
  assert.match(reasons[0] ?? '', /^created_at\b.*2000.*2100/);
  assert.equal(reasons[1], 'nested deeper than 64 levels');
  assert.ok(refused.every((r) => r.kind === 'bk_build' && r.key));

  const deep = refused.find((r) => r.reason.startsWith('nested')) as { id: number };
  const shown = await buildlens(['refused', '--show', String(deep.id)]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.ok(shown.stdout.includes('['.repeat(100_000)), 'the deep value is shown whole');

  // Neither is a run, so no API cursor or report ever meets the year 9999.
  const runs = await buildlens(['--json', 'runs', '--limit', '1000000']);
  const keys = new Set((JSON.parse(runs.stdout) as { key: string }[]).map((r) => r.key));
  for (const r of refused) assert.ok(!keys.has(r.key), `${r.key} is not stored as a run`);

  // The faults are spent: a second sync that lists a refused build again reads it fine and stores it as the
  // run it is, and its refused row goes; nothing is doubled.
  const again = await buildlens(['--json', 'sync']);
  assert.equal(again.code, 0, again.stderr);
  const still = JSON.parse((await buildlens(['--json', 'refused'])).stdout) as { key: string }[];
  assert.ok(still.length <= 2);
  const stored = JSON.parse((await buildlens(['--json', 'runs', '--limit', '1000000'])).stdout) as {
    key: string;
  }[];
  for (const r of refused) {
    const isRun = stored.some((run) => run.key === r.key);
    assert.notEqual(
      isRun,
      still.some((s) => s.key === r.key),
      `${r.key}: a run or refused, not both`,
    );
  }
  const missing = await buildlens(['refused', '--show', '999999']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^buildlens: no refused payload 999999/);
});
