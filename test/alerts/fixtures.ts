// A store with one connection whose project builds on main (its default branch) and feature branches, runs
// placed in hours before a fixed clock, and alerts text parsed as a file would be.

import { parseAlerts } from '../../src/alerts/rules.js';
import type { Classification, ClassifiedRun } from '../../src/domain/model.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { recordCoverage } from '../../src/store/coverage.js';
import type { Store } from '../../src/store/store.js';
import { project, run, STATUS_OF } from '../store/fixtures.js';

/** The clock of every alert test: a Monday noon. */
export const NOW = Date.parse('2026-03-02T12:00:00.000Z');
export const now = () => NOW;

export async function connectCi(store: Store, coveredFrom = '2026-01-01T00:00:00.000Z') {
  const connection = await addConnection(store, {
    name: 'ci',
    provider: 'buildkite',
    baseUrl: 'http://127.0.0.1:9',
    org: 'acme',
    token: 'token-of-ci-0123456789abcdef',
  });
  await recordCoverage(store, connection.id, coveredFrom, new Date(NOW));
  return connection;
}

let serial = 0;

/** `count` runs of `classification` on `branch`, `hoursAgo` hours before NOW, lasting `durationS`. */
export function runs(
  count: number,
  classification: Classification,
  hoursAgo: number,
  overrides: Partial<ClassifiedRun> = {},
  base = NOW,
): ClassifiedRun[] {
  return Array.from({ length: count }, () => {
    serial += 1;
    const at = new Date(base - hoursAgo * 3_600_000 + serial * 1000).toISOString();
    return run(`run-${serial}`, 0, {
      projectKey: 'ios',
      number: serial,
      status: STATUS_OF[classification],
      classification,
      triggeredAt: at,
      startedAt: at,
      finishedAt: at,
      ...overrides,
    });
  });
}

export async function store(s: Store, connectionId: number, list: ClassifiedRun[]): Promise<void> {
  await writeBatch(s, connectionId, {
    projects: [project('ios', { name: 'ios-app', defaultBranch: 'main' })],
    runs: list,
    jobs: [],
    raw: [],
  });
}

export const alerts = (text: string, env: NodeJS.ProcessEnv = {}) => parseAlerts(text, 'alerts.yaml', env);
