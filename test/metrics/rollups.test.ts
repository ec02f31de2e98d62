// Reports from rollups against the same reports from the runs (`exact: true`) on both engines: counts and
// rates equal, maxima equal, percentiles within the sketch's accuracy; and the rollups follow every way
// runs change (updates, reclassification, a deleted connection). Plus the sketch on random data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Classification, ClassifiedRun, RunFilter } from '../../src/domain/model.js';
import { report } from '../../src/metrics/report.js';
import { rollupsAnswer } from '../../src/metrics/rollup-report.js';
import {
  type Dimension,
  groupDimensions,
  type MetricGroup,
  type ReportRow,
} from '../../src/metrics/vocabulary.js';
import { writeBatch } from '../../src/store/batch.js';
import { saveClassifications } from '../../src/store/classifications.js';
import { removeConnection } from '../../src/store/connections.js';
import {
  ACCURACY,
  addValue,
  emptySketch,
  encodeSketch,
  mergeEncoded,
  sketchPercentile,
} from '../../src/store/sketch.js';
import type { Store } from '../../src/store/store.js';
import { storeTest } from '../store/engines.js';
import { run, STATUS_OF } from '../store/fixtures.js';
import { random, rollupWorld } from './rollup-world.js';

/** `unknown`: a run of a status buildlens does not know (never classified). */
const CLASSES: (Classification | null | 'unknown')[] = [
  'success',
  'success',
  'success',
  'failure',
  'infra_failure',
  'aborted_manual',
  'aborted_auto',
  'skipped',
  null,
  'unknown',
];
/** ~`n` runs over 3 projects × 3 workflows and 20 days from 2026-02-01, at any time of day. */
function runs(n: number, seed: number, prefix: string): ClassifiedRun[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  return Array.from({ length: n }, (_, i) => {
    const picked = pick(CLASSES);
    const classification = picked === 'unknown' ? null : picked;
    // Some builds wait on a block step: classified from what ran before it, counted as blocked besides.
    const blocked = (classification === 'success' || classification === 'failure') && i % 7 === 0;
    const at = new Date(Date.UTC(2026, 1, 1) + Math.floor(next() * 20 * 86_400_000));
    // Whole seconds repeat (ties), fractions do not; zeros happen (queues clamped to 0).
    const duration = next() < 0.3 ? Math.round(next() * 900) : next() * 3000;
    return run(`${prefix}${i}`, 0, {
      projectKey: pick(['app1', 'app2', 'app3']),
      workflow: pick(['primary', 'deploy', 'nightly']),
      triggeredAt: at.toISOString(),
      status:
        picked === 'unknown'
          ? 'unknown'
          : blocked
            ? 'blocked'
            : classification === null
              ? 'running'
              : STATUS_OF[classification],
      classification,
      classifiedBy: classification === null ? null : 'default:test',
      durationS: next() < 0.05 ? null : duration,
      queueS: next() < 0.1 ? null : next() < 0.2 ? 0 : next() * 600,
      setupS: next() < 0.5 ? null : next() * 60,
      cost: next() < 0.4 ? null : Math.round(next() * 10),
    });
  });
}

async function seed(store: Store) {
  const { bitrise, buildkite, projects } = await rollupWorld(store);
  const bitriseRuns = runs(900, 1, 'b');
  const buildkiteRuns = runs(600, 2, 'k');
  // Batches as a sync writes them; the checkpoint at the end builds the rollups.
  for (let i = 0; i < bitriseRuns.length; i += 200) {
    await writeBatch(store, bitrise.id, { projects, runs: bitriseRuns.slice(i, i + 200), jobs: [], raw: [] });
  }
  await writeBatch(store, bitrise.id, { runs: [], jobs: [], raw: [] }, { done: true });
  await writeBatch(store, buildkite.id, { projects, runs: buildkiteRuns, jobs: [], raw: [] }, { done: true });
  return { bitrise, buildkite, bitriseRuns };
}

