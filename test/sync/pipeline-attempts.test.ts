// A Bitrise DAG pipeline rerun, on both engines: attempt 1 is the real pipeline of the April 2026 capture
// as it is (five workflows failed, one skipped); attempt 2 reruns the failed ones and the skipped one runs.
// The skipped workflow was a job without a build; once it runs it is the build's job, and no skipped row
// of it may stay beside it. `renormalize` reads the pipeline again with its earlier attempts' builds, so
// their jobs and the retry chain stay as the sync wrote them, and a skipped row an older version left is
// removed.
import assert from 'node:assert/strict';
import { DEFAULT_RULES } from '../../src/classify/classify.js';
import { normalizePipeline } from '../../src/connectors/bitrise/normalize.js';
import { build, pipelineShow } from '../../src/connectors/bitrise/wire.js';
import type { Job } from '../../src/domain/model.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import type { Store } from '../../src/store/store.js';
import { renormalize } from '../../src/sync/renormalize.js';
import { realPayload } from '../connectors/real-payloads.js';
import { storeTest } from '../store/engines.js';

const rules = { rules: [...DEFAULT_RULES], file: null };
const first = realPayload('get_pipeline.json') as {
  id: string;
  app: { slug: string };
  workflows: { id: string; name: string; status: string; external_id: string }[];
  [field: string]: unknown;
};
const APP = first.app.slug;
const SKIPPED = 'check-permission-diffs';
const failed = first.workflows.filter((w) => w.status === 'failed');
const rerunAt = '2026-04-03T18:30:00.000000Z';

/** The second attempt's show: the failed workflows and the skipped one ran again, with builds of their own. */
const second = {
  ...first,
  status: 'succeeded',
  attempts: [
    ...(first.attempts as unknown[]),
    { id: 'attempt-2', number_in_pipeline_build_scope: 2, status: 'succeeded', triggered_at: rerunAt },
  ],
  current_attempt_id: 'attempt-2',
  workflows: first.workflows.map((w) =>
    w.status === 'failed' || w.name === SKIPPED
      ? {
          ...w,
          id: `${w.id}-2`,
          status: 'succeeded',
          external_id: `rerun-${w.name}`,
          started_at: '2026-04-03T18:31:00Z',
          finished_at: '2026-04-03T18:40:00Z',
        }
      : w,
  ),
};

/** The builds of attempt 1's failed workflows, as the builds list answers them (its real item reshaped). */
const earlierPayloads = failed.map((w) => ({
  ...((realPayload('list_builds.json') as { data: Record<string, unknown>[] }).data[0] as object),
  slug: w.external_id,
  status: 2,
  status_text: 'error',
  triggered_workflow: w.name,
  pipeline_workflow_id: w.id,
}));

async function jobsOf(store: Store, runKey: string) {
  return store.db
    .selectFrom('jobs')
    .select(['key', 'name', 'status', 'retried', 'retry_of', 'depends_on', 'on_critical_path'])
    .where('run_key', '=', runKey)
    .orderBy('key')
    .execute();
}

async function stored(store: Store) {
  const { id } = await addConnection(store, {
    name: 'br',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:9/v0.1',
    org: null,
    token: 'x'.repeat(20),
  });
  const project = { key: APP, name: 'app', owner: null, repoUrl: null, webUrl: null };
  const attempt1 = normalizePipeline(APP, pipelineShow.parse(first));
  await writeBatch(store, id, {
    projects: [project],
    runs: [{ ...attempt1.run, classification: null, classifiedBy: null }],
    jobs: attempt1.jobs,
    raw: [{ kind: 'pipeline', key: first.id, payload: first }],
    wholeJobs: [attempt1.run.key],
  });
  const skippedKey = attempt1.jobs.find((j) => j.name === SKIPPED)?.key as string;
  assert.deepEqual(
    (await jobsOf(store, first.id)).filter((j) => j.status === 'skipped').map((j) => [j.key, j.name]),
    [[skippedKey, SKIPPED]],
  );
  const earlier = earlierPayloads.map((p) => build.parse(p));
  const attempt2 = normalizePipeline(APP, pipelineShow.parse(second), earlier);
  const written = await writeBatch(store, id, {
    runs: [{ ...attempt2.run, classification: null, classifiedBy: null }],
    jobs: attempt2.jobs,
    raw: [
      { kind: 'pipeline', key: first.id, payload: second },
      ...earlierPayloads.map((payload) => ({ kind: 'pipeline_build', key: payload.slug, payload })),
    ],
    wholeJobs: [attempt2.run.key],
  });
  return { id, skippedKey, attempt1, written };
}

storeTest(
  'a rerun pipeline: a workflow skipped in attempt 1 and run in attempt 2 is one job',
  async (store) => {
    const { skippedKey, attempt1, written } = await stored(store);
    assert.equal(written.jobsRemoved, 1);
    const jobs = await jobsOf(store, first.id);
    assert.equal(jobs.length, attempt1.jobs.length + failed.length);
    assert.equal(
      jobs.find((j) => j.key === skippedKey),
      undefined,
    );
    const byName = (name: string) => jobs.filter((j) => j.name === name);
    assert.deepEqual(
      byName(SKIPPED).map((j) => [j.key, j.status]),
      [[`rerun-${SKIPPED}`, 'succeeded']],
    );
    for (const w of failed) {
      assert.deepEqual(
        byName(w.name)
          .sort((a, b) => Number(b.retried) - Number(a.retried))
          .map((j) => [j.key, j.status, Boolean(j.retried), j.retry_of]),
        [
          [w.external_id, 'failed', true, null],
          [`rerun-${w.name}`, 'succeeded', false, w.external_id],
        ],
      );
    }
  },
);

storeTest(
  'renormalize reads a rerun pipeline with its earlier builds and drops a stale skipped job',
  async (store) => {
    const { id, skippedKey, attempt1 } = await stored(store);
    const before = await jobsOf(store, first.id);
    const again = await renormalize(store, rules, { dryRun: false });
    assert.equal(again.now_refused, 0);
    assert.deepEqual(await jobsOf(store, first.id), before);
    assert.equal((await renormalize(store, rules, { dryRun: false })).jobs_new_or_changed, 0);

    // As an older version left it: attempt 1's skipped row beside the workflow's build.
    const stale = attempt1.jobs.find((j) => j.key === skippedKey) as Job;
    await writeBatch(store, id, { runs: [], jobs: [stale], raw: [] });
    assert.equal((await jobsOf(store, first.id)).length, before.length + 1);
    const repaired = await renormalize(store, rules, { dryRun: false });
    assert.ok(repaired.jobs_new_or_changed >= 1);
    assert.deepEqual(await jobsOf(store, first.id), before);
  },
);
