// Where the rollup tests write their runs: a Bitrise and a Buildkite connection and three projects.
import { addConnection } from '../../src/store/connections.js';
import type { Store } from '../../src/store/store.js';

export async function rollupWorld(store: Store) {
  const add = (name: string, provider: 'bitrise' | 'buildkite') =>
    addConnection(store, { name, provider, baseUrl: 'http://127.0.0.1:9', org: null, token: 'x' });
  const bitrise = await add('br', 'bitrise');
  const buildkite = await add('bk', 'buildkite');
  const projects = ['app1', 'app2', 'app3'].map((key) => ({
    key,
    name: `App ${key}`,
    owner: null,
    repoUrl: null,
    webUrl: null,
  }));
  return { bitrise, buildkite, projects };
}
