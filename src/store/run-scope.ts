// Which runs a job or step listing reads: one run by key (in any connection the filter allows), or every
// run the usual filters select. Shared by job and step records, so both read runs the same way.
import type { RunStatus } from '../domain/model.js';
import { NotFoundError } from './errors.js';
import { type RunQuery, runFilterConditions } from './runs.js';
import type { Store } from './store.js';

export interface LevelQuery extends RunQuery {
  /** Only jobs / steps with these statuses (the run vocabulary). */
  levelStatus?: RunStatus[];
}

/** A run named by key must exist: a typo is not an empty answer. */
export async function checkRunExists(store: Store, query: LevelQuery): Promise<void> {
  if (query.run === undefined) return;
  const found = await store.db
    .selectFrom('runs as r')
    .innerJoin('connections as c', 'c.id', 'r.connection_id')
    .leftJoin('projects as p', (join) =>
      join.onRef('p.connection_id', '=', 'r.connection_id').onRef('p.key', '=', 'r.project_key'),
    )
    .select('r.key')
    .where((eb) => eb.and(runFilterConditions(query)))
    .limit(1)
    .executeTakeFirst();
  if (!found) throw new NotFoundError(`no run "${query.run}" matches`);
}
