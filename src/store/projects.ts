// Reading projects (Bitrise apps, Buildkite pipelines) with the connection each belongs to.
import type { Project, Provider } from '../domain/model.js';
import type { Store } from './store.js';

export interface ListedProject extends Project {
  connection: string;
  provider: Provider;
}

export async function listProjects(store: Store): Promise<ListedProject[]> {
  const rows = await store.db
    .selectFrom('projects as p')
    .innerJoin('connections as c', 'c.id', 'p.connection_id')
    .select(['p.key', 'p.name', 'p.owner', 'p.repo_url', 'p.web_url', 'c.name as connection', 'c.provider'])
    .orderBy('c.name')
    .orderBy('p.name')
    .orderBy('p.key')
    .execute();
  return rows.map((r) => ({
    connection: r.connection,
    provider: r.provider as Provider,
    key: r.key,
    name: r.name,
    owner: r.owner,
    repoUrl: r.repo_url,
    webUrl: r.web_url,
  }));
}
