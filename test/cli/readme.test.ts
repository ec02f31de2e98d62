// The README's quick start is what a newcomer pastes: its two commands are the ones package.json runs, and
// the demo output it shows is what `demo` prints today, line for line up to the figures (the sandbox
// follows the clock, so counts, times and durations move from hour to hour; words, columns and order don't).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { buildCli, runChild } from './built-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};

/** The fenced block that follows the first occurrence of `after`. */
function blockAfter(after: string): string[] {
  const start = README.indexOf(after);
  assert.ok(start >= 0, `README has no "${after}"`);
  const open = README.indexOf('```\n', start + after.length);
  const close = README.indexOf('\n```', open + 4);
  return README.slice(open + 4, close).split('\n');
}

/** A line with its figures, durations, addresses and temporary paths replaced by placeholders. */
const shape = (line: string) =>
  line
    .replace(/\S*buildlens-demo-\w+/g, 'DIR')
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'URL')
    .replace(/\b\d+h \d\dm\b|\b\d+m \d\ds\b|\b\d+(\.\d)?s\b/g, 'D')
    .replace(/\d+(\.\d+)?/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();

const sorted = (lines: string[]) => lines.filter((l) => l.trim() !== '').sort();

// What a terminal shows of the progress once a connection is done (src/cli/progress.ts).
const BAR = /^sandbox-(bitrise|buildkite) +\[#{20}\] (\d+)\/\2 (apps|pipelines) {2}\d+ runs {2}done$/;
// What only a pipe shows of it, and what only `demo` without --no-serve prints.
const PLAIN_PROGRESS = /^sandbox-\w+: (\d+\/\d+ \w+ done .*|done)$/;
const SERVING = [
  /^Dashboard: http:\/\/127\.0\.0\.1:\d+\/$/,
  /^API: http:\/\/127\.0\.0\.1:\d+\/api\/openapi\.json; press Ctrl-C to stop$/,
];

test('the quick start is two commands: one installs and runs the demo, one runs the tests', () => {
  const section = README.slice(
    README.indexOf('## Quick start'),
    README.indexOf('\n## ', README.indexOf('## Quick start') + 3),
  );
  const commands = [...section.matchAll(/```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]);
  assert.deepEqual(commands, ['npm ci && npm run demo', 'npm test']);
  assert.ok(PACKAGE.scripts.demo && PACKAGE.scripts.test);
});

test('the README shows the output demo prints today', async () => {
  buildCli();
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-readme-'));
  try {
    const { BUILDLENS_DB: _db, BUILDLENS_KEY: _key, ...rest } = process.env;
    const demo = await runChild(process.execPath, [join(ROOT, 'bin', 'buildlens'), 'demo', '--no-serve'], {
      cwd: dir,
      env: { ...rest, XDG_DATA_HOME: join(dir, 'data'), TMPDIR: dir },
    });
    assert.equal(demo.code, 0, demo.stderr);
    const printed = `${demo.stderr}\n${demo.stdout}`.split('\n').filter((l) => !PLAIN_PROGRESS.test(l));

    const shown = blockAfter('in a terminal it reads:');
    assert.deepEqual(shown.slice(0, 2), [`> buildlens@${PACKAGE.version} demo`, `> ${PACKAGE.scripts.demo}`]);
    const bars = shown.filter((l) => BAR.test(l));
    assert.deepEqual(
      bars.map((l) => BAR.exec(l)?.[1]),
      ['bitrise', 'buildkite'],
      'one finished bar per connection',
    );
    for (const pattern of SERVING)
      assert.equal(shown.filter((l) => pattern.test(l)).length, 1, `README shows ${pattern}`);
    const others = shown.slice(2).filter((l) => !BAR.test(l) && !SERVING.some((pattern) => pattern.test(l)));
    assert.deepEqual(sorted(others).map(shape), sorted(printed).map(shape));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
