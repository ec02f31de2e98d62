// Buildkite deliveries built on Buildkite's documentation example build (buildkite/docs, builds.md and
// jobs.md, unchanged on disk): a build event carries the REST build without its jobs and the pipeline
// beside it, a job event one job as well (ci-apis.md §4.1).
import { REAL_BUILDKITE, realPayload } from '../connectors/real-payloads.js';

type Json = Record<string, unknown>;

export const REST_BUILD = realPayload('get_build.json', REAL_BUILDKITE) as Json & {
  id: string;
  jobs: Json[];
  pipeline: Json;
};

/** The body of a delivery: the example build with `changes`, and `job` when it is a job event. */
export function buildkiteDeliveryBody(event: string, changes: Json = {}, job?: Json): string {
  const { jobs: _jobs, pipeline, ...build } = REST_BUILD;
  return JSON.stringify({
    event,
    build: { ...build, ...changes },
    pipeline,
    ...(job ? { job } : {}),
    sender: { id: 'x', name: 'Jane' },
  });
}
