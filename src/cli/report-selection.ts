// The period a report covers and its heading, shared by the run report and `report --by job|step` so
// both default to the same period and name it the same way.
import type { RunFilter } from '../domain/model.js';
import { DEFAULT_PERIOD_DAYS, reportPeriod } from '../domain/period.js';
import { lineText } from '../domain/text.js';
import { filterFields } from '../metrics/report-document.js';
import { UsageError } from './errors.js';

export interface ReportSelection {
  /** The filter with its period: as given, every run with `all`, else the last DEFAULT_PERIOD_DAYS days. */
  filter: RunFilter;
  /** The period and the filters in words: the first lines of a table or md report. */
  heading: string[];
}

/** `--all` says every run, so it cannot come with bounds of its own. */
export function checkAllOption(options: { all?: boolean; since?: string; until?: string }): void {
  if (options.all && (options.since !== undefined || options.until !== undefined))
    throw new UsageError('--all and --since/--until contradict each other');
}

export function reportSelection(filter: RunFilter, all: boolean, nowMs = Date.now()): ReportSelection {
  const period = reportPeriod(filter, { all, nowMs });
  return { filter: period, heading: selectionHeading(period, period !== filter) };
}

const minuteUtc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

function selectionHeading(filter: RunFilter, defaulted: boolean): string[] {
  const { since, until, ...rest } = filter;
  const end = until === undefined ? 'now' : minuteUtc(until);
  const period =
    since !== undefined
      ? `${minuteUtc(since)} to ${end}`
      : until !== undefined
        ? `before ${end}`
        : 'every run stored';
  const note = defaulted ? ` (the last ${DEFAULT_PERIOD_DAYS} days; --all for every run)` : '';
  const filters = Object.entries(filterFields(rest)).map(
    ([key, value]) => `${key} ${Array.isArray(value) ? value.join(' or ') : String(value)}`,
  );
  return [
    lineText(`Period: ${period}${note}`),
    ...(filters.length > 0 ? [lineText(`Filters: ${filters.join('; ')}`)] : []),
  ];
}
