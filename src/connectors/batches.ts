// The batch events both connectors build up and hand on (src/connectors/contract.ts).
import type { Job, RawPayload, RefusedPayload, Run, Step } from '../domain/model.js';
import type { SyncEvent } from './contract.js';

export type Batch = Extract<SyncEvent, { type: 'batch' }> & {
  refused: RefusedPayload[];
  wholeJobs: string[];
};

/** An empty batch, starting with the payloads a page refused. */
export const emptyBatch = (refused: readonly RefusedPayload[] = []): Batch => ({
  type: 'batch',
  runs: [] as Run[],
  jobs: [] as Job[],
  steps: [] as Step[],
  raw: [] as RawPayload[],
  refused: [...refused],
  wholeJobs: [],
});

/** A batch worth handing on: it has runs, or payloads refused as runs. */
export const filled = (batch: Batch) => batch.runs.length > 0 || batch.refused.length > 0;
