// The builds-list filters of the Buildkite REST API (ci-apis.md §3.10): parsed from a query string into a
// value, then applied as a pure predicate. Array forms (`state[]`, `branch[]`, `commit[]`) and the scalar
// forms mean the same thing.

export const BUILD_STATES = [
  'creating',
  'scheduled',
  'running',
  'passed',
  'failing',
  'failed',
  'blocked',
  'canceling',
  'canceled',
  'skipped',
  'not_run',
] as const;
export type BuildState = (typeof BUILD_STATES)[number];

/** `state=finished` is a documented shortcut for these. */
const FINISHED: readonly BuildState[] = ['passed', 'failed', 'blocked', 'canceled'];

export interface BuildFilter {
  states: ReadonlySet<BuildState> | null;
  branches: readonly RegExp[] | null;
  commits: ReadonlySet<string> | null;
  createdFrom: number | null;
  /** Exclusive. */
  createdTo: number | null;
  finishedFrom: number | null;
  creator: string | null;
  metaData: ReadonlyArray<readonly [string, string]>;
}

/** What a filter looks at; the sandbox's build view provides it. */
export interface FilterableBuild {
  createdAt: number;
  finishedAt: number | null;
  /** The state Buildkite filters on: `blocked` for a blocked build, whatever `state` it reports. */
  filterState: BuildState;
  branch: string;
  commit: string;
  creatorId: string | null;
  metaData: Readonly<Record<string, string>>;
}

export interface BuildViewOptions {
  includeRetriedJobs: boolean;
  excludeJobs: boolean;
  excludePipeline: boolean;
}

export class QueryError extends Error {}

/** Values of `name` and `name[]`, in order of appearance. */
function values(query: URLSearchParams, name: string): string[] {
  return [...query.getAll(name), ...query.getAll(`${name}[]`)];
}

function time(query: URLSearchParams, name: string): number | null {
  const value = query.get(name);
  if (value === null || value === '') return null;
  // ISO 8601 dates and date-times only: Date.parse alone would accept "3" or "March 1".
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (Number.isNaN(ms)) throw new QueryError(`${name} must be an ISO 8601 time, got "${value}"`);
  return ms;
}

/** `*` is the only wildcard; everything else matches literally. */
function branchPattern(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

export function parseBuildFilter(query: URLSearchParams): BuildFilter {
  const stateValues = values(query, 'state').filter((s) => s !== '');
  let states: Set<BuildState> | null = null;
  if (stateValues.length > 0) {
    states = new Set();
    for (const value of stateValues) {
      if (value === 'finished') for (const s of FINISHED) states.add(s);
      else if ((BUILD_STATES as readonly string[]).includes(value)) states.add(value as BuildState);
      else throw new QueryError(`state "${value}" is not one of ${[...BUILD_STATES, 'finished'].join(', ')}`);
    }
  }
  const branches = values(query, 'branch').filter((b) => b !== '');
  const commits = values(query, 'commit').filter((c) => c !== '');
  const metaData: Array<[string, string]> = [];
  for (const [key, value] of query) {
    const match = /^meta_data\[(.+)\]$/.exec(key);
    if (match?.[1] !== undefined) metaData.push([match[1], value]);
  }
  return {
    states,
    branches: branches.length > 0 ? branches.map(branchPattern) : null,
    commits: commits.length > 0 ? new Set(commits) : null,
    createdFrom: time(query, 'created_from'),
    createdTo: time(query, 'created_to'),
    finishedFrom: time(query, 'finished_from'),
    creator: query.get('creator') || null,
    metaData,
  };
}

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

export function parseBuildViewOptions(query: URLSearchParams): BuildViewOptions {
  return {
    includeRetriedJobs: flag(query, 'include_retried_jobs'),
    excludeJobs: flag(query, 'exclude_jobs'),
    excludePipeline: flag(query, 'exclude_pipeline'),
  };
}

/** True when the filter narrows by creation time alone, so the world can count a window without generating it. */
export function onlyCreationTime(filter: BuildFilter): boolean {
  return (
    filter.states === null &&
    filter.branches === null &&
    filter.commits === null &&
    filter.finishedFrom === null &&
    filter.creator === null &&
    filter.metaData.length === 0
  );
}

export function matchesBuildFilter(build: FilterableBuild, filter: BuildFilter): boolean {
  if (filter.states && !filter.states.has(build.filterState)) return false;
  if (filter.branches && !filter.branches.some((re) => re.test(build.branch))) return false;
  if (filter.commits && !filter.commits.has(build.commit)) return false;
  if (filter.createdFrom !== null && build.createdAt < filter.createdFrom) return false;
  if (filter.createdTo !== null && build.createdAt >= filter.createdTo) return false;
  if (filter.finishedFrom !== null && (build.finishedAt === null || build.finishedAt < filter.finishedFrom)) {
    return false;
  }
  if (filter.creator !== null && build.creatorId !== filter.creator) return false;
  return filter.metaData.every(([key, value]) => build.metaData[key] === value);
}
