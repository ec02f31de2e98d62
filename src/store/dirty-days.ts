// A stretch of the grains listed for a rebuild (table rollup_dirty), so a rebuild can take them in parts.
import { sql } from 'kysely';

/** Listed days from `first` to `last` (day starts, inclusive); all of a connection's when absent. */
export interface DirtyDays {
  first: number;
  last: number;
}

/** The condition that limits the listed grains, aliased `d`, to `days`. */
export const inDays = (days?: DirtyDays) =>
  days ? sql` and d.day_us >= ${days.first} and d.day_us <= ${days.last}` : sql``;
