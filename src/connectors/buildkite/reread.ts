// Buildkite raw payloads read again offline (`buildlens renormalize`), by the kind they are stored as.
import type { RawRunReader } from '../contract.js';
import { readBuild } from './api.js';
import { normalizeBuild } from './normalize.js';

export const BUILDKITE_RAW_READERS: Record<string, RawRunReader> = {
  bk_build: {
    provider: 'buildkite',
    read: (payload, project) => {
      const { build, problem } = readBuild(payload);
      return build === null ? { refused: problem ?? 'unreadable' } : normalizeBuild(project, build);
    },
  },
};
