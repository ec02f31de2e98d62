// Bitrise raw payloads read again offline (`buildlens renormalize`), by the kind they are stored as. A
// pipeline is read with its earlier attempts' builds, kept by the sync as `pipeline_build` payloads.
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
    partsKind: 'pipeline_build',
    read: (payload, project, parts) => {
      const read = readItem(pipelineShow, 'pipeline', payload);
      if (!('item' in read)) return { refused: read.refused.reason };
      const earlier = parts.map((part) => readItem(build, 'build', part));
      const builds = earlier.flatMap((b) => ('item' in b ? [b.item] : []));
      // An earlier build no longer readable keeps its stored job: the jobs read are then not all of them.
      return {
        ...normalizePipeline(project.key, read.item, builds),
        wholeJobs: builds.length === parts.length,
      };
    },
  },
};
