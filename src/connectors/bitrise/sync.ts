// Reading Bitrise incrementally. The first sync backfills the lookback window; later ones ask only for what
// was triggered since each app's high-water marks (minus an overlap for clock skew), and re-fetch every run
// the store still holds as unfinished, so no status stays stale. A pipeline is one run whose workflow builds
// are its jobs; the builds list also returns those builds, and they are never made runs of their own.
import { z } from 'zod';
import { type Batch, emptyBatch, filled } from '../batches.js';
import { mergeLimited } from '../concurrency.js';
import type { PendingRun, SyncEvent, SyncInput } from '../contract.js';
import { ApiError } from '../http.js';
import { epochMicros } from '../time.js';
import type { BitriseApi, Fetched, Read } from './api.js';
import { normalizeApp, normalizeBuild, normalizePipeline } from './normalize.js';
import type { App, Build, PipelineShow } from './wire.js';

/** Re-read this far behind a high-water mark: a run registered late must still be seen. */
const OVERLAP_MS = 5 * 60_000;
/** Runs re-fetched one by one are handed on in batches of this many. */
const PENDING_BATCH = 50;

/** Where one app's reading stopped: the latest triggered_at seen per list (null: nothing seen yet). */
const appMarks = z.object({
  builds: z.string().nullable(),
  pipelines: z.string().nullable(),
  /** Pipelines finished when last read that the overlap will list again: no need to fetch them again. */
  settled: z.array(z.string()),
});
type AppMarks = z.infer<typeof appMarks>;
const bitriseState = z.object({ version: z.literal(1), apps: z.record(z.string(), appMarks) });
export type BitriseState = z.infer<typeof bitriseState>;

export interface SyncSettings {
  concurrency: number;
  now: () => number;
  log: (line: string) => void;
}

export async function* syncBitrise(
  api: BitriseApi,
  input: SyncInput,
  settings: SyncSettings,
): AsyncGenerator<SyncEvent> {
  const state = readState(input.state, settings.log);
  const listed = await listApps(api, settings.log);
  const only = input.projects;
  const reads = only ? listed.filter((read) => only.includes(read.item.slug)) : listed;
  const apps = reads.map((read) => read.item);
  yield {
    type: 'projects',
    projects: apps.map(normalizeApp),
    raw: reads.map(({ item, raw }) => ({ kind: 'app', key: item.slug, payload: raw })),
  };

  const pendingByApp = new Map<string, PendingRun[]>();
  for (const run of input.pending) {
    const runs = pendingByApp.get(run.projectKey) ?? [];
    runs.push(run);
    pendingByApp.set(run.projectKey, runs);
  }
  for (const key of pendingByApp.keys()) {
    if (!listed.some((read) => read.item.slug === key)) {
      settings.log(`app ${key} is no longer listed: its unfinished runs stay as they are`);
    }
  }
  const lookbackStartMs = settings.now() - input.lookbackDays * 86_400_000;
  const readApp = (app: App) =>
    async function* (): AsyncGenerator<SyncEvent> {
      const marks = yield* readAppRuns(
        api,
        app.slug,
        state.apps[app.slug],
        pendingByApp.get(app.slug) ?? [],
        lookbackStartMs,
        settings.log,
      );
      // Only now, with every batch of this app taken, may the state claim them.
      state.apps[app.slug] = marks;
      yield { type: 'checkpoint', state: structuredClone(state) };
      yield { type: 'project_done', projectKey: app.slug };
    };
  yield* mergeLimited(apps.map(readApp), settings.concurrency);
}

function readState(value: unknown, log: (line: string) => void): BitriseState {
  if (value === null || value === undefined) return { version: 1, apps: {} };
  const parsed = bitriseState.safeParse(value);
  if (parsed.success) return parsed.data;
  log('the saved sync state is not one this version reads: reading the lookback window again');
  return { version: 1, apps: {} };
}

async function listApps(api: BitriseApi, log: (line: string) => void): Promise<Read<App>[]> {
  const apps = new Map<string, Read<App>>();
  for await (const page of api.apps()) {
    for (const read of page.items) apps.set(read.item.slug, read);
    for (const refused of page.refused) log(`an app could not be read and is skipped: ${refused.reason}`);
  }
  return [...apps.values()];
}

