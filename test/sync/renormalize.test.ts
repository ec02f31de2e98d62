// `buildlens renormalize` on both engines: a run stored by an older version (status unknown, no class, no
// agent queue) is repaired from its kept raw payload alone, reports and rollups follow, and a second run
// changes nothing. The payload is Buildkite's documentation example, used as it is. Steps are derived
// again too: a Buildkite build's from its payload, a Bitrise build's from its kept log summary (real),
// and the level rollups follow them.
import assert from 'node:assert/strict';
import { DEFAULT_RULES } from '../../src/classify/classify.js';
import { normalizeBuild as normalizeBitriseBuild } from '../../src/connectors/bitrise/normalize.js';
import { normalizeBuildSteps } from '../../src/connectors/bitrise/steps.js';
import { build as bitriseBuild } from '../../src/connectors/bitrise/wire.js';
import { normalizeBuild } from '../../src/connectors/buildkite/normalize.js';
import { stepsOfBuild } from '../../src/connectors/buildkite/steps.js';
import { build as wireBuild } from '../../src/connectors/buildkite/wire.js';
import { STEP_LIST_KIND } from '../../src/connectors/contract.js';
import type { Step } from '../../src/domain/model.js';
import { report } from '../../src/metrics/report.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { withSyncLock } from '../../src/store/lock.js';
import { listRuns } from '../../src/store/runs.js';
import type { Store } from '../../src/store/store.js';
import { renormalize } from '../../src/sync/renormalize.js';
import { realPayload as bitrisePayload, REAL_BUILDKITE } from '../connectors/real-payloads.js';
import { levelRollupsAsRebuilt, levelsAgree } from '../metrics/level-agree.js';
import { storeTest } from '../store/engines.js';

const payload = bitrisePayload('get_build.json', REAL_BUILDKITE) as {
  id: string;
  pipeline: { id: string; name: string };
};
const rules = { rules: [...DEFAULT_RULES], file: null };

/** A connection with the example build stored as an older version did: status unknown, no queue. */
async function storedByAnOlderVersion(store: Store) {
  const { id } = await addConnection(store, {
    name: 'bk',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9/v2',
    org: 'acme',
    token: 'x'.repeat(20),
  });
  const project = { key: payload.pipeline.id, name: payload.pipeline.name };
  const today = normalizeBuild(project, wireBuild.parse(payload)).run;
  // As an older version stored it: the state unknown to it, so no class, and no agent queue yet.
  const old = {
    ...today,
    status: 'unknown' as const,
    agentQueue: null,
    classification: null,
    classifiedBy: null,
  };
  await writeBatch(
    store,
    id,
    {
      projects: [{ key: project.key, name: project.name, owner: 'acme', repoUrl: null, webUrl: null }],
      runs: [old],
      jobs: [],
      raw: [{ kind: 'bk_build', key: today.key, payload }],
    },
    { done: true },
  );
  return { id, today };
}

storeTest('renormalize repairs stored runs from their raw payloads, idempotently', async (store) => {
  const { today } = await storedByAnOlderVersion(store);
  const total = async () => (await report(store, { filter: {}, by: [] }))[0];
  assert.deepEqual([(await total())?.unknown, (await total())?.success], [1, 0]);

  const dry = await renormalize(store, rules, { dryRun: true });
  assert.deepEqual([dry.checked, dry.runs_changed], [1, 1]);
  assert.equal(
    (await listRuns(store, {}, { limit: 5 })).runs[0]?.status,
    'unknown',
    'a dry run writes nothing',
  );

  const first = await renormalize(store, rules, { dryRun: false });
  assert.deepEqual([first.checked, first.runs_changed, first.now_refused], [1, 1, 0]);
  assert.deepEqual(first.status_changes, [{ from: 'unknown', to: 'succeeded', count: 1 }]);
  assert.ok(first.jobs_new_or_changed >= 1);
  const [run] = (await listRuns(store, {}, { limit: 5 })).runs;
  assert.deepEqual(
    [run?.status, run?.classification, run?.agentQueue],
    ['succeeded', 'success', today.agentQueue],
  );
  // From the runs and from the rebuilt rollups alike.
  for (const exact of [true, false]) {
    const [row] = await report(store, { filter: {}, by: [], exact });
    assert.deepEqual([row?.runs, row?.success, row?.unknown], [1, 1, 0], `exact: ${exact}`);
  }

  const second = await renormalize(store, rules, { dryRun: false });
  assert.deepEqual([second.checked, second.runs_changed, second.jobs_new_or_changed], [1, 0, 0]);
});

