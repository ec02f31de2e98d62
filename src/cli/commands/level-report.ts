// `report --by job|step`: the level report (src/metrics/level-report.ts) as a table, json, csv or md.
import type { RunFilter } from '../../domain/model.js';
import { type Level, type LevelReport, type LevelRow, levelReport } from '../../metrics/level-report.js';
import type { Store } from '../../store/store.js';
import {
  type Column,
  formatPercent,
  formatSeconds,
  type Row,
  renderCsv,
  renderMarkdown,
  renderTable,
} from '../format.js';
import { reportSelection } from '../report-selection.js';

const columns = (level: Level): Column[] => [
  { key: 'project', header: 'project' },
  { key: 'name', header: level },
  { key: 'executions', header: 'execs', align: 'right' },
  { key: 'success_rate', header: 'ok%', align: 'right', display: formatPercent },
  { key: 'duration_s_p50', header: 'p50', align: 'right', display: formatSeconds },
  { key: 'duration_s_p90', header: 'p90', align: 'right', display: formatSeconds },
  { key: 'duration_s_p95', header: 'p95', align: 'right', display: formatSeconds },
  { key: 'duration_s_max', header: 'max', align: 'right', display: formatSeconds },
  { key: 'share_of_time', header: 'share', align: 'right', display: formatPercent },
  { key: 'wall_share', header: 'wall', align: 'right', display: formatPercent },
  { key: 'time_lost_s', header: 'lost', align: 'right', display: formatSeconds },
  ...(level === 'job'
    ? [{ key: 'critical_path_rate', header: 'crit%', align: 'right', display: formatPercent } as Column]
    : []),
];

const FIELDS: (keyof LevelRow)[] = [
  'connection',
  'project',
  'name',
  'executions',
  'succeeded',
  'failed',
  'success_rate',
  'duration_s_p50',
  'duration_s_p90',
  'duration_s_p95',
  'duration_s_max',
  'time_s',
  'share_of_time',
  'wall_share',
  'time_lost_s',
  'critical_path_rate',
  'percentiles',
];

export async function renderLevelReport(
  store: Store,
  view: {
    /** As given; without since or until it is the last 30 days unless `all`, as in the run report. */
    filter: RunFilter;
    all: boolean;
    /** Percentiles from every execution rather than the level rollups' sketches. */
    exact: boolean;
    level: Level;
    format: 'table' | 'json' | 'csv' | 'md';
    width: number;
  },
): Promise<string> {
  const { filter, heading } = reportSelection(view.filter, view.all);
  const report = await levelReport(store, filter, view.level, { exact: view.exact });
  const rows = report.rows as unknown as Row[];
  switch (view.format) {
    case 'json':
      return JSON.stringify(report, null, 2);
    case 'csv':
      return renderCsv(
        rows,
        FIELDS.map((key) => ({ key, header: key })),
      );
    case 'md':
      return [heading.join('  \n'), renderMarkdown(rows, columns(view.level)), percentilesNote(report)].join(
        '\n\n',
      );
    default: {
      const table =
        rows.length === 0
          ? `no ${view.level}s in the selected runs`
          : renderTable(rows, columns(view.level), view.width);
      return `${heading.join('\n')}\n\n${table}\n\n${percentilesNote(report)}`;
    }
  }
}

/** Where the percentiles come from, once for every row (they all come from the same place). */
function percentilesNote({ level, rows }: LevelReport): string {
  return rows.some((r) => r.percentiles === 'sketch')
    ? `p50..p95: from the level rollups' sketches (within 0.5%); --exact reads every ${level}`
    : `p50..p95: exact, from every ${level} of the selected runs`;
}
