// Default branches (DESIGN.md "Default branch") on both engines: the provider's (Buildkite), the one a person
// set (winning over the provider's), else inferred as the most-built of main/master/develop/trunk on push
// runs; the default-branch filter selects by each project's own; a sync keeps what a person set. Plus the
// CLI (`projects`, `--default-branch`) on a real file.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import type { ClassifiedRun, Trigger } from '../../src/domain/model.js';
import { report } from '../../src/metrics/report.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { setDefaultBranch } from '../../src/store/default-branch.js';
import { NotFoundError } from '../../src/store/errors.js';
import { listProjects } from '../../src/store/projects.js';
import { openStore, type Store } from '../../src/store/store.js';
import { scratch, storeTest } from './engines.js';
import { project, run } from './fixtures.js';

let counter = 0;
const runOn = (projectKey: string, branch: string | null, trigger: Trigger = 'push'): ClassifiedRun => {
  counter += 1;
  return run(`r${counter}`, counter % 600, { projectKey, branch, trigger });
};

// Buildkite "web" says trunk; its runs: trunk 2, main 4 → default trunk (the provider's), 2 runs on it.
// Bitrise "ios": push runs main 3, develop 5; pull-request runs on main 9 do not count → inferred develop.
// Bitrise "android": push runs on feature/x only → no default branch.
async function load(store: Store): Promise<{ bitrise: number; buildkite: number }> {
  const bk = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'acme',
    token: 'token-buildkite-0123456789',
  });
  const br = await addConnection(store, {
    name: 'br',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9/v0.1',
    org: null,
    token: 'token-bitrise-0123456789',
  });
  await writeBatch(store, bk.id, {
    projects: [project('pl-web', { name: 'web', defaultBranch: 'trunk' })],
    runs: [
      ...Array.from({ length: 2 }, () => runOn('pl-web', 'trunk')),
      ...Array.from({ length: 4 }, () => runOn('pl-web', 'main')),
    ],
    jobs: [],
    raw: [],
  });
  await writeBatch(store, br.id, {
    projects: [project('app-ios', { name: 'ios' }), project('app-android', { name: 'android' })],
    runs: [
      ...Array.from({ length: 3 }, () => runOn('app-ios', 'main')),
      ...Array.from({ length: 5 }, () => runOn('app-ios', 'develop')),
      ...Array.from({ length: 9 }, () => runOn('app-ios', 'main', 'pull_request')),
      runOn('app-ios', null),
      ...Array.from({ length: 2 }, () => runOn('app-android', 'feature/x')),
    ],
    jobs: [],
    raw: [],
  });
  return { bitrise: br.id, buildkite: bk.id };
}

const defaults = async (store: Store) =>
  (await listProjects(store)).map((p) => [p.name, p.defaultBranch, p.defaultBranchSource]);

const runsOf = async (store: Store, defaultBranch: boolean) =>
  (await report(store, { filter: { defaultBranch }, by: ['project'] })).map((r) => [r.project, r.runs]);

storeTest('default branches: the provider’s, else inferred from push runs, else none', async (store) => {
  await load(store);
  assert.deepEqual(await defaults(store), [
    ['web', 'trunk', 'provider'],
    ['android', null, null],
    ['ios', 'develop', 'inferred'],
  ]);
  assert.deepEqual(await runsOf(store, true), [
    ['ios', 5],
    ['web', 2],
  ]);
  // The other branches, a run without a branch and the project without a default included.
  assert.deepEqual(await runsOf(store, false), [
    ['android', 2],
    ['ios', 13],
    ['web', 4],
  ]);
});

storeTest('a default branch set by a person wins, survives a sync and can be unset', async (store) => {
  const ids = await load(store);
  await setDefaultBranch(store, { project: 'ios' }, 'main');
  await setDefaultBranch(store, { project: 'pl-web', connection: 'bk' }, 'main');
  // A sync writes the projects again: the provider's default changes, the setting stays.
  await writeBatch(store, ids.buildkite, {
    projects: [project('pl-web', { name: 'web', defaultBranch: 'release' })],
    runs: [],
    jobs: [],
    raw: [],
  });
  await writeBatch(store, ids.bitrise, {
    projects: [project('app-ios', { name: 'ios' })],
    runs: [],
    jobs: [],
    raw: [],
  });
  assert.deepEqual(await defaults(store), [
    ['web', 'main', 'setting'],
    ['android', null, null],
    ['ios', 'main', 'setting'],
  ]);
  assert.deepEqual(await runsOf(store, true), [
    ['ios', 12],
    ['web', 4],
  ]);
  await setDefaultBranch(store, { project: 'web' }, null);
  assert.deepEqual((await defaults(store))[0], ['web', 'release', 'provider']);
  await assert.rejects(setDefaultBranch(store, { project: 'nope' }, 'main'), NotFoundError);
  await assert.rejects(
    setDefaultBranch(store, { project: 'ios', connection: 'bk' }, 'main'),
    /no project "ios" in connection "bk"/,
  );
});

async function cli(db: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c) => out.push(String(c)));
  stderr.on('data', (c) => err.push(String(c)));
  const code = await runCli(['--db', db, ...args], { stdout, stderr, stdin: new PassThrough(), env: {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

test('projects list and default-branch, and --default-branch on report, through the CLI', async () => {
  const db = join(scratch, 'default-branch-cli', 'buildlens.db');
  const store = await openStore(db);
  await load(store);
  await store.close();
  const list = await cli(db, ['projects', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^br\s+ios\s+app-ios\s+develop\s+inferred$/m);
  assert.match(list.stdout, /^bk\s+web\s+pl-web\s+trunk\s+provider$/m);
  assert.match(list.stdout, /^br\s+android\s+app-android\s+-\s+-$/m);

  const set = await cli(db, ['projects', 'default-branch', 'ios', 'main']);
  assert.equal(set.code, 0, set.stderr);
  const json = JSON.parse((await cli(db, ['projects', 'list', '--format', 'json'])).stdout);
  const ios = json.find((p: { name: string }) => p.name === 'ios');
  assert.deepEqual([ios.default_branch, ios.default_branch_source], ['main', 'setting']);

  const since = ['--since', '2000-01-01'];
  const onDefault = JSON.parse(
    (await cli(db, ['report', '--format', 'json', '--default-branch', ...since])).stdout,
  );
  assert.deepEqual(onDefault.filter.default_branch, true);
  assert.equal(onDefault.total.runs, 12 + 2);
  const others = JSON.parse(
    (await cli(db, ['report', '--format', 'json', '--no-default-branch', ...since])).stdout,
  );
  assert.equal(others.total.runs, 6 + 4 + 2);

  for (const [args, message] of [
    [['projects', 'default-branch', 'nope', 'main'], /no project "nope"/],
    [['projects', 'default-branch', 'ios'], /give the branch, or --unset/],
    [['projects', 'default-branch', 'ios', 'main', '--unset'], /not both/],
  ] as const) {
    const result = await cli(db, [...args]);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
  }
  const unset = await cli(db, ['projects', 'default-branch', 'ios', '--unset']);
  assert.equal(unset.code, 0, unset.stderr);
  assert.match((await cli(db, ['projects', 'list'])).stdout, /^br\s+ios\s+app-ios\s+develop\s+inferred$/m);
});