storeTest(
  'renormalize writes holding the sync lock: refused while the connection syncs, a dry run is not',
  async (store) => {
    const { id } = await storedByAnOlderVersion(store);
    await withSyncLock(store, { connectionId: id, name: 'bk' }, async () => {
      await assert.rejects(renormalize(store, rules, { dryRun: false }), /another sync of "bk" is running/);
      assert.equal((await renormalize(store, rules, { dryRun: true })).runs_changed, 1);
    });
    assert.equal((await listRuns(store, {}, { limit: 5 })).runs[0]?.status, 'unknown', 'nothing written');
    assert.equal((await renormalize(store, rules, { dryRun: false })).runs_changed, 1);
  },
);

storeTest(
  'renormalize derives steps again: a Buildkite build’s command jobs, a Bitrise build’s kept log summary',
  async (store) => {
    const bk = await addConnection(store, {
      name: 'bk',
      provider: 'buildkite',
      baseUrl: 'http://127.0.0.1:9/v2',
      org: 'acme',
      token: 'x'.repeat(20),
    });
    const project = { key: payload.pipeline.id, name: payload.pipeline.name };
    const read = normalizeBuild(project, wireBuild.parse(payload));
    const expected = stepsOfBuild(wireBuild.parse(payload));
    assert.ok(expected.length > 0, 'the documentation build has command jobs');
    // As a version before steps stored it: the build and its jobs, no steps.
    await writeBatch(
      store,
      bk.id,
      {
        projects: [{ key: project.key, name: project.name, owner: 'acme', repoUrl: null, webUrl: null }],
        runs: [{ ...read.run, classification: 'success', classifiedBy: 'default:succeeded' }],
        jobs: read.jobs,
        raw: [{ kind: 'bk_build', key: read.run.key, payload }],
      },
      {},
    );

    const bitrise = await addConnection(store, {
      name: 'br',
      provider: 'bitrise',
      baseUrl: 'http://127.0.0.1:9/v0.1',
      org: null,
      token: 'y'.repeat(20),
    });
    const build = bitriseBuild.parse((bitrisePayload('get_build.json') as { data: unknown }).data);
    const summary = bitrisePayload('get_build_steps.json');
    const run = normalizeBitriseBuild('app1', build);
    const source = { key: run.key, projectKey: 'app1', runKey: run.key, jobKey: null };
    const summarySteps = normalizeBuildSteps(source, summary);
    assert.ok(summarySteps.length > 0, 'the real log summary has steps');
    // Its summary kept, and one of its steps stored as an older reader got it wrong.
    const wrong = { ...(summarySteps[0] as Step), status: 'unknown' as const };
    await writeBatch(
      store,
      bitrise.id,
      {
        projects: [{ key: 'app1', name: 'App', owner: null, repoUrl: null, webUrl: null }],
        runs: [{ ...run, classification: 'success', classifiedBy: 'default:succeeded' }],
        jobs: [],
        steps: [wrong],
        raw: [
          { kind: 'build', key: run.key, payload: build },
          { kind: STEP_LIST_KIND, key: run.key, payload: summary },
        ],
      },
      {},
    );

    const stored = async (id: number) =>
      (
        await store.db
          .selectFrom('steps')
          .selectAll()
          .where('connection_id', '=', id)
          .orderBy('key')
          .execute()
      ).map((row) => [row.key, row.run_key, row.job_key, row.name, row.status, row.duration_s]);
    const asRows = (steps: Step[]) =>
      [...steps]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((s) => [s.key, s.runKey, s.jobKey, s.name, s.status, s.durationS]);
    assert.deepEqual(await stored(bk.id), []);

    const dry = await renormalize(store, rules, { dryRun: true });
    assert.equal(dry.steps_new_or_changed, 0, 'a dry run writes no step');
    assert.deepEqual(await stored(bk.id), []);

    const first = await renormalize(store, rules, { dryRun: false });
    assert.equal(
      first.steps_new_or_changed,
      expected.length + summarySteps.length,
      'every Buildkite step, the repaired Bitrise one and the rest of its summary',
    );
    assert.deepEqual(await stored(bk.id), asRows(expected));
    assert.deepEqual(await stored(bitrise.id), asRows(summarySteps));

    // The runs did not change, their steps did: the level rollups follow them (built at the checkpoints
    // above with the wrong step and none of Buildkite's).
    for (const level of ['job', 'step'] as const) await levelsAgree(store, {}, level);
    await levelRollupsAsRebuilt(store);

    const second = await renormalize(store, rules, { dryRun: false });
    assert.equal(second.steps_new_or_changed, 0, 'a second run writes nothing');
  },
);
