// A project's slowest steps (duration p95 of successful executions) and most failing steps (failed
// executions), each with its change against the previous period of the same length, from
// /api/report/levels. Each step leads to the runs that executed it (the failing ones: where it failed).
import { api, type LevelRow, type Params, type ReportRow } from './api.js';
import { empty, h } from './dom.js';
import { formatValue, trend } from './metrics.js';
import { href } from './state.js';

const TOP = 5;

interface Ranked {
  row: LevelRow;
  previous: LevelRow | undefined;
}

/** The period of the same length just before `since`–`until`. */
function previousPeriod(current: Params): Params {
  const since = Date.parse(String(current.since));
  const until = Date.parse(String(current.until));
  return {
    ...current,
    since: new Date(since - (until - since)).toISOString(),
    until: new Date(since).toISOString(),
  };
}

/** A level row read as a report row, so the trend arrow works as everywhere else. */
const asReport = (row: LevelRow | undefined, comparison: ReportRow['comparison']): ReportRow | undefined =>
  row && {
    ...row,
    runs: row.executions,
    failure: row.failed,
    ...(comparison ? { comparison } : {}),
  };

function ranking(
  title: string,
  ranked: Ranked[],
  field: 'duration_s_p95' | 'failure',
  runsOf: (row: LevelRow) => string,
  comparison: ReportRow['comparison'],
): HTMLElement {
  return h(
    'section',
    { class: 'card', 'data-ranking': field === 'failure' ? 'failing-steps' : 'slowest-steps' },
    h('h2', {}, title),
    ranked.length === 0
      ? empty('No steps to rank in this range.')
      : h(
          'ol',
          { class: 'ranking' },
          ranked.map(({ row, previous }) => {
            const current = asReport(row, comparison);
            return h(
              'li',
              { 'data-step': row.name },
              h('a', { href: runsOf(row), 'data-link': true }, h('bdi', {}, row.name)),
              h('span', { class: 'rank-value' }, formatValue(field, current?.[field])),
              h(
                'span',
                { class: 'sub' },
                field === 'failure'
                  ? `failed in ${formatValue('failure', row.failed)} of ${formatValue('runs', row.executions)} executions`
                  : `over ${formatValue('runs', row.succeeded)} successful executions`,
              ),
              trend(field, current, asReport(previous, undefined)),
            );
          }),
        ),
  );
}

export interface StepRankings {
  slowest: Ranked[];
  failing: Ranked[];
  runsOf: { slowest: (row: LevelRow) => string; failing: (row: LevelRow) => string };
}

/** Both rankings for one project over `current` (the page's period and global filters). */
export async function loadStepRankings(
  project: { connection: string; name: string },
  current: Params,
): Promise<StepRankings> {
  const scope = { connection: project.connection, project: project.name };
  const [now, before] = await Promise.all([
    api.levels({ ...current, ...scope, level: 'step' }),
    api.levels({ ...previousPeriod(current), ...scope, level: 'step' }),
  ]);
  const earlier = new Map(before.rows.map((r) => [r.name, r]));
  const pick = (rows: LevelRow[]) =>
    rows.slice(0, TOP).map((row) => ({ row, previous: earlier.get(row.name) }));
  const slowest = now.rows
    .filter((r) => r.duration_s_p95 !== null)
    .sort((a, b) => (b.duration_s_p95 ?? 0) - (a.duration_s_p95 ?? 0) || a.name.localeCompare(b.name));
  const failing = now.rows
    .filter((r) => r.failed > 0)
    .sort((a, b) => b.failed - a.failed || a.name.localeCompare(b.name));
  const runs = (extra: Params) => (row: LevelRow) => href('/runs', { ...scope, step: row.name, ...extra });
  return {
    slowest: pick(slowest),
    failing: pick(failing),
    runsOf: { slowest: runs({}), failing: runs({ step_status: 'failed' }) },
  };
}

/**
 * The two rankings' cards; `comparison` is the project's own (whether the store covers the previous
 * period), so a step of an uncovered period reads as such instead of showing an arrow.
 */
export function stepRankingCards(rankings: StepRankings, comparison: ReportRow['comparison']): HTMLElement[] {
  return [
    ranking('Slowest steps (p95)', rankings.slowest, 'duration_s_p95', rankings.runsOf.slowest, comparison),
    ranking('Most failing steps', rankings.failing, 'failure', rankings.runsOf.failing, comparison),
  ];
}