const METRICS: MetricGroup[] = ['rates', 'queue', 'setup', 'credits'];
const EXACT_FIELDS = [
  'runs',
  'success',
  'failure',
  'aborted',
  'skipped',
  'running',
  'blocked',
  'success_rate',
  'aborted_manual',
  'aborted_auto',
  'infra_failure',
  'failure_rate',
  'abort_rate',
  'skip_rate',
  'duration_s_max',
  'queue_s_max',
  'setup_s_max',
];
const SKETCHED_FIELDS = ['duration', 'queue', 'setup'].flatMap((m) =>
  ['p50', 'p90', 'p95'].map((p) => `${m}_s_${p}`),
);

const QUERIES: { by: Dimension[]; filter: RunFilter }[] = [
  { by: [], filter: {} },
  { by: ['project'], filter: {} },
  { by: ['project', 'workflow', 'week'], filter: {} },
  { by: ['connection', 'day'], filter: { since: '2026-02-03T13:17:00.5Z', until: '2026-02-15T08:00:00Z' } },
  { by: ['provider', 'workflow'], filter: { project: ['App app2'], workflow: ['primary', 'deploy'] } },
  {
    by: ['workflow'],
    filter: { project: ['app1'], since: '2026-02-05T00:00:00Z', until: '2026-02-12T00:00:00Z' },
  },
  {
    by: ['project'],
    filter: { connection: ['bk'], since: '2026-02-07T06:00:00Z', until: '2026-02-07T18:00:00Z' },
  },
  { by: ['week'], filter: { since: '2026-02-10T10:00:00Z' } },
  { by: ['day'], filter: { until: '2026-02-04T10:00:00Z' } },
];

/** Asserts the rollups answer the query and agree with the exact report. */
async function agrees(store: Store, query: { by: Dimension[]; filter: RunFilter }) {
  const label = JSON.stringify(query);
  const metrics = new Set<MetricGroup>(['counts', 'duration', ...METRICS]);
  assert.ok(await rollupsAnswer(store, query.filter, groupDimensions(query.by), metrics), label);
  // Sketches from the first run on, as above EXACT_LIMIT: these data sets are smaller.
  const fast = await report(store, { ...query, metrics: METRICS, exactLimit: 0 });
  const exact = await report(store, { ...query, metrics: METRICS, exact: true });
  if (query.by.length === 0 && Object.keys(query.filter).length === 0)
    assert.ok((exact[0]?.blocked ?? 0) > 0, 'the seeded runs include blocked ones');
  assert.ok(
    fast.every((r) => r.percentiles === 'sketch') && exact.every((r) => r.percentiles === 'exact'),
    label,
  );
  assertAgree(fast, exact, label);
}

function assertAgree(fast: ReportRow[], exact: ReportRow[], label: string) {
  assert.equal(fast.length, exact.length, label);
  exact.forEach((want, i) => {
    const got = fast[i] as ReportRow;
    const row = `${label} row ${i}`;
    for (const d of Object.keys(want).filter(
      (k) => k !== 'percentiles' && (!(k in got) || typeof want[k as keyof ReportRow] !== 'number'),
    )) {
      assert.equal(got[d as keyof ReportRow], want[d as keyof ReportRow], `${row} ${d}`);
    }
    for (const f of EXACT_FIELDS)
      assert.equal(got[f as keyof ReportRow], want[f as keyof ReportRow], `${row} ${f}`);
    for (const f of ['credits', 'credits_per_run'] as const) {
      assert.ok(near(got[f] ?? null, want[f] ?? null, 1e-9), `${row} ${f}: ${got[f]} vs ${want[f]}`);
    }
    for (const f of SKETCHED_FIELDS) {
      const [g, w] = [
        got[f as keyof ReportRow] as number | null,
        want[f as keyof ReportRow] as number | null,
      ];
      assert.ok(near(g, w, ACCURACY), `${row} ${f}: ${g} vs exact ${w}`);
    }
  });
}

