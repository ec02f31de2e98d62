// Each project's default branch (DESIGN.md "Default branch"): the one a person set, else the provider's
// (Buildkite pipeline `default_branch`), else inferred from the runs: the most-built of main, master,
// develop and trunk on push runs. Which of the three it is travels with it, so it can be shown as inferred.
import { sql } from 'kysely';
import { bumpDataVersion } from './data-version.js';
import { inWriteTransaction } from './dialect.js';
import { InvalidInputError, NotFoundError } from './errors.js';
import type { Store } from './store.js';

export const DEFAULT_BRANCH_SOURCES = ['setting', 'provider', 'inferred'] as const;
export type DefaultBranchSource = (typeof DEFAULT_BRANCH_SOURCES)[number];

/** The branches a default is inferred from, in the order that settles a tie. */
export const INFERRED_CANDIDATES = ['main', 'master', 'develop', 'trunk'] as const;

/**
 * `(connection_id, project_key, branch, source)` of every project, branch and source null when none is
 * known. One pass over the push runs: a filter on it is evaluated once, not per run.
 */
export function defaultBranches() {
  const candidates = sql.join(INFERRED_CANDIDATES.map((b) => sql`${b}`));
  const tieOrder = sql.join(
    INFERRED_CANDIDATES.map((b, i) => sql`when ${b} then ${i}`),
    sql` `,
  );
  return sql`select p.connection_id, p.key as project_key,
      coalesce(p.default_branch_setting, p.default_branch, inferred.branch) as branch,
      case when p.default_branch_setting is not null then 'setting'
        when p.default_branch is not null then 'provider'
        when inferred.branch is not null then 'inferred' end as source
    from projects p
    left join (
      select connection_id, project_key, branch, row_number() over (
        partition by connection_id, project_key
        order by count(*) desc, case branch ${tieOrder} end
      ) as nth
      from runs where ${sql.ref('trigger')} = 'push' and branch in (${candidates})
      group by connection_id, project_key, branch
    ) inferred on inferred.connection_id = p.connection_id and inferred.project_key = p.key and inferred.nth = 1`;
}

/** Condition on runs `r`: on their project's default branch (true) or not (false). */
export function onDefaultBranch(wanted: boolean) {
  const on = sql<boolean>`(r.connection_id, r.project_key, coalesce(r.branch, '')) in (
    select d.connection_id, d.project_key, d.branch from (${defaultBranches()}) d where d.branch is not null)`;
  return wanted ? on : sql<boolean>`not ${on}`;
}

export interface DefaultBranch {
  connectionId: number;
  projectKey: string;
  branch: string | null;
  source: DefaultBranchSource | null;
}

export async function listDefaultBranches(store: Pick<Store, 'db'>): Promise<DefaultBranch[]> {
  const { rows } = await sql<{
    connection_id: number;
    project_key: string;
    branch: string | null;
    source: DefaultBranchSource | null;
  }>`${defaultBranches()}`.execute(store.db);
  return rows.map((r) => ({
    connectionId: Number(r.connection_id),
    projectKey: r.project_key,
    branch: r.branch,
    source: r.source,
  }));
}

export interface ProjectRef {
  /** Needed only when two connections have a project of that name. */
  connection?: string;
  /** Name or key. */
  project: string;
}

/** Sets (or with null, clears) the default branch a person chose for one project. */
export async function setDefaultBranch(store: Store, ref: ProjectRef, branch: string | null): Promise<void> {
  if (branch !== null && branch.trim() === '')
    throw new InvalidInputError('the default branch must not be empty');
  let query = store.db
    .selectFrom('projects as p')
    .innerJoin('connections as c', 'c.id', 'p.connection_id')
    .select(['p.connection_id', 'p.key', 'c.name as connection'])
    .where((eb) => eb.or([eb('p.key', '=', ref.project), eb('p.name', '=', ref.project)]));
  if (ref.connection !== undefined) query = query.where('c.name', '=', ref.connection);
  const found = await query.execute();
  const [project] = found;
  if (project === undefined) {
    const where = ref.connection === undefined ? '' : ` in connection "${ref.connection}"`;
    throw new NotFoundError(`no project "${ref.project}"${where}`);
  }
  if (found.length > 1) {
    const connections = [...new Set(found.map((p) => p.connection))];
    throw new InvalidInputError(
      connections.length > 1
        ? `"${ref.project}" names projects of several connections (${connections.join(', ')}): name the connection`
        : `"${ref.project}" names ${found.length} projects: name one by its key (${found.map((p) => p.key).join(', ')})`,
    );
  }
  await inWriteTransaction(store, async (db) => {
    await db
      .updateTable('projects')
      .set({ default_branch_setting: branch === null ? null : branch.trim() })
      .where('connection_id', '=', project.connection_id)
      .where('key', '=', project.key)
      .execute();
    await bumpDataVersion(db);
  });
}
