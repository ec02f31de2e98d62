// Every finished run of a selection as a point (trigger time, duration, outcome) for the runs scatter, so it
// covers the whole range rather than the page of runs loaded. Above `limit` runs, every k-th run in trigger
// order is kept (the same ones on every call), and the answer says so.
import { sql } from 'kysely';
import type { RunQuery } from '../store/runs.js';
import { selectedRuns } from './selection.js';
import type { ReportSource } from './vocabulary.js';

/** `[trigger time (epoch ms), duration in seconds, classification]`: compact, a range can hold 100,000. */
export type RunPoint = [number, number, string];

export interface RunPoints {
  /** Finished runs with a duration that the filter selects. */
  total: number;
  /** Every how many runs one is shown (1: all of them). */
  every: number;
  points: RunPoint[];
}

export async function runPoints(source: ReportSource, filter: RunQuery, limit: number): Promise<RunPoints> {
  const finished = sql`s.duration_s is not null and s.classification is not null`;
  const { rows: counted } = await sql<{ n: number | string }>`
    select count(*) as n from (${selectedRuns(filter)}) s where ${finished}`.execute(source.db);
  const total = Number(counted[0]?.n ?? 0);
  const every = Math.max(1, Math.ceil(total / limit));
  const { rows } = await sql<{ triggered_us: number | string; duration_s: number; classification: string }>`
    select triggered_us, duration_s, classification from (
      select s.triggered_us, s.duration_s, s.classification,
        row_number() over (order by s.triggered_us, s.key, s.connection_id) as nth
      from (${selectedRuns(filter)}) s where ${finished}
    ) numbered
    where (nth - 1) % ${every} = 0
    order by triggered_us`.execute(source.db);
  return {
    total,
    every,
    points: rows.map((r) => [
      Math.round(Number(r.triggered_us) / 1000),
      Number(r.duration_s),
      r.classification,
    ]),
  };
}