/** One app: pipelines first (their workflow builds must be known before the builds list), then builds, then pending runs. */
async function* readAppRuns(
  api: BitriseApi,
  appSlug: string,
  marks: AppMarks | undefined,
  pending: PendingRun[],
  lookbackStartMs: number,
  log: (line: string) => void,
): AsyncGenerator<Batch, AppMarks> {
  const returned = new Set<string>();
  const jobKeys = new Set<string>();
  const finishedPipelines: { id: string; triggeredAt: string }[] = [];
  const settledBefore = new Set(marks?.settled ?? []);
  let pipelinesMark = marks?.pipelines ?? null;
  let buildsMark = marks?.builds ?? null;
  const reader = new PipelineReader(api, appSlug, jobKeys);

  const pipelinesAfter = new Date(readFrom(marks?.pipelines ?? null, lookbackStartMs)).toISOString();
  for await (const page of api.pipelines(appSlug, pipelinesAfter)) {
    const batch = emptyBatch(page.refused);
    for (const { item } of page.items) {
      pipelinesMark = later(pipelinesMark, item.triggered_at);
      // Standalone builds come from the builds list, with their full fields.
      if (item.is_pipeline === false || returned.has(item.slug)) continue;
      returned.add(item.slug);
      if (item.finished_at && settledBefore.has(item.slug)) {
        finishedPipelines.push({ id: item.slug, triggeredAt: item.triggered_at });
        continue;
      }
      const show = await reader.read(batch, item.slug, item.is_pipeline !== true);
      if (show?.finished_at) finishedPipelines.push({ id: item.slug, triggeredAt: item.triggered_at });
    }
    if (filled(batch)) yield batch;
  }

  const buildsAfter = Math.floor(readFrom(marks?.builds ?? null, lookbackStartMs) / 1000);
  for await (const page of api.builds(appSlug, buildsAfter)) {
    const batch = emptyBatch(page.refused);
    for (const { item, raw } of page.items) {
      buildsMark = later(buildsMark, item.triggered_at);
      if (returned.has(item.slug) || isPipelineBuild(item, jobKeys)) continue;
      returned.add(item.slug);
      addBuild(batch, appSlug, item, raw);
    }
    if (filled(batch)) yield batch;
  }

  let batch = emptyBatch();
  for (const run of pending) {
    if (returned.has(run.key)) continue;
    try {
      if (run.kind === 'pipeline') await reader.read(batch, run.key, false);
      else {
        const fetched = await api.build(appSlug, run.key);
        if ('refused' in fetched) batch.refused.push(fetched.refused);
        else addBuild(batch, appSlug, fetched.item, fetched.raw);
      }
    } catch (error) {
      // Gone from the provider: nothing can update it, and failing every later sync would not help.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      log(`${run.kind} ${run.key} of app ${appSlug} no longer exists (404): left as it was`);
    }
    if (batch.runs.length >= PENDING_BATCH) {
      yield batch;
      batch = emptyBatch();
    }
  }
  if (filled(batch)) yield batch;

  const overlapStart = pipelinesMark ? epochMicros(pipelinesMark) - OVERLAP_MS * 1000 : 0;
  return {
    builds: buildsMark,
    pipelines: pipelinesMark,
    settled: finishedPipelines.filter((p) => epochMicros(p.triggeredAt) >= overlapStart).map((p) => p.id),
  };
}

/**
 * Reads pipelines into batches: the show, and for a pipeline that was rerun the workflow builds of its
 * earlier attempts, which share its number (the show lists only the current attempt's).
 */
class PipelineReader {
  constructor(
    private readonly api: BitriseApi,
    private readonly appSlug: string,
    private readonly jobKeys: Set<string>,
  ) {}

  /** The show read into the batch, or null when refused, or absent while `mayBeBuild` (not a pipeline). */
  async read(batch: Batch, id: string, mayBeBuild: boolean): Promise<PipelineShow | null> {
    let fetched: Fetched<PipelineShow>;
    try {
      fetched = await this.api.pipeline(this.appSlug, id);
    } catch (error) {
      // A list item that did not say whether it is a pipeline, and is not one: a standalone build.
      if (mayBeBuild && error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
    if ('refused' in fetched) {
      batch.refused.push(fetched.refused);
      return null;
    }
    const show = fetched.item;
    const earlier = await this.earlierAttemptBuilds(batch, show);
    const { run, jobs } = normalizePipeline(
      this.appSlug,
      show,
      earlier.map((b) => b.item),
    );
    batch.runs.push(run);
    batch.jobs.push(...jobs);
    batch.wholeJobs.push(run.key);
    batch.raw.push({ kind: 'pipeline', key: show.id, payload: fetched.raw });
    for (const { item, raw } of earlier)
      batch.raw.push({ kind: 'pipeline_build', key: item.slug, payload: raw });
    for (const job of jobs) this.jobKeys.add(job.key);
    return show;
  }

  /** Builds of the show's number, when it was rerun; those that cannot be read are refused like runs. */
  private async earlierAttemptBuilds(batch: Batch, show: PipelineShow): Promise<Read<Build>[]> {
    const attempts = (show.attempts ?? []).filter(Boolean).length;
    if (attempts < 2 || show.number_in_app_scope === null || show.number_in_app_scope === undefined)
      return [];
    const builds: Read<Build>[] = [];
    for await (const page of this.api.buildsNumbered(this.appSlug, show.number_in_app_scope)) {
      builds.push(...page.items.filter(({ item }) => Boolean(item.pipeline_workflow_id)));
      batch.refused.push(...page.refused);
    }
    return builds;
  }
}

function addBuild(batch: Batch, appSlug: string, build: Build, raw: unknown) {
  batch.runs.push(normalizeBuild(appSlug, build));
  batch.raw.push({ kind: 'build', key: build.slug, payload: raw });
}

/** A workflow build of a pipeline: Bitrise marks it with pipeline_workflow_id; a pipeline read here names it too. */
function isPipelineBuild(build: Build, jobKeys: Set<string>): boolean {
  return Boolean(build.pipeline_workflow_id) || jobKeys.has(build.slug);
}

/** Where a list starts: the lookback window on a first read, else the mark minus the overlap. */
function readFrom(mark: string | null, lookbackStartMs: number): number {
  return mark === null ? lookbackStartMs : Math.floor(epochMicros(mark) / 1000) - OVERLAP_MS;
}

function later(mark: string | null, time: string): string {
  return mark === null || epochMicros(time) > epochMicros(mark) ? time : mark;
}
