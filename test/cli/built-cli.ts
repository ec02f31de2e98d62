// bin/buildlens runs dist/: the TypeScript half of `npm run build` (the dashboard bundle is not needed).
// scripts/test.mjs builds once before any test file starts and says so in BUILDLENS_TEST_BUILT, because
// test files run in parallel and a second build rewriting dist/ under a running CLI breaks its imports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export function buildCli(): void {
  if (process.env.BUILDLENS_TEST_BUILT === '1') return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `the build failed:\n${build.stdout}\n${build.stderr}`);
}
