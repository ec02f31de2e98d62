// From API query parameters to the store's RunFilter. The provider filter is the only one the store does
// not know: it becomes the list of that provider's connections. Parameters are snake_case (agent_queue).
import type { RunFilter } from '../domain/model.js';
import { periodInOrder, reportPeriod } from '../domain/period.js';
import { listConnections } from '../store/connections.js';
import type { Store } from '../store/store.js';
import { BadRequest } from './errors.js';
import type { FilterQuery } from './schema.js';

// Connection names never contain spaces or parentheses, so this matches no connection at all.
const NO_CONNECTION = '(no connection of the chosen providers)';

export async function resolveFilter(store: Store, query: FilterQuery): Promise<RunFilter> {
  if (!periodInOrder(query.since, query.until)) throw new BadRequest('since must be earlier than until');
  const { provider, agent_queue: agentQueue, default_branch: defaultBranch, ...rest } = query;
  const filter: RunFilter = Object.fromEntries(
    Object.entries({ ...rest, agentQueue, defaultBranch }).filter(([, value]) => value !== undefined),
  ) as RunFilter;
  if (!provider?.length) return filter;
  const ofProvider = (await listConnections(store))
    .filter((c) => provider.includes(c.provider))
    .map((c) => c.name);
  const allowed = filter.connection ? filter.connection.filter((n) => ofProvider.includes(n)) : ofProvider;
  return { ...filter, connection: allowed.length > 0 ? allowed : [NO_CONNECTION] };
}

/** A report's filter with its period: as given, every run with `all`, else the last 30 days. */
export async function resolveReportFilter(
  store: Store,
  query: FilterQuery,
  all: boolean | undefined,
): Promise<RunFilter> {
  if (all && (query.since !== undefined || query.until !== undefined))
    throw new BadRequest('all and since/until contradict each other');
  return reportPeriod(await resolveFilter(store, query), { all: all === true, nowMs: Date.now() });
}
