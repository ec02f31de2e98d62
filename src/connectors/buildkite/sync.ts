// Reading Buildkite incrementally, one organization at a time. The first sync backfills the lookback
// window; later ones list what was created since the organization's high-water mark and what finished
// since its finish mark (so a build retried after it had finished is read again), both minus an overlap
// for late writes. Runs the store still holds as unfinished are re-read: in bulk by listing the builds
// still in flight, then one by one for any not seen that way. Every list includes retried jobs. No list
// reaches before the lookback window, and the in-flight one not before the window in which blocked builds
// are re-checked (DESIGN.md "Blocked build"): builds older than that are left as they are.
import { z } from 'zod';
import { BLOCKED_RECHECK_DAYS, type Project, type RawPayload } from '../../domain/model.js';
import { type Batch, emptyBatch, filled } from '../batches.js';
import type { PendingRun, SyncEvent, SyncInput } from '../contract.js';
import { ApiError } from '../http.js';
import { epochMicros } from '../time.js';
import type { BuildItem, BuildkiteApi, BuildQuery } from './api.js';
import { normalizeBuild, normalizePipeline } from './normalize.js';
import { stepsOfBuild } from './steps.js';
import { type Build, type Pipeline, rfc3339 } from './wire.js';

/** Re-read this far behind a mark: a build written late must still be seen. */
const OVERLAP_MS = 5 * 60_000;
/** Builds that can still change, as the list filter names them (blocked builds can be resumed). */
const IN_FLIGHT = ['creating', 'scheduled', 'running', 'failing', 'canceling', 'blocked'];
const PENDING_BATCH = 50;

const orgMarks = z.object({
  /** Latest created_at seen (RFC 3339). */
  created: z.string().nullable(),
  /** Latest finished_at seen. */
  finished: z.string().nullable(),
});
type OrgMarks = z.infer<typeof orgMarks>;
const buildkiteState = z.object({ version: z.literal(1), orgs: z.record(z.string(), orgMarks) });
export type BuildkiteState = z.infer<typeof buildkiteState>;

export interface SyncSettings {
  /** One organization, or null for every organization the token may read. */
  org: string | null;
  now: () => number;
  log: (line: string) => void;
}

export async function* syncBuildkite(
  api: BuildkiteApi,
  input: SyncInput,
  settings: SyncSettings,
): AsyncGenerator<SyncEvent> {
  const state = readState(input.state, settings.log);
  const orgs = settings.org ? [settings.org] : await listAll(api.organizations(), (o) => o.slug);
  const pipelines = new Map<string, Map<string, Pipeline>>();
  for (const org of orgs) {
    const list = await listAll(api.pipelines(org), (p) => p);
    pipelines.set(org, new Map(list.map((p) => [p.slug, p])));
  }
  yield projectsEvent(
    orgs.flatMap((org) => [...(pipelines.get(org)?.values() ?? [])].map((p) => [org, p] as const)),
  );

  const orgOfPipeline = new Map<string, string>();
  for (const [org, bySlug] of pipelines) for (const p of bySlug.values()) orgOfPipeline.set(p.id, org);
  const pendingByOrg = new Map<string, PendingRun[]>();
  for (const run of input.pending) {
    const org = orgOfPipeline.get(run.projectKey);
    if (org === undefined) {
      settings.log(
        `pipeline ${run.projectKey} is no longer listed: its unfinished build ${run.key} stays as it is`,
      );
      continue;
    }
    pendingByOrg.set(org, [...(pendingByOrg.get(org) ?? []), run]);
  }

  const daysAgo = (days: number) => new Date(settings.now() - days * 86_400_000).toISOString();
  const lookbackStart = daysAgo(input.lookbackDays);
  const recheckStart = daysAgo(Math.min(input.lookbackDays, BLOCKED_RECHECK_DAYS));
  for (const org of orgs) {
    const known = pipelines.get(org) as Map<string, Pipeline>;
    const reader = new OrgReader(api, org, known, state.orgs[org], settings.log);
    yield* reader.list({ createdFrom: reader.since('created') ?? lookbackStart });
    const finishedFrom = reader.since('finished');
    if (finishedFrom !== null) yield* reader.list({ finishedFrom, createdFrom: lookbackStart });
    const pending = (pendingByOrg.get(org) ?? []).filter((run) => !reader.seen.has(run.key));
    if (pending.length > 0) yield* reader.list({ states: IN_FLIGHT, createdFrom: recheckStart });
    yield* reader.fetchEach(pending.filter((run) => !reader.seen.has(run.key)));
    // Only now, with every batch of this organization taken, may the state claim them.
    state.orgs[org] = reader.marks;
    yield { type: 'checkpoint', state: structuredClone(state) };
    for (const p of known.values()) yield { type: 'project_done', projectKey: p.id };
  }
}

function readState(value: unknown, log: (line: string) => void): BuildkiteState {
  if (value === null || value === undefined) return { version: 1, orgs: {} };
  const parsed = buildkiteState.safeParse(value);
  if (parsed.success) return parsed.data;
  log('the saved sync state is not one this version reads: reading the lookback window again');
  return { version: 1, orgs: {} };
}

