// A database on a disk that fills up, or that turns read-only: the CLI says so in one line and exits
// non-zero, the file stays sound, and once there is room again the next sync reaches the sandbox's truth.
// Needs a tmpfs mount (root); elsewhere the test is skipped with a message.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROVIDERS } from '../../src/domain/model.js';
import { openStore } from '../../src/store/store.js';
import { compareWithTruth, connectBoth, startRig } from '../faults/rig.js';
import { type CliResult, integrity, startCli } from './cli.js';

function mount(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const remount = (dir: string, options: string) =>
  execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'ignore' });

function assertOneLineFailure(result: CliResult, message: RegExp): void {
  assert.notEqual(result.code, 0, 'non-zero exit');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.match(lines[0] ?? '', message);
}

test('a full disk, then a read-only file system: one-line errors, a sound file, then the exact truth', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-disk-'));
  // Room for the schema and a few batches, not for a whole sync.
  const mounted = mount(dir, 'size=600k');
  t.after(() => {
    if (mounted) execFileSync('umount', [dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  if (!mounted) {
    t.skip('needs to mount a tmpfs (run as root): full-disk and read-only cases not run');
    return;
  }
  const rig = await startRig({ now: Date.now() });
  t.after(() => rig.close());
  const db = join(dir, 'buildlens.db');
  const setup = await openStore(db);
  await connectBoth(setup, rig.sandbox);
  await setup.close();
  const sync = () =>
    startCli(['--db', db, '-q', 'sync'], { XDG_DATA_HOME: join(rig.dir, 'data') }, rig.dir).done;

  assertOneLineFailure(
    await sync(),
    /^buildlens: cannot write to the store: the disk is full; nothing of this batch/,
  );
  assert.equal(integrity(db), 'ok');

  remount(dir, 'ro');
  assertOneLineFailure(
    await sync(),
    /^buildlens: cannot open the store at .*: the file system is read-only$/,
  );

  remount(dir, 'rw,size=64m');
  const ok = await sync();
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(integrity(db), 'ok');
  const store = await openStore(db);
  try {
    for (const provider of PROVIDERS) {
      const { mismatches } = await compareWithTruth(store, rig.sandbox, provider);
      assert.deepEqual(mismatches.slice(0, 5), [], `${provider}: ${mismatches.length} differences`);
    }
  } finally {
    await store.close();
  }
});
