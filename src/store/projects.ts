// Reading projects (Bitrise apps, Buildkite pipelines) with the connection each belongs to.
import type { Project, Provider } from '../domain/model.js';
import { type DefaultBranchSource, listDefaultBranches } from './default-branch.js';
import type { Store } from './store.js';

export interface ListedProject extends Project {
  connection: string;
  provider: Provider;
  /** The branch default-branch views select: set by a person, the provider's, or inferred. */
  defaultBranch: string | null;
  defaultBranchSource: DefaultBranchSource | null;
}

export async function listProjects(store: Store): Promise<ListedProject[]> {
  const rows = await store.db
    .selectFrom('projects as p')
    .innerJoin('connections as c', 'c.id', 'p.connection_id')
    .select([
      'p.connection_id',
      'p.key',
      'p.name',
      'p.owner',
      'p.repo_url',
      'p.web_url',
      'c.name as connection',
      'c.provider',
    ])
    .orderBy('c.name')
    .orderBy('p.name')
    .orderBy('p.key')
    .execute();
  const defaults = new Map(
    (await listDefaultBranches(store)).map((d) => [JSON.stringify([d.connectionId, d.projectKey]), d]),
  );
  return rows.map((r) => {
    const preferred = defaults.get(JSON.stringify([Number(r.connection_id), r.key]));
    return {
      connection: r.connection,
      provider: r.provider as Provider,
      key: r.key,
      name: r.name,
      owner: r.owner,
      repoUrl: r.repo_url,
      webUrl: r.web_url,
      defaultBranch: preferred?.branch ?? null,
      defaultBranchSource: preferred?.source ?? null,
    };
  });
}
