// What the rollup tests build their runs from: a seeded random source, a Bitrise and a Buildkite
// connection and three projects.
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

/** Seeded, so a failure reproduces. */
export function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
