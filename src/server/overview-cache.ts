// The per project overview is the costliest part of a scrape (a dozen reports over the runs and jobs). It is
// made again only when the stored data changes (its data version moves) or the one kept is REFRESH_MS old,
// so several scrapers, or frequent scrapes, cost one computation; its windows then end at most that long
// before the scrape, which a 24-hour or longer window hardly notices.
import { type ProjectOverview, projectOverview } from '../metrics/project-overview.js';
import { dataVersion } from '../store/data-version.js';
import type { Store } from '../store/store.js';

export const OVERVIEW_REFRESH_MS = 5 * 60_000;

export type OverviewSource = (nowMs: number) => Promise<ProjectOverview>;

export function cachedOverview(store: Store, limit: number): OverviewSource {
  let kept: { version: number; madeAt: number; overview: Promise<ProjectOverview> } | null = null;
  return async (nowMs) => {
    const version = await dataVersion(store);
    const fresh =
      kept !== null &&
      kept.version === version &&
      nowMs >= kept.madeAt &&
      nowMs - kept.madeAt < OVERVIEW_REFRESH_MS;
    if (!fresh) {
      const made = { version, madeAt: nowMs, overview: projectOverview(store, { now: nowMs, limit }) };
      kept = made;
      // A failed computation is not kept: the next scrape tries again.
      made.overview.catch(() => {
        if (kept === made) kept = null;
      });
    }
    return (kept as NonNullable<typeof kept>).overview;
  };
}
