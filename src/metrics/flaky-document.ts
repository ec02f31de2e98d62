// What `buildlens flaky --format json` prints and /api/flaky answers, built once for both: the flaky list,
// or with `by` the ranking, beside the filter it covers (its period included, as the report shows it).
import type { RunFilter } from '../domain/model.js';
import { type FlakyList, flakyList } from './flaky.js';
import { type FlakyRank, type FlakyRanking, type FlakyRankingQuery, flakyRanking } from './flaky-ranking.js';
import { type FilterFields, filterFields } from './report-document.js';
import type { ReportSource } from './vocabulary.js';

export type FlakyDocument =
  | ({ filter: FilterFields } & FlakyList)
  | { filter: FilterFields; by: FlakyRanking; ranks: FlakyRank[] };

export async function flakyDocument(
  source: ReportSource,
  filter: RunFilter,
  query: { limit: number; by?: FlakyRanking; bucket?: FlakyRankingQuery['bucket'] },
): Promise<FlakyDocument> {
  const fields = filterFields(filter);
  const { by, limit, bucket } = query;
  if (by === undefined) return { filter: fields, ...(await flakyList(source, filter, limit)) };
  return { filter: fields, by, ranks: await flakyRanking(source, { filter, by, limit, bucket }) };
}
