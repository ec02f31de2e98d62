// The real CLI against a loopback server answering with real Bitrise responses, as they were captured
// (../shared/reference/real-payloads/bitrise-2026-04), and with builds shaped like the 2017 documentation
// examples: `connect add` accepts them and `sync` imports every run, job and time.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { realPayload } from '../connectors/real-payloads.js';
import { buildCli, runBuiltCli } from './built-cli.js';

const TOKEN = 'real-shapes-bitrise-token-0123456789';
/** The app of the capture (its slug is in get_pipeline.json), and one whose builds are 2017-shaped. */
const APP = '46b6b9a78a418ee8';
const LEGACY_APP = '669403bffbe35909';

/**
 * Builds shaped like the 2017 documentation examples (ci-apis.md §1.5, §1.9): no machine_type_id, no
 * credit_cost, no pipeline fields, the machine in stack_config_type, microseconds in triggered_at only.
 */
const legacyBuild = (slug: string, number: number, fields: Record<string, unknown>) => ({
  triggered_at: '2017-08-17T09:10:41.530768Z',
  started_on_worker_at: '2017-08-17T09:10:42Z',
  environment_prepare_finished_at: '2017-08-17T09:10:58Z',
  finished_at: '2017-08-17T09:13:11Z',
  slug,
  status: 1,
  status_text: 'success',
  abort_reason: null,
  is_on_hold: false,
  branch: 'master',
  build_number: number,
  commit_hash: null,
  commit_message: 'generated',
  tag: null,
  triggered_workflow: 'primary',
  triggered_by: 'webhook',
  stack_config_type: 'standard1',
  stack_identifier: 'linux-docker-android',
  original_build_params: { branch: 'master' },
  pull_request_id: 0,
  pull_request_target_branch: null,
  pull_request_view_url: null,
  commit_view_url: null,
  ...fields,
});
const LEGACY_BUILDS = [
  legacyBuild('a1b2c3d4e5f60718', 17, {}),
  legacyBuild('a1b2c3d4e5f60717', 16, {
    triggered_at: '2017-08-17T08:02:11.120000Z',
    started_on_worker_at: '2017-08-17T08:02:14Z',
    environment_prepare_finished_at: '2017-08-17T08:02:30Z',
    finished_at: '2017-08-17T08:03:00Z',
    status: 3,
    status_text: 'aborted',
    abort_reason: 'User viktorbenei requested to abort this build with reason: wrong branch',
    triggered_by: 'manual-viktorbenei',
  }),
];

const requests: string[] = [];
const STEPS_BUILD = '7feee0a4-61f4-4eb6-a019-368cf9ac0d82';
/** The routes of a Bitrise that has captured answers only: each one served exactly as captured. */
function answer(url: URL): unknown {
  const path = url.pathname.replace(/^\/v0\.1/, '');
  if (path === '/apps') {
    // No capture of the apps list exists: the two apps, in the documented shape.
    return {
      data: [
        { slug: APP, title: 'bitrise-website' },
        { slug: LEGACY_APP, title: 'legacy' },
      ],
      paging: {},
    };
  }
  if (path === `/apps/${APP}/pipelines`) {
    const first = realPayload('list_pipelines.json') as { data: unknown[]; paging: { next: string } };
    if (!url.searchParams.get('before')) return first;
    // An inclusive `before`: the next page repeats the boundary item, and nothing older is left.
    return { data: first.data.slice(-1), paging: first.paging };
  }
  // The one pipeline show captured stands for each listed pipeline.
  if (path.startsWith(`/apps/${APP}/pipelines/`)) return realPayload('get_pipeline.json');
  if (path === `/apps/${APP}/builds`) {
    // After the captured page (cursor d4aea743-…), nothing more.
    return url.searchParams.get('next') ? { data: [], paging: {} } : realPayload('list_builds.json');
  }
  // The one log summary captured is of that build; the others have none (404).
  if (path === `/apps/${APP}/builds/${STEPS_BUILD}/log/summary`) return realPayload('get_build_steps.json');
  if (path === `/apps/${LEGACY_APP}/pipelines`) return { data: [], paging: {} };
  if (path === `/apps/${LEGACY_APP}/builds`) {
    return { data: LEGACY_BUILDS, paging: { total_item_count: 2, page_item_limit: 50 } };
  }
  return null;
}

let server: Server;
let baseUrl: string;
let dir: string;

function buildlens(args: string[]) {
  return runBuiltCli(dir, args, { BITRISE_TOKEN: TOKEN });
}

