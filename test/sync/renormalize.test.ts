// `buildlens renormalize` on both engines: a run stored by an older version (status unknown, no class, no
// agent queue) is repaired from its kept raw payload alone, reports and rollups follow, and a second run
// changes nothing. The payload is Buildkite's documentation example, used as it is.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_RULES } from '../../src/classify/classify.js';
import { normalizeBuild } from '../../src/connectors/buildkite/normalize.js';
import { build as wireBuild } from '../../src/connectors/buildkite/wire.js';
import { report } from '../../src/metrics/report.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { listRuns } from '../../src/store/runs.js';
import { renormalize } from '../../src/sync/renormalize.js';
import { storeTest } from '../store/engines.js';

const PAYLOAD_FILE = '/work/shared/reference/real-payloads/buildkite-docs-2026-08/get_build.json';
const payload = JSON.parse(readFileSync(new URL(`file://${PAYLOAD_FILE}`), 'utf8'));
const rules = { rules: [...DEFAULT_RULES], file: null };

storeTest('renormalize repairs stored runs from their raw payloads, idempotently', async (store) => {
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
