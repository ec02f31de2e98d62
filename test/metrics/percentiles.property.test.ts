// Property: the percentiles the database computes equal a reference implementation (numpy's default
// linear interpolation between closest ranks) on random data, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ClassifiedRun } from '../../src/domain/model.js';
import { report } from '../../src/metrics/report.js';
import { writeBatch } from '../../src/store/batch.js';
import { addConnection } from '../../src/store/connections.js';
import { freshStore } from '../store/engines.js';
import { run } from '../store/fixtures.js';

/** Continuous percentile of unsorted values: rank p*(n-1), linear between its neighbours. */
function reference(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (rank - low) * (b - a);
}

const close = (actual: number | null, expected: number | null) =>
  actual === expected ||
  (actual !== null &&
    expected !== null &&
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)));

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`database percentiles equal the reference on random data [${dialect}]`, async (t) => {
    const store = await freshStore(t, dialect);
    if (!store) return;
    const connection = await addConnection(store, {
      name: 'c',
      provider: 'bitrise',
      baseUrl: 'http://127.0.0.1:9',
      org: null,
      token: 'x',
    });
    const sample = fc.record({
      durations: fc.array(fc.double({ min: 0, max: 100_000, noNaN: true }), { maxLength: 40 }),
      queues: fc.array(fc.option(fc.integer({ min: 0, max: 5000 }), { nil: null }), { maxLength: 40 }),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(sample, async ({ durations, queues }) => {
        round += 1;
        await store.db.deleteFrom('runs').execute();
        const runs: ClassifiedRun[] = [
          ...durations.map((d, i) => run(`d${round}-${i}`, i % 60, { durationS: d, queueS: null })),
          ...queues.map((q, i) =>
            run(`q${round}-${i}`, i % 60, {
              status: 'failed',
              classification: 'failure',
              durationS: 1e9,
              queueS: q,
            }),
          ),
        ];
        await writeBatch(store, connection.id, { runs, jobs: [], raw: [] });
        const [row] = await report(store, { filter: {}, by: [], metrics: ['queue'] });
        const started = queues.filter((q): q is number => q !== null);
        for (const [field, p, values] of [
          ['duration_s_p50', 0.5, durations],
          ['duration_s_p90', 0.9, durations],
          ['duration_s_p95', 0.95, durations],
          ['duration_s_max', 1, durations],
          ['queue_s_p50', 0.5, started],
          ['queue_s_p90', 0.9, started],
          ['queue_s_p95', 0.95, started],
          ['queue_s_max', 1, started],
        ] as const) {
          const actual = (row as unknown as Record<string, number | null>)[field] ?? null;
          assert.ok(
            close(actual, reference([...values], p)),
            `${field}: ${actual} vs ${reference([...values], p)}`,
          );
        }
      }),
      { numRuns: 30, seed: 20260301 },
    );
  });
}
