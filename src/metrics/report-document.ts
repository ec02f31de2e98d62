// The report as one document: the grouped rows plus the total over the same filter. This is the JSON
// `buildlens report --format json` prints and the HTTP API answers with.
import type { RunFilter } from '../domain/model.js';
import { type Dimension, type ReportQuery, type ReportRow, type ReportSource, report } from './report.js';

export interface ReportDocument {
  by: Dimension[];
  filter: RunFilter;
  rows: ReportRow[];
  total: ReportRow;
}

/** Groups by `query.by`, or per project when it is empty. */
export async function reportDocument(source: ReportSource, query: ReportQuery): Promise<ReportDocument> {
  const by: Dimension[] = query.by.length > 0 ? [...query.by] : ['project'];
  const [rows, [total]] = await Promise.all([
    report(source, { filter: query.filter, by }),
    report(source, { filter: query.filter, by: [] }),
  ]);
  if (total === undefined) throw new Error('the total report returned no row');
  return { by, filter: query.filter, rows, total };
}
