// The Bitrise sandbox world's runs as a sync stores them, for benchmarks that load a store directly
// (no HTTP): each planned run through the wire the sandbox serves, the connector's reader and normalizer,
// and the default classification.
import { classifyRun } from '../src/classify/classify.js';
import { normalizeBuild, normalizePipeline } from '../src/connectors/bitrise/normalize.js';
import { build as buildSchema, pipelineShow } from '../src/connectors/bitrise/wire.js';
import type { ClassifiedRun, Job, Project } from '../src/domain/model.js';
import type { RunPlan } from '../src/sandbox/bitrise/generate.js';
import { buildWire, pipelineShowWire } from '../src/sandbox/bitrise/wire.js';
import type { BitriseWorld } from '../src/sandbox/bitrise/world.js';

/** The world's apps as projects. */
export function worldProjects(world: BitriseWorld): Project[] {
  return world.catalog.apps.map((a) => ({
    key: a.slug,
    name: a.title,
    owner: null,
    repoUrl: null,
    webUrl: null,
  }));
}

/** One planned run of an app, normalized and classified, with its jobs (a pipeline's workflows). */
export function storedRun(
  world: BitriseWorld,
  appSlug: string,
  plan: RunPlan,
): { run: ClassifiedRun; jobs: Job[] } {
  const { run, jobs } =
    plan.kind === 'build'
      ? { run: normalizeBuild(appSlug, buildSchema.parse(buildWire(world, plan.build))), jobs: [] }
      : normalizePipeline(appSlug, pipelineShow.parse(pipelineShowWire(world, plan.pipeline)));
  return { run: { ...run, ...classifyRun(run) }, jobs };
}
