// The simulated Bitrise account: workspaces, apps with their workflows and pipelines, users and tokens.
// Small and fixed per seed; the build history is generated from it (generate.ts).
import type { SandboxSize } from '../provider.js';
import { hash, hexOf, Random } from '../random.js';
import { PEOPLE } from '../vocabulary.js';
import type { IdCodec } from './ids.js';

export interface WorkflowProfile {
  name: string;
  /** Median execution time (seconds) and log-normal spread: each workflow has its own distribution. */
  medianS: number;
  sigma: number;
  artifacts: readonly ArtifactKind[];
  /** Share of pipeline runs a run_if condition skips this workflow in (only workflows nothing waits for). */
  skipShare?: number;
}

export type ArtifactKind = 'apk' | 'ipa' | 'test-results' | 'coverage' | 'logs';

/**
 * A staged pipeline runs its stages one after another; a DAG pipeline (`"type": "dag"`) runs each workflow
 * once the ones it depends on are done. Either way only workflows nothing waits for fail, so a failure never
 * leaves later workflows unrun (and the number of builds of a run is known before it is planned).
 */
export type PipelineProfile =
  | { kind: 'staged'; name: string; stages: readonly { name: string; workflows: readonly string[] }[] }
  | { kind: 'dag'; name: string; workflows: readonly { name: string; dependsOn: readonly string[] }[] };

/** A pipeline's workflows in an order that runs each after what it waits for, with what that is. */
export function pipelineGraph(
  pipeline: PipelineProfile,
): { name: string; dependsOn: readonly string[]; stage: number | null }[] {
  if (pipeline.kind === 'dag') return pipeline.workflows.map((w) => ({ ...w, stage: null }));
  return pipeline.stages.flatMap((stage, i) =>
    stage.workflows.map((name) => ({ name, dependsOn: pipeline.stages[i - 1]?.workflows ?? [], stage: i })),
  );
}

export interface AppProfile {
  title: string;
  projectType: string;
  provider: 'github' | 'gitlab' | 'bitbucket';
  repoOwner: string;
  repoSlug: string;
  stack: string;
  machine: string;
  /** Credits per started minute on this machine type. */
  creditsPerMinute: number;
  defaultBranch: string;
  /** Hours from UTC of the team's working day. */
  utcOffsetH: number;
  /** Relative activity of the app. */
  activity: number;
  /** Monorepo apps exit early (abort) when a push does not touch their package. */
  packages: readonly string[] | null;
  /** Rolling builds: a newer build on the same branch aborts the older one (not on the default branch). */
  rollingBuilds: boolean;
  /** Build time limit in minutes; builds that hang are aborted when it runs out. */
  timeoutMin: number;
  workflows: readonly WorkflowProfile[];
  /** Code pushes and pull requests run this pipeline when set, else the first workflow as a standalone build. */
  pipeline: PipelineProfile | null;
  releaseWorkflow: string;
  nightlyWorkflow: string | null;
}

const ARTIFACTS_IOS: readonly ArtifactKind[] = ['ipa', 'test-results'];
const ARTIFACTS_ANDROID: readonly ArtifactKind[] = ['apk', 'test-results', 'coverage'];