before(async () => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'buildlens-bitrise-real-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    const body = req.headers.authorization === TOKEN ? answer(url) : undefined;
    const status = body === undefined ? 401 : body === null ? 404 : 200;
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body ?? { message: status === 401 ? 'Unauthorized' : 'Not Found' }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v0.1`;
});

after(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('connect add and sync take the real answers and the 2017 shape: every run, job and time', async () => {
  const added = await buildlens(['connect', 'add', 'real', '--provider', 'bitrise', '--url', baseUrl]);
  assert.equal(added.code, 0, added.stderr);
  const synced = await buildlens(['sync', 'real', '--lookback', '3650d']);
  assert.equal(synced.code, 0, synced.stderr);
  // The inclusive-cursor page was asked for, and ended the listing without an error.
  assert.ok(requests.some((r) => r.includes('before=2026-04-03T17%3A27%3A47.302248Z')));

  const db = new Database(join(dir, 'buildlens.db'), { readonly: true });
  try {
    const runs = db
      .prepare(
        `select key, kind, number, workflow, status, trigger, actor, machine, cost, triggered_at,
           started_at, finished_at, queue_s, duration_s from runs order by key`,
      )
      .all();
    assert.deepEqual(runs, [
      {
        key: '6ce998c6-cd89-4972-b278-09277ee7e402',
        kind: 'pipeline',
        number: 324524,
        workflow: 'ci-pipeline',
        status: 'failed',
        trigger: 'pull_request',
        actor: 'balazsczap',
        machine: null,
        cost: 195,
        triggered_at: '2026-04-03T17:27:33.012071Z',
        started_at: '2026-04-03T17:27:33.906013Z',
        finished_at: '2026-04-03T17:31:07.424333Z',
        queue_s: 0.893942,
        duration_s: 213.51832,
      },
      {
        key: 'a1b2c3d4e5f60717',
        kind: 'build',
        number: 16,
        workflow: 'primary',
        status: 'aborted',
        trigger: 'manual',
        actor: 'viktorbenei',
        machine: 'standard1',
        cost: null,
        triggered_at: '2017-08-17T08:02:11.120000Z',
        started_at: '2017-08-17T08:02:14Z',
        finished_at: '2017-08-17T08:03:00Z',
        // 08:02:11.12 → 08:02:14; the build ran 08:02:30 → 08:03:00.
        queue_s: 2.88,
        duration_s: 30,
      },
      {
        key: 'a1b2c3d4e5f60718',
        kind: 'build',
        number: 17,
        workflow: 'primary',
        status: 'succeeded',
        trigger: 'push',
        actor: null,
        machine: 'standard1',
        cost: null,
        triggered_at: '2017-08-17T09:10:41.530768Z',
        started_at: '2017-08-17T09:10:42Z',
        finished_at: '2017-08-17T09:13:11Z',
        queue_s: 0.469232,
        duration_s: 133,
      },
    ]);
    // The three builds of list_builds.json are workflow builds of a pipeline (pipeline_workflow_id): no runs.
    const jobs = db.prepare(`select name, status, cost, depends_on from jobs order by name`).all() as {
      name: string;
      status: string;
      cost: number | null;
      depends_on: string | null;
    }[];
    assert.equal(jobs.length, 25);
    assert.deepEqual(
      jobs.find((j) => j.name === 'check-permission-diffs'),
      {
        name: 'check-permission-diffs',
        status: 'skipped',
        cost: null,
        depends_on: '["ci-build-test-image"]',
      },
    );
    assert.equal(
      jobs.reduce((sum, j) => sum + (j.cost ?? 0), 0),
      195,
    );
    const raw = db.prepare(`select kind, count(*) as n from raw_payloads group by kind order by kind`).all();
    assert.deepEqual(raw, [
      { kind: 'app', n: 2 },
      { kind: 'build', n: 2 },
      { kind: 'build_steps', n: 26 },
      { kind: 'pipeline', n: 1 },
    ]);
    // Every finished build's summary was asked for once; the one captured gave its four steps.
    const steps = db.prepare(`select run_key, job_key, name from steps order by position`).all();
    assert.deepEqual(
      steps.map((s) => (s as { name: string }).name),
      ['Git clone', 'Docker login', 'Pull pre-built CI test image', 'zeitwerk'],
    );
    const summaries = requests.filter((r) => r.endsWith('/log/summary'));
    assert.equal(new Set(summaries).size, summaries.length, summaries.join('\n'));
    assert.equal(summaries.length, 26);
  } finally {
    db.close();
  }
});
