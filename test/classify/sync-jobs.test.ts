// A sync classifies jobs with the user rules too, matching them on their run (project name, branch) as it
// arrives in the same batch; a job rule leaves its run alone.
import assert from 'node:assert/strict';
import { DEFAULT_RULES } from '../../src/classify/classify.js';
import { parseRules } from '../../src/classify/rules.js';
import type { Connector, SyncEvent } from '../../src/connectors/contract.js';
import type { Run } from '../../src/domain/model.js';
import { addConnection } from '../../src/store/connections.js';
import { syncConnection } from '../../src/sync/sync.js';
import { storeTest } from '../store/engines.js';
import { job, project, run } from '../store/fixtures.js';

const RULES = `
rules:
  - name: ios-ui-tests
    classification: infra_failure
    match: { project: iOS App, job: ui-tests, status: failed }
  - name: main-timeouts
    classification: aborted_auto
    match: { branch: main, provider_status: timed_out }
`;

function wireRun(key: string, minute: number, overrides: Partial<Run>): Run {
  const { classification: _c, classifiedBy: _b, ...plain } = run(key, minute, overrides);
  return plain;
}

storeTest('sync: user rules classify jobs on their run; job rules leave runs alone', async (store) => {
  await addConnection(store, {
    name: 'ci',
    provider: 'bitrise',
    baseUrl: 'http://127.0.0.1:1',
    org: null,
    token: 't',
  });
  const failed = { status: 'failed', providerStatus: 'failed' } as const;
  const events: SyncEvent[] = [
    { type: 'projects', projects: [project('app1', { name: 'iOS App' }), project('app2')], raw: [] },
    {
      type: 'batch',
      runs: [
        wireRun('r1', 0, { status: 'failed', providerStatus: '2' }),
        wireRun('r2', 1, { projectKey: 'app2', status: 'failed', providerStatus: '2', branch: 'dev' }),
      ],
      jobs: [
        job('j1', 'r1', { name: 'ui-tests', ...failed }),
        job('j2', 'r1', { name: 'lint', ...failed, providerStatus: 'timed_out' }),
        // Same name and status as j1, but another project: the default holds.
        job('j3', 'r2', { name: 'ui-tests', ...failed }),
      ],
      raw: [],
    },
  ];
  const connector: Connector = {
    provider: 'bitrise',
    check: async () => ({ code: 'ok', message: 'ok', curl: null }),
    sync: async function* () {
      yield* events;
    },
    requests: () => 0,
  };
  await syncConnection(store, 'ci', {
    createConnector: () => connector,
    rules: { file: 'rules.yaml', rules: [...parseRules(RULES, 'rules.yaml'), ...DEFAULT_RULES] },
  });
  const rows = await store.db
    .selectFrom('jobs')
    .select(['key', 'classification', 'classified_by'])
    .orderBy('key')
    .execute();
  assert.deepEqual(
    rows.map((r) => `${r.key} ${r.classification} ${r.classified_by}`),
    ['j1 infra_failure ios-ui-tests', 'j2 aborted_auto main-timeouts', 'j3 failure default:failed'],
  );
  const runs = await store.db.selectFrom('runs').select(['key', 'classified_by']).orderBy('key').execute();
  assert.deepEqual(
    runs.map((r) => `${r.key} ${r.classified_by}`),
    ['r1 default:failed', 'r2 default:failed'],
  );
});
