// Reading runs: the unfinished ones a sync must re-fetch, and filtered pages for `runs` and the API.
import { type RawBuilder, sql } from 'kysely';
import { z } from 'zod';
import type { PendingRun } from '../connectors/contract.js';
import {
  BLOCKED_RECHECK_DAYS,
  type Classification,
  type ClassifiedRun,
  type Provider,
  type RunFilter,
  type RunStatus,
  UNFINISHED_STATUSES,
} from '../domain/model.js';
import { onDefaultBranch } from './default-branch.js';
import { InvalidInputError } from './errors.js';
import { runFromRow } from './rows.js';
import type { Store } from './store.js';
import { isoToMicros } from './time.js';

/**
 * The runs a sync must re-fetch at `now`: every queued or running one, and blocked ones created in the last
 * BLOCKED_RECHECK_DAYS days (older blocked builds are left as they are).
 */
export async function pendingRuns(store: Store, connectionId: number, now: Date): Promise<PendingRun[]> {
  const recheckFrom = now.getTime() * 1000 - BLOCKED_RECHECK_DAYS * 86_400_000_000;
  const rows = await store.db
    .selectFrom('runs')
    .select(['key', 'project_key', 'kind', 'number'])
    .where('connection_id', '=', connectionId)
    .where((eb) =>
      eb.or([
        eb(
          'status',
          'in',
          UNFINISHED_STATUSES.filter((s) => s !== 'blocked'),
        ),
        eb.and([eb('status', '=', 'blocked'), eb('triggered_us', '>=', recheckFrom)]),
      ]),
    )
    .orderBy('key')
    .execute();
  return rows.map((r) => ({
    key: r.key,
    projectKey: r.project_key,
    kind: r.kind as PendingRun['kind'],
    number: r.number,
  }));
}

export interface RunQuery extends RunFilter {
  status?: RunStatus[];
  classification?: Classification[];
  /** Only the run with this key (in any connection the filter allows). */
  run?: string;
  /** Only runs that executed a step of one of these names (Bitrise step title, Buildkite step key or label). */
  step?: string[];
  /** Only runs with a step (of `step`'s names, when given) that ended with one of these statuses. */
  stepStatus?: RunStatus[];
}

export interface ListedRun extends ClassifiedRun {
  connection: string;
  provider: Provider;
}

export interface RunPage {
  runs: ListedRun[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Conditions for runs `r` joined with their connection `c` and (left) project `p`. Projects match by
 * key or by name; `since` is inclusive and `until` exclusive, both on triggered_at.
 */
export function runFilterConditions(filter: RunQuery): RawBuilder<boolean>[] {
  const conditions: RawBuilder<boolean>[] = [];
  const list = (values: readonly string[]) => sql.join(values.map((v) => sql`${v}`));
  const anyOf = (column: string, values: readonly string[] | undefined) => {
    if (values?.length) conditions.push(sql<boolean>`${sql.ref(column)} in (${list(values)})`);
  };
  anyOf('c.name', filter.connection);
  if (filter.project?.length) {
    conditions.push(
      sql<boolean>`(r.project_key in (${list(filter.project)}) or p.name in (${list(filter.project)}))`,
    );
  }
  anyOf('r.workflow', filter.workflow);
  anyOf('r.branch', filter.branch);
  anyOf('r.trigger', filter.trigger);
  anyOf('r.machine', filter.machine);
  anyOf('r.stack', filter.stack);
  anyOf('r.agent_queue', filter.agentQueue);
  if (filter.pr !== undefined)
    conditions.push(sql<boolean>`r.pr_id is ${sql.raw(filter.pr ? 'not null' : 'null')}`);
  anyOf('r.status', filter.status);
  anyOf('r.classification', filter.classification);
  if (filter.since) conditions.push(sql<boolean>`r.triggered_us >= ${isoToMicros(filter.since)}`);
  if (filter.until) conditions.push(sql<boolean>`r.triggered_us < ${isoToMicros(filter.until)}`);
  if (filter.defaultBranch !== undefined) conditions.push(onDefaultBranch(filter.defaultBranch));
  if (filter.exceptProjects?.length) {
    // The label a report shows, never null: a comparison with null would drop the run instead of keeping it.
    const labelled = filter.exceptProjects.map(
      (label) => sql`(c.name = ${label.connection} and coalesce(p.name, r.project_key) = ${label.project})`,
    );
    conditions.push(sql<boolean>`not (${sql.join(labelled, sql` or `)})`);
  }
  if (filter.run !== undefined) conditions.push(sql<boolean>`r.key = ${filter.run}`);
  if (filter.step?.length || filter.stepStatus?.length) conditions.push(executedStep(filter));
  return conditions;
}

/** The run has a step of the names and statuses asked for (steps_run indexes the look-up per run). */
function executedStep({ step, stepStatus }: RunQuery): RawBuilder<boolean> {
  const names = step?.length ? sql`and s.name in (${sql.join(step.map((v) => sql`${v}`))})` : sql``;
  const statuses = stepStatus?.length
    ? sql`and s.status in (${sql.join(stepStatus.map((v) => sql`${v}`))})`
    : sql``;
  return sql<boolean>`exists (select 1 from steps s
    where s.connection_id = r.connection_id and s.run_key = r.key ${names} ${statuses})`;
}

// Position after the last run of a page, in sort order: newest first, then key, then connection.
const Cursor = z.tuple([z.number().int(), z.string(), z.number().int()]);
type Cursor = z.infer<typeof Cursor>;

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidInputError(`invalid cursor "${text}"`);
  }
}

/** One page of runs matching `filter`, newest first (keyset paging: stable while rows are added). */
export async function listRuns(
  store: Store,
  filter: RunQuery,
  page: { limit: number; cursor?: string | null },
): Promise<RunPage> {
  if (!Number.isInteger(page.limit) || page.limit < 1) {
    throw new InvalidInputError(`invalid limit ${page.limit}: expected a positive whole number`);
  }
  const conditions = runFilterConditions(filter);
  if (page.cursor) {
    const [us, key, connectionId] = decodeCursor(page.cursor);
    conditions.push(
      sql<boolean>`(r.triggered_us, r.key, r.connection_id) < (${us}, ${key}, ${connectionId})`,
    );
  }
  const rows = await store.db
    .selectFrom('runs as r')
    .innerJoin('connections as c', 'c.id', 'r.connection_id')
    .leftJoin('projects as p', (join) =>
      join.onRef('p.connection_id', '=', 'r.connection_id').onRef('p.key', '=', 'r.project_key'),
    )
    .selectAll('r')
    .select(['c.name as connection_name', 'c.provider as connection_provider'])
    .where((eb) => eb.and(conditions))
    .orderBy('r.triggered_us', 'desc')
    .orderBy('r.key', 'desc')
    .orderBy('r.connection_id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  const last = shown.at(-1);
  return {
    runs: shown.map((row) => ({
      ...runFromRow(row),
      connection: row.connection_name,
      provider: row.connection_provider as Provider,
    })),
    nextCursor: more && last ? encodeCursor([last.triggered_us, last.key, last.connection_id]) : null,
  };
}
