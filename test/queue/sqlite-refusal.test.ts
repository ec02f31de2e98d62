// On SQLite one process does everything: `worker` and `serve --workers external` refuse in one line with
// exit 2, before any file is created.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildCli, runBuiltCli } from '../cli/built-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'buildlens-queue-sqlite-'));
before(() => buildCli());
after(() => rmSync(dir, { recursive: true, force: true }));

for (const args of [['worker'], ['serve', '--workers', 'external']]) {
  test(`${args.join(' ')} on SQLite: one line, exit 2, no store created`, async () => {
    const result = await runBuiltCli(dir, args, {});
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^buildlens: .+ needs a PostgreSQL store \(--db postgres:\/\/…\); with SQLite, buildlens serve syncs and processes webhooks itself\n$/,
    );
    assert.equal(existsSync(join(dir, 'buildlens.db')), false);
  });
}

test('serve --workers elsewhere: one line, exit 2', async () => {
  const result = await runBuiltCli(dir, ['serve', '--workers', 'elsewhere'], {});
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--workers must be here or external, got "elsewhere"/);
});