const PROFILES: readonly AppProfile[] = [
  {
    title: 'Acme Shop iOS',
    projectType: 'ios',
    provider: 'github',
    repoOwner: 'acme',
    repoSlug: 'shop-ios',
    stack: 'osx-xcode-16.0.x',
    machine: 'g2.mac.medium',
    creditsPerMinute: 4,
    defaultBranch: 'main',
    utcOffsetH: 1,
    activity: 1.2,
    packages: null,
    rollingBuilds: true,
    timeoutMin: 90,
    workflows: [
      { name: 'build', medianS: 540, sigma: 0.25, artifacts: ['ipa'] },
      { name: 'unit-tests', medianS: 420, sigma: 0.3, artifacts: ['test-results'] },
      { name: 'ui-tests', medianS: 1320, sigma: 0.4, artifacts: ['test-results', 'logs'], skipShare: 0.3 },
      { name: 'deploy-testflight', medianS: 900, sigma: 0.2, artifacts: ARTIFACTS_IOS },
    ],
    pipeline: {
      kind: 'staged',
      name: 'ci',
      stages: [
        { name: 'build', workflows: ['build'] },
        { name: 'test', workflows: ['unit-tests', 'ui-tests'] },
      ],
    },
    releaseWorkflow: 'deploy-testflight',
    nightlyWorkflow: null,
  },
  {
    title: 'Acme Shop Android',
    projectType: 'android',
    provider: 'github',
    repoOwner: 'acme',
    repoSlug: 'shop-android',
    stack: 'linux-docker-android-22.04',
    machine: 'elite',
    creditsPerMinute: 2,
    defaultBranch: 'main',
    utcOffsetH: 1,
    activity: 1,
    packages: null,
    rollingBuilds: true,
    timeoutMin: 90,
    workflows: [
      { name: 'primary', medianS: 720, sigma: 0.3, artifacts: ARTIFACTS_ANDROID },
      { name: 'deploy-play-store', medianS: 1080, sigma: 0.2, artifacts: ['apk'] },
      { name: 'nightly-e2e', medianS: 2700, sigma: 0.25, artifacts: ['test-results', 'logs'] },
    ],
    pipeline: null,
    releaseWorkflow: 'deploy-play-store',
    nightlyWorkflow: 'nightly-e2e',
  },
  {
    title: 'Mobile Monorepo (React Native)',
    projectType: 'react-native',
    provider: 'gitlab',
    repoOwner: 'acme-platform',
    repoSlug: 'mobile-monorepo',
    stack: 'linux-docker-android-22.04',
    machine: 'standard',
    creditsPerMinute: 1,
    defaultBranch: 'develop',
    utcOffsetH: -5,
    activity: 1.4,
    packages: ['packages/app', 'packages/ui-kit', 'packages/api-client', 'packages/analytics'],
    rollingBuilds: true,
    timeoutMin: 60,
    workflows: [
      { name: 'ci', medianS: 480, sigma: 0.35, artifacts: ['test-results'] },
      { name: 'release', medianS: 1500, sigma: 0.2, artifacts: ['apk', 'ipa'] },
    ],
    pipeline: null,
    releaseWorkflow: 'release',
    nightlyWorkflow: null,
  },
  {
    title: 'Checkout Flutter',
    projectType: 'flutter',
    provider: 'github',
    repoOwner: 'acme',
    repoSlug: 'checkout-flutter',
    stack: 'osx-xcode-15.4.x',
    machine: 'g2-m1.8core',
    creditsPerMinute: 3,
    defaultBranch: 'main',
    utcOffsetH: 5,
    activity: 0.8,
    packages: null,
    rollingBuilds: false,
    timeoutMin: 90,
    workflows: [
      { name: 'analyze', medianS: 150, sigma: 0.3, artifacts: [] },
      { name: 'build-android', medianS: 600, sigma: 0.25, artifacts: ['apk'] },
      { name: 'build-ios', medianS: 840, sigma: 0.3, artifacts: ['ipa'] },
      { name: 'unit-tests', medianS: 300, sigma: 0.3, artifacts: ['test-results'] },
      { name: 'integration-tests', medianS: 1200, sigma: 0.45, artifacts: ['test-results', 'logs'] },
      { name: 'golden-tests', medianS: 420, sigma: 0.35, artifacts: ['test-results'], skipShare: 0.5 },
      { name: 'deploy', medianS: 600, sigma: 0.2, artifacts: [] },
      { name: 'nightly', medianS: 3000, sigma: 0.3, artifacts: ['coverage'] },
    ],
    pipeline: {
      kind: 'dag',
      name: 'pr-checks',
      workflows: [
        { name: 'analyze', dependsOn: [] },
        { name: 'build-android', dependsOn: ['analyze'] },
        { name: 'build-ios', dependsOn: ['analyze'] },
        { name: 'unit-tests', dependsOn: ['analyze'] },
        { name: 'integration-tests', dependsOn: ['build-android', 'build-ios'] },
        { name: 'golden-tests', dependsOn: ['build-ios'] },
      ],
    },
    releaseWorkflow: 'deploy',
    nightlyWorkflow: 'nightly',
  },
  {
    title: 'Design System Web',
    projectType: 'other',
    provider: 'bitbucket',
    repoOwner: 'acme-design',
    repoSlug: 'design-system',
    stack: 'ubuntu-noble-24.04-bitrise-2025-android',
    machine: 'standard',
    creditsPerMinute: 1,
    defaultBranch: 'master',
    utcOffsetH: -8,
    activity: 0.6,
    packages: null,
    rollingBuilds: true,
    timeoutMin: 45,
    workflows: [
      { name: 'test', medianS: 240, sigma: 0.4, artifacts: ['coverage'] },
      { name: 'publish', medianS: 300, sigma: 0.2, artifacts: [] },
    ],
    pipeline: null,
    releaseWorkflow: 'publish',
    nightlyWorkflow: null,
  },
  {
    title: 'Wallet iOS',
    projectType: 'ios',
    provider: 'github',
    repoOwner: 'acme-fintech',
    repoSlug: 'wallet-ios',
    stack: 'osx-xcode-16.0.x',
    machine: 'g2.mac.large',
    creditsPerMinute: 6,
    defaultBranch: 'main',
    utcOffsetH: 0,
    activity: 0.9,
    packages: null,
    rollingBuilds: false,
    timeoutMin: 90,
    workflows: [
      { name: 'test', medianS: 960, sigma: 0.35, artifacts: ['test-results'] },
      { name: 'archive', medianS: 1200, sigma: 0.2, artifacts: ['ipa'] },
      { name: 'snapshot-tests', medianS: 780, sigma: 0.5, artifacts: ['test-results', 'logs'] },
      { name: 'release', medianS: 1500, sigma: 0.2, artifacts: ['ipa'] },
    ],
    pipeline: {
      kind: 'staged',
      name: 'main-pipeline',
      stages: [
        { name: 'checks', workflows: ['test', 'snapshot-tests'] },
        { name: 'package', workflows: ['archive'] },
      ],
    },
    releaseWorkflow: 'release',
    nightlyWorkflow: null,
  },
  {
    title: 'Wallet Android',
    projectType: 'android',
    provider: 'github',
    repoOwner: 'acme-fintech',
    repoSlug: 'wallet-android',
    stack: 'linux-docker-android-22.04',
    machine: 'elite-xl',
    creditsPerMinute: 4,
    defaultBranch: 'main',
    utcOffsetH: 0,
    activity: 0.9,
    packages: null,
    rollingBuilds: true,
    timeoutMin: 90,
    workflows: [
      { name: 'primary', medianS: 840, sigma: 0.3, artifacts: ARTIFACTS_ANDROID },
      { name: 'release', medianS: 1260, sigma: 0.2, artifacts: ['apk'] },
      { name: 'nightly', medianS: 2400, sigma: 0.3, artifacts: ['coverage', 'logs'] },
    ],
    pipeline: null,
    releaseWorkflow: 'release',
    nightlyWorkflow: 'nightly',
  },
  {
    title: 'Internal Tools (Xamarin)',
    projectType: 'xamarin',
    provider: 'gitlab',
    repoOwner: 'acme-it',
    repoSlug: 'field-tools',
    stack: 'osx-xcode-15.4.x',
    machine: 'g2-m1.8core',
    creditsPerMinute: 3,
    defaultBranch: 'master',
    utcOffsetH: 2,
    activity: 0.4,
    packages: null,
    rollingBuilds: false,
    timeoutMin: 60,
    workflows: [
      { name: 'primary', medianS: 1100, sigma: 0.3, artifacts: ['apk', 'ipa'] },
      { name: 'deploy', medianS: 700, sigma: 0.2, artifacts: [] },
    ],
    pipeline: null,
    releaseWorkflow: 'deploy',
    nightlyWorkflow: null,
  },
];