async function listAll<T, U>(pages: AsyncGenerator<T[]>, map: (item: T) => U): Promise<U[]> {
  const out: U[] = [];
  for await (const page of pages) out.push(...page.map(map));
  return out;
}

function projectsEvent(pipelines: readonly (readonly [string, Pipeline])[]): SyncEvent {
  const projects: Project[] = pipelines.map(([org, p]) => normalizePipeline(org, p));
  const raw: RawPayload[] = pipelines.map(([, p]) => ({ kind: 'bk_pipeline', key: p.id, payload: p }));
  return { type: 'projects', projects, raw };
}

/** The pipeline slug in a build's API URL (lists omit the pipeline object). */
const BUILD_URL = /\/organizations\/[^/]+\/pipelines\/([^/]+)\/builds\/\d+$/;
/** The same in its web URL, `https://buildkite.com/{org}/{pipeline}/builds/{number}`. */
const WEB_URL = /^https?:\/\/[^/]+\/[^/]+\/([^/]+)\/builds\/\d+/;

/**
 * Which pipeline a build belongs to: its pipeline object when it carries one, else the slug in its API URL,
 * else in its web URL (lists leave the pipeline object out).
 */
function pipelineSlugOf(build: Build): string | null {
  if (build.pipeline) return build.pipeline.slug;
  const slug = BUILD_URL.exec(build.url ?? '')?.[1] ?? WEB_URL.exec(build.web_url ?? '')?.[1];
  return slug ? decodeURIComponent(slug) : null;
}

const later = (mark: string | null, time: string | null | undefined): string | null => {
  const at = time ? rfc3339(time) : null;
  return at !== null && (mark === null || epochMicros(at) > epochMicros(mark)) ? at : mark;
};

class OrgReader {
  readonly seen = new Set<string>();
  readonly marks: OrgMarks;

  constructor(
    private readonly api: BuildkiteApi,
    private readonly org: string,
    private readonly pipelines: Map<string, Pipeline>,
    private readonly previous: OrgMarks | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.marks = { created: previous?.created ?? null, finished: previous?.finished ?? null };
  }

  /** Where an incremental list starts: the previous mark minus the overlap; null before any mark. */
  since(mark: keyof OrgMarks): string | null {
    const at = this.previous?.[mark];
    return at ? new Date(Math.floor(epochMicros(at) / 1000) - OVERLAP_MS).toISOString() : null;
  }

  async *list(query: BuildQuery): AsyncGenerator<SyncEvent> {
    for await (const page of this.api.builds(this.org, query)) {
      const batch = emptyBatch();
      for (const item of page) yield* this.add(batch, item);
      if (filled(batch)) yield batch;
    }
  }

  /** Pending runs no list returned: each read on its own; one that is gone stays as it was. */
  async *fetchEach(runs: readonly PendingRun[]): AsyncGenerator<SyncEvent> {
    const slugs = new Map([...this.pipelines.values()].map((p) => [p.id, p.slug]));
    let batch = emptyBatch();
    for (const run of runs) {
      const slug = slugs.get(run.projectKey);
      if (slug === undefined || run.number === null) continue;
      try {
        yield* this.add(batch, await this.api.build(this.org, slug, run.number));
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        this.log(`build ${slug}#${run.number} of ${this.org} no longer exists (404): left as it was`);
      }
      if (batch.runs.length >= PENDING_BATCH) {
        yield batch;
        batch = emptyBatch();
      }
    }
    if (filled(batch)) yield batch;
  }

  /**
   * Normalizes a build into the batch, or refuses it when it cannot be a run; a pipeline created since the
   * listing is read and announced first.
   */
  private async *add(batch: Batch, { raw, build, problem }: BuildItem): AsyncGenerator<SyncEvent> {
    const slug = build === null ? null : pipelineSlugOf(build);
    if (build === null || slug === null) {
      const key =
        typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : null;
      const reason = problem ?? 'names no pipeline (no url, pipeline or web_url)';
      batch.refused.push({ kind: 'bk_build', key, reason, payload: raw });
      return;
    }
    if (this.seen.has(build.id)) return;
    this.seen.add(build.id);
    this.marks.created = later(this.marks.created, build.created_at);
    this.marks.finished = later(this.marks.finished, build.finished_at);
    let pipeline = this.pipelines.get(slug);
    if (!pipeline) {
      pipeline = build.pipeline ?? (await this.api.pipeline(this.org, slug));
      this.pipelines.set(pipeline.slug, pipeline);
      yield projectsEvent([[this.org, pipeline]]);
    }
    const project = normalizePipeline(this.org, pipeline);
    const { run, jobs } = normalizeBuild({ key: project.key, name: project.name }, build);
    batch.runs.push(run);
    batch.jobs.push(...jobs);
    batch.steps?.push(...stepsOfBuild(build));
    batch.raw.push({ kind: 'bk_build', key: build.id, payload: raw });
  }
}
