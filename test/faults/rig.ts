// A sandbox (with faults), a real SQLite store with both providers connected, and the comparison of what
// the store holds with the sandbox's ground truth, row by row. Shared by the fault, crash and chaos runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeBuild as normalizeBuildkiteBuild } from '../../src/connectors/buildkite/normalize.js';
import { build as buildkiteBuild } from '../../src/connectors/buildkite/wire.js';
import type { Job, Provider, Run } from '../../src/domain/model.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';
import { addConnection } from '../../src/store/connections.js';
import { runFromRow } from '../../src/store/rows.js';
import { openStore, type Store } from '../../src/store/store.js';
import { type SyncSummary, syncConnection } from '../../src/sync/sync.js';
import { bitriseTruthOf } from '../sandbox/bitrise-truth.js';

export const NOW = '2026-03-04T12:00:00Z';
export const CONNECTIONS: Record<Provider, string> = { bitrise: 'bitrise', buildkite: 'buildkite' };

export interface Rig {
  sandbox: Sandbox;
  store: Store;
  dir: string;
  dbPath: string;
  close(): Promise<void>;
}

/** A sandbox on a manual clock and a fresh SQLite file in its own directory, both providers connected. */
export async function startRig(options: SandboxOptions = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'buildlens-faults-'));
  // A window never reopens on a manual clock, and a rig syncs many times: rate limits come only as faults
  // here (the per-user limit is off, as on older accounts; pacing has its own tests).
  const sandbox = await startSandbox({
    size: 'small',
    clock: 'manual',
    now: NOW,
    ...options,
    buildkite: { rateLimitPerUser: null, ...options.buildkite },
  });
  const dbPath = join(dir, 'buildlens.db');
  const store = await openStore(dbPath);
  await connectBoth(store, sandbox);
  return {
    sandbox,
    store,
    dir,
    dbPath,
    async close() {
      await store.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function connectBoth(store: Store, sandbox: Sandbox): Promise<void> {
  await addConnection(store, {
    name: CONNECTIONS.bitrise,
    provider: 'bitrise',
    baseUrl: sandbox.bitrise.url,
    org: null,
    token: sandbox.bitrise.token,
  });
  await addConnection(store, {
    name: CONNECTIONS.buildkite,
    provider: 'buildkite',
    baseUrl: sandbox.buildkite.url,
    org: null,
    token: sandbox.buildkite.token,
  });
}

export type SyncOutcome = { ok: true; summary: SyncSummary } | { ok: false; error: Error };

/** Short timeouts and backoffs so a fault costs a test a second, not minutes; one project at a time. */
export async function syncOnce(rig: Rig, provider: Provider, timeoutMs = 1500): Promise<SyncOutcome> {
  try {
    const summary = await syncConnection(rig.store, CONNECTIONS[provider], {
      now: () => rig.sandbox.clock.now(),
      connector: { timeoutMs, maxRetries: 3, concurrency: 1 },
    });
    return { ok: true, summary };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

/** Every run and job the sandbox shows now, normalized by the connectors' own pure functions. */
export function truth(
  sandbox: Sandbox,
  provider: Provider,
): { runs: Map<string, Run>; jobs: Map<string, Job> } {
  const runs = new Map<string, Run>();
  const jobs = new Map<string, Job>();
  const addJobs = (list: Job[]) => {
    for (const job of list) jobs.set(job.key, job);
  };
  if (provider === 'bitrise') {
    const world = sandbox.bitrise.world;
    for (const app of world.apps()) {
      const truth = bitriseTruthOf(world, app.slug);
      for (const run of truth.runs) runs.set(run.key, run);
      addJobs(truth.jobs);
    }
    return { runs, jobs };
  }
  const pipelines = new Map(
    sandbox.buildkite.world.model.orgs.flatMap((o) =>
      o.pipelines.map((p) => [`${o.slug}/${p.slug}`, p] as const),
    ),
  );
  for (const item of sandbox.buildkite.world.builds(sandbox.buildkite.url)) {
    const b = buildkiteBuild.parse(item);
    const [, org, slug] = /organizations\/([^/]+)\/pipelines\/([^/]+)\//.exec(b.url ?? '') ?? [];
    const pipeline = pipelines.get(`${org}/${slug}`);
    if (!pipeline) throw new Error(`build ${b.id} names an unknown pipeline ${org}/${slug}`);
    const { run, jobs: list } = normalizeBuildkiteBuild({ key: pipeline.id, name: pipeline.name }, b);
    runs.set(run.key, run);
    addJobs(list);
  }
  return { runs, jobs };
}

const JOB_FIELDS = [
  'key',
  'runKey',
  'status',
  'providerStatus',
  'startedAt',
  'finishedAt',
  'retried',
] as const;
type JobField = (typeof JOB_FIELDS)[number];

export interface Comparison {
  runsCompared: number;
  jobsCompared: number;
  /** One line per difference (missing, extra, or a field that differs); empty when the store is exact. */
  mismatches: string[];
}

/**
 * The store's runs and jobs of one connection against the truth, every normalized field. `ignore` names
 * run fields a fault changed on purpose (huge strings).
 */
export async function compareWithTruth(
  store: Store,
  sandbox: Sandbox,
  provider: Provider,
  ignore: readonly string[] = [],
): Promise<Comparison> {
  const expected = truth(sandbox, provider);
  const connection = await store.db
    .selectFrom('connections')
    .select('id')
    .where('name', '=', CONNECTIONS[provider])
    .executeTakeFirstOrThrow();
  // A refused payload is not a run (DESIGN.md "Refused run"): the truth is what was not refused.
  const refused = await store.db
    .selectFrom('refused_payloads')
    .select('key')
    .where('connection_id', '=', connection.id)
    .execute();
  for (const { key } of refused) if (key !== null) expected.runs.delete(key);
  for (const [key, job] of expected.jobs) if (!expected.runs.has(job.runKey)) expected.jobs.delete(key);
  const runRows = await store.db
    .selectFrom('runs')
    .selectAll()
    .where('connection_id', '=', connection.id)
    .execute();
  const jobRows = await store.db
    .selectFrom('jobs')
    .selectAll()
    .where('connection_id', '=', connection.id)
    .execute();
  const mismatches: string[] = [];
  const diff = <T extends { key: string }>(
    what: string,
    want: Map<string, T>,
    got: T[],
    skip: readonly string[],
  ) => {
    const seen = new Set<string>();
    for (const row of got) {
      seen.add(row.key);
      const truthRow = want.get(row.key);
      if (!truthRow) {
        mismatches.push(`${provider} ${what} ${row.key}: in the store, not in the sandbox`);
        continue;
      }
      for (const [field, value] of Object.entries(truthRow)) {
        if (skip.includes(field)) continue;
        const stored = (row as Record<string, unknown>)[field];
        if (JSON.stringify(stored) !== JSON.stringify(value)) {
          mismatches.push(
            `${provider} ${what} ${row.key}: ${field} is ${JSON.stringify(stored)}, sandbox has ${JSON.stringify(value)}`,
          );
        }
      }
    }
    for (const key of want.keys()) {
      if (!seen.has(key))
        mismatches.push(`${provider} ${what} ${key}: in the sandbox, missing from the store`);
    }
  };
  diff('run', expected.runs, runRows.map(runFromRow), ignore);
  // Jobs: the fields that say what happened (the store has no reader for whole job rows).
  const jobFields = (job: Pick<Job, JobField>) => Object.fromEntries(JOB_FIELDS.map((f) => [f, job[f]]));
  const storedJobs = jobRows.map((r) => ({
    key: r.key,
    runKey: r.run_key,
    status: r.status,
    providerStatus: r.provider_status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    retried: r.retried === 1,
  }));
  diff(
    'job',
    new Map([...expected.jobs].map(([key, job]) => [key, jobFields(job) as { key: string }])),
    storedJobs,
    [],
  );
  return { runsCompared: expected.runs.size, jobsCompared: expected.jobs.size, mismatches };
}
