// Buildkite steps: a command job is its pipeline step at work, grouped across builds by the step's key,
// else its label. Wait, block and trigger jobs are gates or hand-offs, not work, so they are no steps.
// Pure, from the build payload the sync stores (`bk_build`), so stored builds give the same steps again.
import type { Step } from '../../domain/model.js';
import { normalizeJob } from './normalize.js';
import type { Build, Job as WireJob } from './wire.js';

export function stepsOfBuild(build: Build): Step[] {
  const commands = (build.jobs ?? []).filter((j): j is WireJob => j?.type === 'script');
  return commands.map((wire) => {
    const job = normalizeJob(build.id, wire);
    return {
      key: job.key,
      runKey: build.id,
      jobKey: job.key,
      name: wire.step_key || job.name,
      stepId: wire.step_key ?? null,
      // Its job's only step. (Not its place among the build's jobs: a build merged from webhook deliveries
      // lists its jobs in the order they arrived.)
      position: 0,
      status: job.status,
      providerStatus: job.providerStatus,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      durationS: job.durationS,
    };
  });
}
