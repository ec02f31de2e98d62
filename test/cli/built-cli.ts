// bin/buildlens runs dist/: the TypeScript half of `npm run build` (the dashboard bundle is not needed).
// scripts/test.mjs builds once before any test file starts and says so in BUILDLENS_TEST_BUILT, because
// test files run in parallel and a second build rewriting dist/ under a running CLI breaks its imports.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` to its end with `input` on stdin, collecting what it printed. */
export function runChild(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The built `bin/buildlens` on a store in `dir`, with only the given tokens (no inherited BUILDLENS_DB/KEY). */
export function runBuiltCli(dir: string, args: string[], tokens: NodeJS.ProcessEnv): Promise<ChildResult> {
  const { BUILDLENS_DB: _db, BUILDLENS_KEY: _key, ...rest } = process.env;
  return runChild(
    process.execPath,
    [join(ROOT, 'bin', 'buildlens'), '--db', join(dir, 'buildlens.db'), ...args],
    {
      cwd: dir,
      env: { ...rest, XDG_DATA_HOME: join(dir, 'data'), ...tokens },
    },
  );
}
