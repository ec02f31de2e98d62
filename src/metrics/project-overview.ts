// Per project figures over fixed recent windows, on the default branch and on every branch: what a scraper
// (Prometheus /metrics, and Grafana over it) keeps as time series. The most-built projects each get their own
// figures and the rest are taken together as one "other" group, so the number of series stays bounded
// however many projects the store holds (docs/grafana.md).
import type { ProjectLabel, RunFilter } from '../domain/model.js';
import { report } from './report.js';
import type { MetricGroup, ReportMetrics, ReportRow, ReportSource } from './vocabulary.js';

export const OVERVIEW_WINDOWS = [
  { window: '24h', days: 1 },
  { window: '7d', days: 7 },
  { window: '30d', days: 30 },
] as const;
export type OverviewWindow = (typeof OVERVIEW_WINDOWS)[number]['window'];

/** `default`: runs on their project's default branch (DESIGN.md "Default branch"); `all`: every branch. */
export const BRANCH_SCOPES = ['default', 'all'] as const;
export type BranchScope = (typeof BRANCH_SCOPES)[number];

/** The projects beyond the limit, taken together. */
export const OTHER_PROJECTS = 'other';
export const DEFAULT_PROJECT_LIMIT = 20;
/** About 100 series per project: beyond this a scrape is no longer an overview. */
export const MAX_PROJECT_LIMIT = 1000;
const OVERVIEW_METRICS: readonly MetricGroup[] = ['flaky', 'credits'];
const DAY_MS = 86_400_000;

export interface OverviewRow {
  /** The project's connection; null for the "other" group. */
  connection: string | null;
  /** The project as reports label it, or OTHER_PROJECTS. */
  project: string;
  branch: BranchScope;
  window: OverviewWindow;
  metrics: ReportMetrics;
}

export interface ProjectOverview {
  limit: number;
  /** Projects with figures of their own: the `limit` with the most runs in the longest window, every branch. */
  named: ProjectLabel[];
  /** How many projects the "other" group takes together. */
  others: number;
  rows: OverviewRow[];
}

export interface OverviewQuery {
  /** The windows end here (Unix ms). */
  now: number;
  /** At most this many projects by name; 0 puts every project in "other". */
  limit: number;
}

const labelKey = (label: ProjectLabel) => JSON.stringify([label.connection, label.project]);
const labelOf = (row: ReportRow): ProjectLabel => ({
  connection: row.connection ?? '',
  project: row.project ?? '',
});

/** Projects by runs, most first; ties by connection, then name. Rows sharing a label count as one project. */
export function rankProjects(rows: readonly ReportRow[]): ProjectLabel[] {
  const runs = new Map<string, { label: ProjectLabel; runs: number }>();
  for (const row of rows) {
    const label = labelOf(row);
    const entry = runs.get(labelKey(label)) ?? { label, runs: 0 };
    entry.runs += row.runs;
    runs.set(labelKey(label), entry);
  }
  return [...runs.values()]
    .sort(
      (a, b) =>
        b.runs - a.runs ||
        a.label.connection.localeCompare(b.label.connection) ||
        a.label.project.localeCompare(b.label.project),
    )
    .map((entry) => entry.label);
}

export async function projectOverview(source: ReportSource, query: OverviewQuery): Promise<ProjectOverview> {
  const filterOf = (branch: BranchScope, days: number): RunFilter => ({
    since: new Date(query.now - days * DAY_MS).toISOString(),
    ...(branch === 'default' ? { defaultBranch: true } : {}),
  });
  const scopes = BRANCH_SCOPES.flatMap((branch) => OVERVIEW_WINDOWS.map((w) => ({ branch, ...w })));
  const byProject = await Promise.all(
    scopes.map((scope) =>
      report(source, {
        filter: filterOf(scope.branch, scope.days),
        by: ['project'],
        metrics: OVERVIEW_METRICS,
      }),
    ),
  );
  // The longest window on every branch holds every project any other scope has.
  const widest = scopes.findIndex((s) => s.branch === 'all' && s.window === '30d');
  const ranked = rankProjects(byProject[widest] ?? []);
  const named = ranked.slice(0, query.limit);
  const namedKeys = new Set(named.map(labelKey));
  const others = ranked.length - named.length;

  const rows = await Promise.all(
    scopes.map(async (scope, i) => {
      const filter = filterOf(scope.branch, scope.days);
      const total = async (narrowed: RunFilter) => {
        const [row] = await report(source, { filter: narrowed, by: [], metrics: OVERVIEW_METRICS });
        if (row === undefined) throw new Error('a report over no grouping returned no row');
        return row;
      };
      const sharing = new Map<string, ReportRow[]>();
      for (const row of byProject[i] ?? []) {
        const key = labelKey(labelOf(row));
        if (namedKeys.has(key)) sharing.set(key, [...(sharing.get(key) ?? []), row]);
      }
      const own = await Promise.all(
        named.flatMap((label) => {
          const found = sharing.get(labelKey(label)) ?? [];
          if (found.length === 0) return [];
          // Two projects of one name in a connection are one series: their percentiles need their runs.
          const metrics =
            found.length === 1
              ? Promise.resolve(found[0] as ReportRow)
              : total({ ...filter, connection: [label.connection], project: [label.project] });
          return [metrics.then((m) => ({ ...label, metrics: m }))];
        }),
      );
      const other =
        others > 0
          ? [
              {
                connection: null,
                project: OTHER_PROJECTS,
                metrics: await total({ ...filter, exceptProjects: named }),
              },
            ]
          : [];
      return [...own, ...other].map(
        (r): OverviewRow => ({
          connection: r.connection,
          project: r.project,
          branch: scope.branch,
          window: scope.window,
          metrics: withoutLabels(r.metrics),
        }),
      );
    }),
  );
  return { limit: query.limit, named, others, rows: rows.flat() };
}

function withoutLabels(row: ReportRow): ReportMetrics {
  const { connection: _connection, project: _project, ...metrics } = row;
  return metrics;
}
