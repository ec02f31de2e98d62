// The dialect helpers give the same answers on both engines: each is checked against values worked
// out by hand (ISO week rules, linear interpolation) on every engine.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { day, isoWeek, percentileCont } from '../../src/store/dialect.js';
import type { Store } from '../../src/store/store.js';
import { dayLabel, isoToMicros, isoWeekLabel } from '../../src/store/time.js';
import { storeTest } from './engines.js';

async function scalar(store: Store, expression: ReturnType<typeof sql>): Promise<unknown> {
  const { rows } = await sql<{ v: unknown }>`select ${expression} as v`.execute(store.db);
  return rows[0]?.v;
}

const us = (iso: string) => sql`${sql.lit(isoToMicros(iso))}`;

storeTest('isoWeek and day in UTC, including year ends and the last microsecond of a day', async (store) => {
  const cases: [string, string, string][] = [
    ['2026-02-16T00:00:00Z', '2026-W08', '2026-02-16'],
    ['2026-02-15T23:59:59.999999Z', '2026-W07', '2026-02-15'],
    ['2021-01-03T12:00:00Z', '2020-W53', '2021-01-03'],
    ['2024-12-30T00:00:00.5Z', '2025-W01', '2024-12-30'],
    ['2027-01-01T06:00:00+07:00', '2026-W53', '2026-12-31'],
  ];
  for (const [iso, week, date] of cases) {
    assert.equal(await scalar(store, isoWeek(store.dialect, us(iso))), week, iso);
    assert.equal(await scalar(store, day(store.dialect, us(iso))), date, iso);
    assert.equal(isoWeekLabel(isoToMicros(iso)), week, iso);
    assert.equal(dayLabel(isoToMicros(iso)), date, iso);
  }
});

storeTest(
  'the rollups label days and weeks in JavaScript exactly as SQL does, 2020 to 2027',
  async (store) => {
    // The last microsecond of every day, 2020-01-01 to 2027-12-31.
    const first = Date.UTC(2020, 0, 1) * 1000 + 86_399_999_999;
    const last = Date.UTC(2027, 11, 31) * 1000 + 86_399_999_999;
    const { rows } = await sql<{ at: number; week: string; day: string }>`
    with recursive t(at) as (
      select ${sql.lit(first)} union all select at + 86400000000 from t where at < ${sql.lit(last)}
    )
    select t.at, ${isoWeek(store.dialect, sql.ref('t.at'))} as week, ${day(store.dialect, sql.ref('t.at'))} as day
    from t`.execute(store.db);
    assert.equal(rows.length, 2922);
    for (const row of rows) {
      assert.equal(isoWeekLabel(Number(row.at)), row.week, String(row.at));
      assert.equal(dayLabel(Number(row.at)), row.day, String(row.at));
    }
  },
);

/** Linear interpolation between closest ranks (numpy's default), the reference for percentile_cont. */
function reference(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (rank - low);
}

storeTest('percentileCont interpolates linearly, ignores NULLs and so filters with case', async (store) => {
  const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3.5];
  const rows = sql.join(values.map((v, i) => sql`(${sql.lit(v)}, ${sql.lit(i % 2)})`));
  // A CTE names the columns of a values list on both engines.
  const percentile = async (expression: ReturnType<typeof sql>, p: number) => {
    const result = await sql<{ v: number | null }>`with t(x, odd) as (values ${rows})
      select ${percentileCont(store.dialect, expression, p)} as v from t`.execute(store.db);
    return result.rows[0]?.v;
  };
  const evens = values.filter((_, i) => i % 2 === 0);
  for (const p of [0, 0.25, 0.5, 0.9, 0.95, 1]) {
    assert.ok(Math.abs(Number(await percentile(sql`x`, p)) - reference(values, p)) < 1e-9, `p${p}`);
    const filtered = await percentile(sql`case when odd = 0 then x end`, p);
    assert.ok(Math.abs(Number(filtered) - reference(evens, p)) < 1e-9, `filtered p${p}`);
  }
  assert.equal(await percentile(sql`case when odd = 7 then x end`, 0.5), null);
  assert.throws(() => percentileCont(store.dialect, sql`x`, 1.5), RangeError);
});
