// The real CLI against a loopback server answering with the example bodies of Buildkite's REST API
// documentation (../shared/reference/real-payloads/buildkite-docs-2026-08), as they are. The examples reuse
// ids across files, so each file is its own account: its own connection, synced on its own. The job files
// are served inside the "Get a build" build, in place of its jobs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { REAL_BUILDKITE, realPayload } from '../connectors/real-payloads.js';
import { buildCli, runBuiltCli } from './built-cli.js';

const TOKEN = 'real-shapes-buildkite-token-0123456789';
const ORG = 'my-great-org';
const payload = (file: string) => realPayload(file, REAL_BUILDKITE) as Record<string, unknown>;

/** The "Get a build" build with its jobs replaced by these job payloads. */
const withJobs = (jobs: unknown[]) => ({ ...payload('get_build.json'), jobs });

/** Each account (one per file) and the one build its builds list answers with. */
const ACCOUNTS: Record<string, () => Record<string, unknown>> = {
  'get-build': () => payload('get_build.json'),
  'cancel-build': () => payload('cancel_build.json'),
  'get-job': () => withJobs([payload('get_job.json')]),
  'list-jobs': () => withJobs(payload('list_jobs.json').items as unknown[]),
  'trigger-job': () => withJobs([payload('trigger_job.json')]),
  'unblock-job': () => withJobs([payload('get_job.json'), payload('unblock_job.json')]),
};

const requests: string[] = [];

/** A Buildkite that knows one organization, the pipeline the build embeds, and that build. */
function answer(account: string, url: URL): unknown {
  const build = ACCOUNTS[account]?.();
  if (!build) return null;
  const path = url.pathname.replace(`/${account}/v2`, '');
  // No example of the access-token answer is among the files: the documented shape (ci-apis.md §3.2).
  if (path === '/access-token') return { uuid: 'token-uuid', scopes: ['read_builds', 'read_pipelines'] };
  if (path === `/organizations/${ORG}/pipelines`) return [build.pipeline];
  if (path === `/organizations/${ORG}/builds`) return [build];
  return null;
}

let server: Server;
let base: string;
let dir: string;

function buildlens(args: string[]) {
  return runBuiltCli(dir, args, { BUILDKITE_TOKEN: TOKEN });
}

before(async () => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'buildlens-buildkite-real-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    const account = url.pathname.split('/')[1] ?? '';
    const body = req.headers.authorization === `Bearer ${TOKEN}` ? answer(account, url) : undefined;
    const status = body === undefined ? 401 : body === null ? 404 : 200;
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body ?? { message: status === 401 ? 'Authentication required.' : 'Not Found' }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const account of Object.keys(ACCOUNTS)) {
    const url = `${base}/${account}/v2`;
    const added = await buildlens([
      'connect',
      'add',
      account,
      '--provider',
      'buildkite',
      '--url',
      url,
      '--org',
      ORG,
    ]);
    assert.equal(added.code, 0, `${account}: ${added.stderr}`);
    // The builds are from 2015: a lookback that reaches them.
    const synced = await buildlens(['sync', account, '--lookback', '4500d']);
    assert.equal(synced.code, 0, `${account}: ${synced.stderr}`);
  }
});

after(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the store holds for one account: its run and its jobs. */
function stored(account: string) {
  const db = new Database(join(dir, 'buildlens.db'), { readonly: true });
  try {
    const where = 'connection_id = (select id from connections where name = ?)';
    const runs = db
      .prepare(
        `select key, number, workflow, branch, trigger, actor, status, provider_status, classification, reason,
           triggered_at, started_at, finished_at, queue_s, duration_s, agent_queue from runs where ${where}`,
      )
      .all(account);
    const jobs = db
      .prepare(
        `select key, name, status, provider_status, started_at, finished_at, queue_s, duration_s, agent,
           agent_queue, classification from jobs where ${where} order by key`,
      )
      .all(account) as Record<string, unknown>[];
    return { runs, jobs };
  } finally {
    db.close();
  }
}

const BUILD_ID = 'f62a1b4d-10f9-4790-bc1c-e2c3a0c80983';
const JOB_ID = 'b63254c0-3271-4a98-8270-7cfbd6c2f14e';
/** The "Get a build" run: created and started 21:05:59.874, finished three minutes later. */
const passedRun = {
  key: BUILD_ID,
  number: 2,
  workflow: 'Great Pipeline',
  branch: 'main',
  trigger: 'push',
  actor: 'Keith Pitt',
  status: 'succeeded',
  provider_status: 'passed',
  classification: 'success',
  reason: null,
  triggered_at: '2015-05-09T21:05:59.874Z',
  started_at: '2015-05-09T21:05:59.874Z',
  finished_at: '2015-05-09T21:08:59.874Z',
  queue_s: 0,
  duration_s: 180,
  agent_queue: 'default',
};
/** The script job of get_job.json and list_jobs.json: runnable 21:06:00, 21:06:05 → 21:06:20. */
const packageJob = {
  key: JOB_ID,
  name: ':package: Build',
  status: 'succeeded',
  provider_status: 'passed',
  started_at: '2015-05-09T21:06:05.000Z',
  finished_at: '2015-05-09T21:06:20.000Z',
  queue_s: 5,
  duration_s: 15,
  agent: null,
  agent_queue: 'default',
  classification: 'success',
};

test('get_build.json: the passed build and its script job, with times as the example gives them', () => {
  assert.deepEqual(stored('get-build'), {
    runs: [passedRun],
    jobs: [
      {
        ...packageJob,
        name: 'RSpec',
        started_at: '2015-05-09T21:07:59.874Z',
        finished_at: '2015-05-09T21:08:59.874Z',
        queue_s: 60,
        duration_s: 60,
        agent: 'my-agent',
      },
    ],
  });
});

test('cancel_build.json: canceled by the system (nobody named), with its reason', () => {
  const { runs, jobs } = stored('cancel-build');
  assert.deepEqual(runs, [
    {
      ...passedRun,
      number: 1,
      status: 'aborted',
      provider_status: 'canceled',
      classification: 'aborted_auto',
      reason: 'reason for a canceled build',
      finished_at: '2015-05-09T21:05:59.874Z',
      duration_s: 0,
    },
  ]);
  assert.deepEqual(
    jobs.map((j) => [j.name, j.status, j.provider_status, j.classification]),
    [[':package:', 'queued', 'scheduled', null]],
  );
});

test('get_job.json and list_jobs.json: the script job without an agent', () => {
  for (const account of ['get-job', 'list-jobs']) {
    assert.deepEqual(stored(account), { runs: [passedRun], jobs: [packageJob] }, account);
  }
});

test('trigger_job.json: the trigger job is a job of its build, on no agent queue', () => {
  assert.deepEqual(stored('trigger-job'), {
    runs: [{ ...passedRun, agent_queue: null }],
    jobs: [
      {
        ...packageJob,
        name: 'Deploy to production',
        started_at: '2015-05-09T21:07:59.874Z',
        finished_at: '2015-05-09T21:08:59.874Z',
        queue_s: 60,
        duration_s: 60,
        agent_queue: null,
      },
    ],
  });
});

test('unblock_job.json: the released block step is no job; the build keeps its script job', () => {
  assert.deepEqual(stored('unblock-job'), { runs: [passedRun], jobs: [packageJob] });
  // Each account was read through its own base URL, never another's.
  assert.ok(requests.every((r) => Object.keys(ACCOUNTS).some((a) => r.startsWith(`/${a}/v2/`))));
});