const SIZES: Record<SandboxSize, { apps: number; days: number; runsPerWorkday: number }> = {
  small: { apps: 4, days: 60, runsPerWorkday: 2.5 },
  medium: { apps: 8, days: 200, runsPerWorkday: 24 },
  large: { apps: 12, days: 200, runsPerWorkday: 330 },
};

export interface Workspace {
  slug: string;
  name: string;
  concurrency: number;
  owners: readonly { slug: string; username: string; email: string }[];
}

export interface User {
  slug: string;
  username: string;
  email: string;
  dataId: number;
  createdAt: string;
}

export interface App {
  index: number;
  slug: string;
  profile: AppProfile;
  /** Distinguishes copies of a profile in the bigger sizes. */
  title: string;
  repoSlug: string;
  workspace: Workspace;
  isPublic: boolean;
  /** Expected runs on a working day. */
  runsPerWorkday: number;
  /** Builds the app's machines can run at the same time; the busiest hours queue beyond it. */
  concurrency: number;
  /** First pull request number, so numbers look like a real repository's. */
  firstPullRequest: number;
}

export type TokenRole = 'full' | 'noApps' | 'noPipelines';

export interface Catalog {
  workspaces: readonly Workspace[];
  apps: readonly App[];
  /** An app that exists but no sandbox token can see (403-vs-404 checks). */
  hiddenApp: App;
  days: number;
  tokens: Record<TokenRole, { token: string; user: User }>;
  /** The account used when a script (not a person) aborts builds, e.g. early exits. */
  bot: string;
}

