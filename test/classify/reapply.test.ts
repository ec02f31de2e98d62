// `buildlens classify`: re-applies rules from the store alone (kept logs included), prints the changes
// by class, writes nothing on --dry-run and exactly the changes otherwise.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { openStore } from '../../src/store/store.js';
import { scratch } from '../store/engines.js';
import { job, project, run } from '../store/fixtures.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += c;
  });
  stderr.on('data', (c) => {
    err += c;
  });
  const code = await runCli(args, { stdout, stderr, stdin: new PassThrough(), env: {} });
  return { code, stdout: out, stderr: err };
}

const db = join(scratch, 'classify', 'buildlens.db');
const rulesFile = join(scratch, 'classify', 'rules.yaml');

async function seed(): Promise<void> {
  const store = await openStore(db);
  try {
    const bitrise = await addConnection(store, {
      name: 'br',
      provider: 'bitrise',
      baseUrl: 'http://127.0.0.1:1',
      org: null,
      token: 't',
    });
    const failed = {
      status: 'failed',
      providerStatus: '2',
      classification: 'failure',
      classifiedBy: 'default:failed',
    } as const;
    const aborted = {
      status: 'aborted',
      providerStatus: '3',
      reason: 'User ana requested to abort this build with reason: nothing to build',
      abortedBy: 'ana',
      classification: 'aborted_manual',
      classifiedBy: 'default:aborted-by-person',
    } as const;
    await writeBatch(store, bitrise.id, {
      projects: [project('app1', { name: 'iOS App' })],
      runs: [
        run('ok1', 0),
        run('oom', 1, failed),
        run('oom-no-log', 2, failed),
        run('tests', 3, failed),
        run('lost', 4, { ...failed, reason: 'Agent lost' }),
        // Stored under an older default; the current defaults call it skipped.
        run('nothing', 5, aborted),
      ],
      // Stored before jobs were classified.
      jobs: [
        job('j1', 'ok1'),
        job('j2', 'oom', { status: 'failed', providerStatus: 'failed' }),
        // No reason of its own: matched on its run's ("Agent lost").
        job('j3', 'lost', { status: 'failed', providerStatus: 'failed' }),
        job('j4', 'tests', { name: 'ui-tests', status: 'failed', providerStatus: 'failed' }),
      ],
      raw: [
        { kind: 'log', key: 'oom', payload: { text: 'Compiling…\nKilled: out of memory\n' } },
        { kind: 'log', key: 'tests', payload: { text: '3 tests failed\n' } },
      ],
    });
  } finally {
    await store.close();
  }
  writeFileSync(
    rulesFile,
    [
      'rules:',
      '  - name: oom',
      '    classification: infra_failure',
      '    match: { status: failed, log: "out of memory" }',
      '  - name: agent-lost',
      '    classification: infra_failure',
      '    match: { reason: "agent lost" }',
      '  - name: ui-simulator # a job name: jobs only, so run "tests" stays a failure',
      '    classification: infra_failure',
      '    match: { job: ui-tests, provider_status: failed }',
    ].join('\n'),
  );
}

async function classifications(): Promise<Record<string, string | null>> {
  const store = await openStore(db);
  try {
    const runs = await store.db
      .selectFrom('runs')
      .select(['key', 'classification', 'classified_by'])
      .execute();
    const jobs = await store.db
      .selectFrom('jobs')
      .select(['key', 'classification', 'classified_by'])
      .execute();
    return Object.fromEntries(
      [...runs, ...jobs].map((r) => [r.key, `${r.classification} ${r.classified_by}`]),
    );
  } finally {
    await store.close();
  }
}

test('classify --dry-run prints the changes by class and writes nothing; classify writes them', async () => {
  await seed();
  const before = await classifications();

  const dry = await cli(['--db', db, 'classify', '--dry-run', '--rules', rulesFile]);
  assert.equal(dry.stderr, '');
  assert.equal(dry.code, 0);
  assert.equal(
    dry.stdout,
    [
      `rules: ${rulesFile}`,
      'runs: 6 checked, 3 changed class',
      '  failure → infra_failure   2',
      '  aborted_manual → skipped  1',
      'jobs: 4 checked, 4 changed class',
      '  unclassified → infra_failure  2',
      '  unclassified → failure        1',
      '  unclassified → success        1',
      'dry run: nothing was written',
      '',
    ].join('\n'),
  );
  assert.deepEqual(await classifications(), before);

  const json = await cli(['--db', db, '--json', 'classify', '--dry-run', '--rules', rulesFile]);
  const summary = JSON.parse(json.stdout);
  assert.equal(summary.dry_run, true);
  assert.deepEqual(summary.runs.transitions, [
    { from: 'failure', to: 'infra_failure', count: 2 },
    { from: 'aborted_manual', to: 'skipped', count: 1 },
  ]);

  const saved = await cli(['--db', db, 'classify', '--rules', rulesFile]);
  assert.equal(saved.code, 0);
  assert.match(saved.stdout, /\nsaved\n$/);
  const after = await classifications();
  assert.equal(after.oom, 'infra_failure oom');
  assert.equal(after['oom-no-log'], 'failure default:failed', 'no kept log: the marker cannot match');
  assert.equal(after.tests, 'failure default:failed');
  assert.equal(after.lost, 'infra_failure agent-lost');
  assert.equal(after.nothing, 'skipped default:no-changes');
  assert.equal(after.ok1, 'success default:succeeded');
  assert.equal(after.j1, 'success default:succeeded');
  assert.equal(after.j2, 'failure default:failed');
  assert.equal(after.j3, 'infra_failure agent-lost');
  assert.equal(after.j4, 'infra_failure ui-simulator');
  assert.deepEqual(
    summary.jobs.transitions.map((t: { to: string; count: number }) => [t.to, t.count]),
    [
      ['infra_failure', 2],
      ['failure', 1],
      ['success', 1],
    ],
  );

  const again = await cli(['--db', db, 'classify', '--dry-run', '--rules', rulesFile]);
  assert.match(again.stdout, /runs: 6 checked, 0 changed class\njobs: 4 checked, 0 changed class\n/);

  // Without --rules, the rules.yaml beside the database applies; without any file, the defaults.
  const beside = await cli(['--db', db, 'classify', '--dry-run']);
  assert.match(beside.stdout, /^rules: .*rules\.yaml\nruns: 6 checked, 0 changed class\n/);
  rmSync(rulesFile);
  const defaults = await cli(['--db', db, 'classify', '--dry-run']);
  assert.match(
    defaults.stdout,
    /^rules: built-in defaults only\nruns: 6 checked, 2 changed class\n {2}infra_failure → failure {2}2\njobs: 4 checked, 2 changed class\n {2}infra_failure → failure {2}2\n/,
  );
});

test('classify with a broken rules file fails in one line with exit code 2', async () => {
  const bad = join(scratch, 'classify', 'bad.yaml');
  writeFileSync(bad, 'rules:\n  - name: x\n    classification: nope\n    match: { status: failed }\n');
  const result = await cli(['--db', db, 'classify', '--rules', bad]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^buildlens: .*bad\.yaml: rule 1 \("x"\): classification: .*\n$/);
});
