// Buildkite raw payloads read again offline (`buildlens renormalize`), by the kind they are stored as;
// a build gives its steps (its command jobs) again too.
import type { RawRunReader } from '../contract.js';
import { readBuild } from './api.js';
import { normalizeBuild } from './normalize.js';
import { stepsOfBuild } from './steps.js';

export const BUILDKITE_RAW_READERS: Record<string, RawRunReader> = {
  bk_build: {
    provider: 'buildkite',
    read: (payload, project) => {
      const { build, problem } = readBuild(payload);
      if (build === null) return { refused: problem ?? 'unreadable' };
      return { ...normalizeBuild(project, build), steps: stepsOfBuild(build) };
    },
  },
};