/** Equal, or both numbers within `relative` of the exact one (plus float noise). */
function near(actual: number | null, exact: number | null, relative: number): boolean {
  if (actual === null || exact === null) return actual === exact;
  return Math.abs(actual - exact) <= relative * Math.abs(exact) + 1e-9;
}

storeTest(
  'reports from rollups agree with the runs: counts exact, percentiles within 0.5%',
  async (store) => {
    await seed(store);
    for (const query of QUERIES) await agrees(store, query);
  },
);

storeTest('rollups follow updated runs, reclassification and a removed connection', async (store) => {
  const { bitrise, bitriseRuns } = await seed(store);
  // Runs that finish, and one that moves to another workflow and day: written without a checkpoint, the
  // rollups are behind, so reports read the runs until the checkpoint rebuilds them.
  const finished = bitriseRuns
    .filter((r) => r.classification === null)
    .map((r) => ({ ...r, status: 'failed' as const, classification: 'failure' as const }));
  const moved = {
    ...(bitriseRuns[0] as ClassifiedRun),
    workflow: 'deploy',
    triggeredAt: '2026-02-19T23:59:59Z',
  };
  await writeBatch(store, bitrise.id, { runs: [...finished, moved], jobs: [], raw: [] });
  const all = new Set<MetricGroup>(['counts']);
  assert.equal(await rollupsAnswer(store, {}, [], all), false, 'rollups are behind until the checkpoint');
  await writeBatch(store, bitrise.id, { runs: [], jobs: [], raw: [] }, { done: true });
  for (const query of QUERIES) await agrees(store, query);

  const reclassified = bitriseRuns
    .filter((r) => r.classification === 'success')
    .slice(0, 50)
    .map((r) => ({ connectionId: bitrise.id, run: { ...r, classification: 'skipped' as const } }));
  await saveClassifications(store, reclassified, []);
  for (const query of QUERIES) await agrees(store, query);

  await removeConnection(store, 'bk');
  for (const query of QUERIES.filter((q) => !q.filter.connection)) await agrees(store, query);
});

storeTest('reports the rollups cannot answer read the runs', async (store) => {
  await seed(store);
  const base = new Set<MetricGroup>(['counts', 'duration']);
  assert.ok(await rollupsAnswer(store, { project: ['app1'] }, ['week'], base));
  assert.equal(await rollupsAnswer(store, { branch: ['main'] }, [], base), false, 'branch filter');
  assert.equal(await rollupsAnswer(store, {}, ['branch'], base), false, 'branch dimension');
  assert.equal(await rollupsAnswer(store, {}, [], new Set([...base, 'flaky'])), false, 'flaky runs');
  assert.equal(await rollupsAnswer(store, {}, [], new Set([...base, 'recovery'])), false, 'recovery');
});

test('sketch percentiles stay within ACCURACY of the exact ones, merged from parts', () => {
  const reference = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    const h = p * (sorted.length - 1);
    const lo = Math.floor(h);
    const hi = Math.ceil(h);
    return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
  };
  const values = fc.array(
    fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 7200 }),
      fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
    ),
    { minLength: 1, maxLength: 300 },
  );
  fc.assert(
    fc.property(values, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (xs, cut, p) => {
      const parts = [xs.slice(0, cut % xs.length), xs.slice(cut % xs.length)];
      const merged = emptySketch();
      for (const part of parts) {
        const sketch = emptySketch();
        for (const x of part) addValue(sketch, x);
        mergeEncoded(merged, encodeSketch(sketch));
      }
      const exact = reference(xs, p);
      const got = sketchPercentile(merged, p, Math.max(...xs));
      return got !== null && Math.abs(got - exact) <= ACCURACY * exact + 1e-12;
    }),
    { numRuns: 500 },
  );
  assert.equal(sketchPercentile(emptySketch(), 0.5, null), null);
});
