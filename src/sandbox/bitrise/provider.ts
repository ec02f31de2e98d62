// The simulated Bitrise provider: its mount on the sandbox server, its tokens, and the ground truth tests
// compare the API against.
import type { ProviderContext, ProviderMount } from '../provider.js';
import { hash } from '../random.js';
import { bitriseHandler } from './routes.js';
import { UrlSigner } from './storage.js';
import { type BitriseSwitches, DEFAULT_SWITCHES } from './switches.js';
import { appWire, type BuildWire, buildWire, pipelineListItemWire, pipelineShowWire } from './wire.js';
import { BitriseWorld } from './world.js';

export type { BitriseSwitches } from './switches.js';

type AppWire = ReturnType<typeof appWire>;

/**
 * Ground truth at the current sandbox clock, as the same plain objects the API serializes. Each call walks
 * the whole history, so it is meant for the small and medium sizes.
 */
export interface BitriseTruth {
  /** Apps the main token sees. */
  apps(): AppWire[];
  /** Every visible build, newest first (app-scoped build objects). */
  builds(appSlug?: string): BuildWire[];
  /** Every visible run (pipelines and standalone builds) as pipeline-list items, newest first per app. */
  runs(appSlug?: string): ReturnType<typeof pipelineListItemWire>[];
  /** Every visible pipeline as the pipeline show object, newest first per app. */
  pipelines(appSlug?: string): ReturnType<typeof pipelineShowWire>[];
  /** An app that exists but no sandbox token may see. */
  inaccessibleAppSlug: string;
  /** The model behind the API (generation, clock-dependent state). */
  model: BitriseWorld;
}

export interface BitriseSandbox {
  /** Token of a user who sees every app. */
  token: string;
  tokens: {
    /** Valid, but sees no apps (`data: []`). */
    noApps: string;
    /** Sees the apps, but gets 403 on pipelines (and on builds by switch). */
    noPipelines: string;
  };
  world: BitriseTruth;
}

export function createBitrise(
  context: ProviderContext,
  switches: Partial<BitriseSwitches>,
): { mount: ProviderMount; sandbox: BitriseSandbox } {
  const world = new BitriseWorld(context, { ...DEFAULT_SWITCHES, ...switches });
  const signer = new UrlSigner(hash('bitrise-storage', context.seed), () => world.nowMs());
  const handle = bitriseHandler(world, signer);
  const appsOf = (slug?: string) => world.catalog.apps.filter((a) => slug === undefined || a.slug === slug);
  const tokens = world.catalog.tokens;
  return {
    mount: { prefix: '/bitrise', handle },
    sandbox: {
      token: tokens.full.token,
      tokens: { noApps: tokens.noApps.token, noPipelines: tokens.noPipelines.token },
      world: {
        apps: () => world.catalog.apps.map(appWire),
        builds: (slug) =>
          appsOf(slug).flatMap((a) => [...world.appBuilds(a)].map((b) => buildWire(world, b))),
        runs: (slug) =>
          appsOf(slug).flatMap((a) => [...world.appRuns(a)].map((r) => pipelineListItemWire(world, r))),
        pipelines: (slug) =>
          appsOf(slug).flatMap((a) =>
            [...world.appRuns(a)].flatMap((r) =>
              r.kind === 'pipeline' ? [pipelineShowWire(world, r.pipeline)] : [],
            ),
          ),
        inaccessibleAppSlug: world.catalog.hiddenApp.slug,
        model: world,
      },
    },
  };
}
