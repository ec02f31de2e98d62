// Crash safety of the real CLI: `buildlens sync` killed with SIGKILL at seeded random points leaves a
// database that opens, passes SQLite's integrity check and converges to the sandbox's truth on the next
// sync; two syncs at once on one database do not corrupt it (the second refuses while the first holds a
// connection: see lock.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROVIDERS } from '../../src/domain/model.js';
import { Random } from '../../src/sandbox/random.js';
import { compareWithTruth, type Rig, startRig, syncOnce } from '../faults/rig.js';
import { integrity, killAfter, served, startCli } from './cli.js';

const SEED = Number(process.env.BUILDLENS_CRASH_SEED ?? 1);
const KILLS = Number(process.env.BUILDLENS_CRASH_KILLS ?? 5);
// The CLI's lookback window follows the real clock, so the sandbox's history ends at the real now.
const anchored = (seed: number) => startRig({ seed, now: Date.now() });

function cliEnv(rig: Rig): NodeJS.ProcessEnv {
  return { XDG_DATA_HOME: `${rig.dir}/data`, NO_COLOR: '1' };
}

async function assertExact(rig: Rig): Promise<void> {
  for (const provider of PROVIDERS) {
    const { mismatches, runsCompared } = await compareWithTruth(rig.store, rig.sandbox, provider);
    assert.ok(runsCompared > 50, `${provider}: runs to compare`);
    assert.deepEqual(mismatches.slice(0, 5), [], `${provider}: ${mismatches.length} differences`);
  }
}

test(`sync killed with SIGKILL ${KILLS} times at random points (seed ${SEED}), then converges`, async (t) => {
  const rig = await anchored(SEED);
  t.after(() => rig.close());
  const args = ['--db', rig.dbPath, '-q', 'sync'];
  const env = cliEnv(rig);

  // How many requests a whole sync takes (same seed, in-process), so the first kill lands anywhere in one.
  const probe = await anchored(SEED);
  for (const provider of PROVIDERS) assert.ok((await syncOnce(probe, provider)).ok);
  let span = served(probe.sandbox);
  await probe.close();

  const random = new Random('crash', SEED);
  let killed = 0;
  for (let attempt = 0; killed < KILLS && attempt < 3 * KILLS; attempt++) {
    // Time moves between attempts: runs finish and new ones arrive while the database is half-synced.
    rig.sandbox.clock.advance(random.int(0, 30) * 60_000);
    const start = served(rig.sandbox);
    const result = await killAfter(rig.sandbox, random.int(1, span), args, env, rig.dir);
    if (result.killed) killed++;
    else {
      assert.equal(result.code, 0, `a sync that was not killed succeeds: ${result.stderr}`);
      // It finished first: the next kill point falls inside what such a sync asks for.
      span = Math.max(1, served(rig.sandbox) - start);
    }
    assert.equal(integrity(rig.dbPath), 'ok', `integrity after attempt ${attempt + 1}`);
  }
  assert.equal(killed, KILLS, `${killed} of ${KILLS} kills landed mid-sync`);

  const last = await startCli(args, env, rig.dir).done;
  assert.equal(last.code, 0, last.stderr);
  assert.equal(integrity(rig.dbPath), 'ok');
  await assertExact(rig);
});

test('two syncs at once on one database: no corruption; one finishes, the other refuses in one line or finishes', async (t) => {
  const rig = await anchored(SEED + 1);
  t.after(() => rig.close());
  const args = ['--db', rig.dbPath, '-q', 'sync'];
  const env = cliEnv(rig);
  const results = await Promise.all([startCli(args, env, rig.dir).done, startCli(args, env, rig.dir).done]);
  for (const r of results) {
    if (r.code === 0) continue;
    // Whether the second one meets the first depends on timing; test/crash/lock.test.ts makes it certain.
    assert.equal(r.code, 3, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(
      lines[0] ?? '',
      /^buildlens: sync of "\w+" failed: another sync of "\w+" is running on this database \(pid \d+ /,
    );
  }
  assert.ok(
    results.some((r) => r.code === 0),
    results.map((r) => r.stderr).join(' | '),
  );
  assert.equal(integrity(rig.dbPath), 'ok');
  const again = await startCli(args, env, rig.dir).done;
  assert.equal(again.code, 0, again.stderr);
  await assertExact(rig);
});
