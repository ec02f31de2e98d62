// Deterministic API tokens for the simulated Buildkite: one with every read scope, one missing each of
// the scopes the CI data needs, one limited to the first organization and one allowed none.
import { hexOf, uuidOf } from '../random.js';
import type { Person } from './plan.js';
import type { Org } from './world.js';

export const REQUIRED_SCOPES = ['read_organizations', 'read_pipelines', 'read_builds'] as const;
export type RequiredScope = (typeof REQUIRED_SCOPES)[number];
const ALL_READ_SCOPES = [...REQUIRED_SCOPES, 'read_build_logs', 'read_artifacts', 'read_user'];

export type TokenName =
  | 'full'
  | 'missing_read_organizations'
  | 'missing_read_pipelines'
  | 'missing_read_builds'
  | 'single_org'
  | 'no_orgs';

export interface TokenGrant {
  token: string;
  uuid: string;
  scopes: string[];
  /** Organizations the token may read. */
  orgs: string[];
  description: string;
  createdAt: number;
  user: Person;
}

export interface Tokens {
  /** Grant by token value. */
  grants: Map<string, TokenGrant>;
  byName: Record<TokenName, string>;
  /** Per organization slug, a token for that organization only, of a user of its own (its CI account). */
  byOrg: Record<string, string>;
}

export function createTokens(seed: number, orgs: readonly Org[], anchorMs: number): Tokens {
  const [first] = orgs;
  if (!first) throw new Error('a Buildkite world needs an organization');
  const user = first.people[0] as Person;
  const all = orgs.map((o) => o.slug);
  const specs: Record<TokenName, { scopes: string[]; orgs: string[] }> = {
    full: { scopes: ALL_READ_SCOPES, orgs: all },
    missing_read_organizations: {
      scopes: ALL_READ_SCOPES.filter((s) => s !== 'read_organizations'),
      orgs: all,
    },
    missing_read_pipelines: { scopes: ALL_READ_SCOPES.filter((s) => s !== 'read_pipelines'), orgs: all },
    missing_read_builds: { scopes: ALL_READ_SCOPES.filter((s) => s !== 'read_builds'), orgs: all },
    single_org: { scopes: ALL_READ_SCOPES, orgs: [first.slug] },
    // Valid, every scope, but allowed no organization at all.
    no_orgs: { scopes: ALL_READ_SCOPES, orgs: [] },
  };
  const grants = new Map<string, TokenGrant>();
  const byName = {} as Record<TokenName, string>;
  for (const [name, spec] of Object.entries(specs) as [TokenName, (typeof specs)[TokenName]][]) {
    const token = `bkua_${hexOf(40, seed, 'buildkite', 'token', name)}`;
    grants.set(token, {
      token,
      uuid: uuidOf(seed, 'buildkite', 'token', name),
      scopes: spec.scopes,
      orgs: spec.orgs,
      description: `buildlens sandbox (${name.replaceAll('_', ' ')})`,
      createdAt: anchorMs - 30 * 24 * 3_600_000,
      user,
    });
    byName[name] = token;
  }
  const byOrg: Record<string, string> = {};
  for (const org of orgs) {
    const token = `bkua_${hexOf(40, seed, 'buildkite', 'org-token', org.slug)}`;
    const id = uuidOf(seed, 'buildkite', 'ci-user', org.slug);
    grants.set(token, {
      token,
      uuid: uuidOf(seed, 'buildkite', 'org-token', org.slug),
      scopes: ALL_READ_SCOPES,
      orgs: [org.slug],
      description: `buildlens sandbox (${org.slug} only)`,
      createdAt: anchorMs - 30 * 24 * 3_600_000,
      user: {
        ...user,
        id,
        graphqlId: `${user.graphqlId}-${org.slug}`,
        name: `${org.name} CI`,
        email: `ci@${org.slug}.example.com`,
      },
    });
    byOrg[org.slug] = token;
  }
  return { grants, byName, byOrg };
}
