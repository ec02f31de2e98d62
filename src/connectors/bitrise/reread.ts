// Bitrise raw payloads read again offline (`buildlens renormalize`), by the kind they are stored as. A
// pipeline is read without its earlier attempts' builds: the jobs those made stay as the sync stored them.
import type { RawRunReader } from '../contract.js';
import { readItem } from './api.js';
import { normalizeBuild, normalizePipeline } from './normalize.js';
import { build, pipelineShow } from './wire.js';

export const BITRISE_RAW_READERS: Record<string, RawRunReader> = {
  build: {
    provider: 'bitrise',
    read: (payload, project) => {
      const read = readItem(build, 'build', payload);
      return 'item' in read
        ? { run: normalizeBuild(project.key, read.item), jobs: [] }
        : { refused: read.refused.reason };
    },
  },
  pipeline: {
    provider: 'bitrise',
    read: (payload, project) => {
      const read = readItem(pipelineShow, 'pipeline', payload);
      return 'item' in read ? normalizePipeline(project.key, read.item) : { refused: read.refused.reason };
    },
  },
};
