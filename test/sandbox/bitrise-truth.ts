// The Bitrise sandbox's ground truth in domain terms, as a connector should see it: standalone builds are
// runs, pipelines are runs whose jobs are their workflows, earlier attempts' builds included as retried jobs.
import { normalizeBuild, normalizePipeline } from '../../src/connectors/bitrise/normalize.js';
import { build, pipelineShow } from '../../src/connectors/bitrise/wire.js';
import type { Job, Run } from '../../src/domain/model.js';
import type { BitriseSandbox } from '../../src/sandbox/bitrise/provider.js';

export function bitriseTruthOf(
  world: BitriseSandbox['world'],
  appSlug: string,
): { runs: Run[]; jobs: Job[] } {
  const builds = world.builds(appSlug).map((wire) => build.parse(wire));
  const runs = builds.filter((b) => !b.pipeline_workflow_id).map((b) => normalizeBuild(appSlug, b));
  const jobs: Job[] = [];
  for (const wire of world.pipelines(appSlug)) {
    const show = pipelineShow.parse(wire);
    // A rerun pipeline's workflow builds of every attempt share its number.
    const earlier =
      (show.attempts?.length ?? 0) > 1
        ? builds.filter((b) => b.build_number === show.number_in_app_scope && b.pipeline_workflow_id)
        : [];
    const normalized = normalizePipeline(appSlug, show, earlier);
    runs.push(normalized.run);
    jobs.push(...normalized.jobs);
  }
  return { runs, jobs };
}