export function createCatalog(seed: number, size: SandboxSize, ids: IdCodec): Catalog {
  const rng = new Random('bitrise-catalog', seed);
  const { apps: appCount, days, runsPerWorkday } = SIZES[size];
  const user = (username: string, email: string, i: number): User => ({
    slug: hexOf(16, 'user', seed, username),
    username,
    email,
    dataId: 10_000 + (hash('data-id', seed, i) % 90_000),
    createdAt: new Date(Date.UTC(2019, 0, 1) + (hash('user-created', seed, i) % 1500) * 86_400_000)
      .toISOString()
      .replace('.000Z', 'Z'),
  });
  const users = PEOPLE.map((p, i) => user(p.username, p.email, i));
  const workspaces: Workspace[] = [
    { slug: hexOf(16, 'ws', seed, 0), name: 'Acme Mobile', concurrency: 0, owners: users.slice(0, 2) },
    { slug: hexOf(16, 'ws', seed, 1), name: 'Acme Fintech', concurrency: 0, owners: users.slice(2, 3) },
  ];
  const apps: App[] = [];
  for (let index = 0; index <= appCount; index++) {
    const profile = PROFILES[index % PROFILES.length] as AppProfile;
    const copy = Math.floor(index / PROFILES.length);
    const suffix = copy > 0 ? ` ${copy + 1}` : '';
    const workspace = workspaces[profile.repoOwner.startsWith('acme-fintech') ? 1 : 0] as Workspace;
    const rate = runsPerWorkday * profile.activity * rng.uniform(0.8, 1.25);
    apps.push({
      index,
      slug: ids.encode({ kind: 'app', app: index, day: 0, run: 0, sub: 0 }),
      profile,
      title: index === appCount ? 'Secret Project' : `${profile.title}${suffix}`,
      repoSlug: `${profile.repoSlug}${copy > 0 ? `-${copy + 1}` : ''}`,
      workspace,
      isPublic: rng.chance(0.2),
      runsPerWorkday: rate,
      concurrency: machinesFor(profile, rate),
      firstPullRequest: rng.int(40, 900),
    });
  }
  for (const ws of workspaces) {
    ws.concurrency = apps.filter((a) => a.workspace === ws).reduce((n, a) => n + a.concurrency, 0);
  }
  const hiddenApp = apps.pop() as App;
  return {
    workspaces,
    apps,
    hiddenApp,
    days,
    tokens: {
      full: { token: tokenFor(seed, 'full'), user: users[0] as User },
      noApps: {
        token: tokenFor(seed, 'noApps'),
        user: user('new-hire', 'new-hire@example.com', users.length),
      },
      noPipelines: {
        token: tokenFor(seed, 'noPipelines'),
        user: user('release-viewer', 'release-viewer@example.com', users.length + 1),
      },
    },
    bot: 'bitrise-monorepo-bot',
  };
}

/**
 * Enough machines for an ordinary peak hour (about a tenth of a day's runs) plus one pipeline stage in
 * parallel; bursts beyond that queue, which is where on-hold time comes from.
 */
function machinesFor(profile: AppProfile, runsPerWorkday: number): number {
  const graph = profile.pipeline
    ? pipelineGraph(profile.pipeline)
    : [{ name: profile.workflows[0]?.name ?? '' }];
  // The widest set of workflows that can run at once: a stage, or a DAG's workflows after the first.
  const width =
    profile.pipeline?.kind === 'staged'
      ? Math.max(...profile.pipeline.stages.map((s) => s.workflows.length))
      : Math.max(1, graph.length - 1);
  const runSeconds = graph.reduce(
    (n, { name }) => n + (profile.workflows.find((w) => w.name === name)?.medianS ?? 600),
    0,
  );
  const busyMinutes = ((runsPerWorkday / 10) * runSeconds) / 60;
  return Math.max(width + 1, Math.ceil((busyMinutes / 60) * 2));
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Deterministic per seed, long and random-looking like a personal access token. */
function tokenFor(seed: number, role: TokenRole): string {
  const rng = new Random('bitrise-token', seed, role);
  let out = '';
  for (let i = 0; i < 86; i++) out += TOKEN_ALPHABET[Math.floor(rng.next() * TOKEN_ALPHABET.length)];
  return out;
}
