// The runs a filter selects, as every report query starts from them.
import { sql } from 'kysely';
import type { RunFilter } from '../domain/model.js';
import { runFilterConditions } from '../store/runs.js';

/** The runs the filter selects, with the connection and project columns the dimensions show. */
export function selectedRuns(filter: RunFilter) {
  const conditions = runFilterConditions(filter);
  return sql`select r.*, c.name as connection_name, c.provider as provider_name, p.name as project_name
    from runs r
    join connections c on c.id = r.connection_id
    left join projects p on p.connection_id = r.connection_id and p.key = r.project_key
    ${conditions.length === 0 ? sql`` : sql`where ${sql.join(conditions, sql` and `)}`}`;
}
