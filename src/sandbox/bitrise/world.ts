// The simulated Bitrise account at the sandbox clock: finds apps, builds and pipelines, walks them newest
// first, and applies what clients changed (aborts, artifact pages). Generated history is cached per app-day
// with a bound, so memory stays flat however large the history is.
import type { ProviderContext } from '../provider.js';
import { type App, type ArtifactKind, type Catalog, createCatalog, type TokenRole } from './catalog.js';
import {
  type AppDay,
  abortAt,
  type BuildPlan,
  DAY_MS,
  type DayCounts,
  HistoryGenerator,
  type PipelinePlan,
  type RunPlan,
  utcDay,
} from './generate.js';
import { IdCodec } from './ids.js';
import type { BitriseSwitches } from './switches.js';

/** A build at the current clock: status 0 is on hold or running (ci-apis.md §1.10). */
export interface BuildState {
  status: 0 | 1 | 2 | 3 | 4;
  onHold: boolean;
  startedMs: number | null;
  preparedMs: number | null;
  finishedMs: number | null;
  abortReason: string | null;
}

export type PipelineStatus =
  | 'initializing'
  | 'on_hold'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'aborted'
  | 'succeeded_with_abort';

export interface ArtifactPlan {
  slug: string;
  build: BuildPlan;
  kind: ArtifactKind;
}

interface AbortRequest {
  atMs: number;
  reason: string;
  withSuccess: boolean;
}

const CACHE_LIMIT = 256;

export class BitriseWorld {
  readonly catalog: Catalog;
  readonly ids: IdCodec;
  readonly firstDay: number;
  private readonly generator: HistoryGenerator;
  private readonly cache = new Map<string, AppDay>();
  /** Per app: totals of the days before each day of the window (build and pipeline numbers start at 1). */
  private readonly totals = new Map<number, DayCounts[]>();
  private readonly aborts = new Map<string, AbortRequest>();
  private readonly publicPages = new Map<string, boolean>();

  constructor(
    readonly context: ProviderContext,
    readonly switches: BitriseSwitches,
  ) {
    this.ids = new IdCodec(context.seed);
    this.catalog = createCatalog(context.seed, context.size, this.ids);
    this.firstDay = utcDay(context.anchorMs) - this.catalog.days + 1;
    this.generator = new HistoryGenerator(context.seed, this.catalog, this.ids, context.anchorMs);
  }

  nowMs(): number {
    return this.context.clock.now();
  }

  private lastDay(): number {
    return utcDay(this.nowMs());
  }

  /** The apps a token can see. */
  appsFor(role: TokenRole): readonly App[] {
    return role === 'noApps' ? [] : this.catalog.apps;
  }

  /** Any app by slug, including ones the caller cannot see (the caller decides 403/404). */
  app(slug: string): App | null {
    const fields = this.ids.decode(slug, 'app');
    if (!fields) return null;
    const all = [...this.catalog.apps, this.catalog.hiddenApp];
    return all.find((a) => a.index === fields.app) ?? null;
  }

  appDay(app: App, day: number): AppDay {
    const key = `${app.index}:${day}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const before = this.totalsBefore(app, day);
    const generated = this.generator.appDay(app, day, before.runs + 1);
    this.cache.set(key, generated);
    if (this.cache.size > CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    return generated;
  }

  /** Runs, builds and pipelines of the app on the days before `day` (within the window). */
  private totalsBefore(app: App, day: number): DayCounts {
    let totals = this.totals.get(app.index);
    if (!totals) {
      totals = [{ runs: 0, builds: 0, pipelines: 0 }];
      this.totals.set(app.index, totals);
    }
    const index = day - this.firstDay;
    while (totals.length <= index) {
      const last = totals[totals.length - 1] as DayCounts;
      const counts = this.generator.counts(app, this.firstDay + totals.length - 1);
      totals.push({
        runs: last.runs + counts.runs,
        builds: last.builds + counts.builds,
        pipelines: last.pipelines + counts.pipelines,
      });
    }
    return totals[Math.max(0, index)] as DayCounts;
  }

  /** A build visible at the current clock, by slug, within the app. */
  build(app: App, slug: string): BuildPlan | null {
    const build = this.anyBuild(slug);
    return build?.app === app ? build : null;
  }

  /** Any visible build by slug (for cross-app cursors): older builds have hex slugs, current ones UUIDs. */
  anyBuild(slug: string): BuildPlan | null {
    const f = this.ids.decode(slug, 'build') ?? this.ids.decodeUuid(slug, 'build');
    const app = f ? this.catalog.apps.find((a) => a.index === f.app) : undefined;
    const build = f && app ? this.buildAt(app, f.day, f.run, f.sub) : null;
    return build?.slug === slug ? build : null;
  }

  private buildAt(app: App, day: number, run: number, wf: number): BuildPlan | null {
    if (day < this.firstDay || day > this.lastDay()) return null;
    const planned = this.appDay(app, day).runs[run];
    const build =
      planned?.kind === 'build' ? (wf === 0 ? planned.build : undefined) : planned?.pipeline.builds[wf];
    return build && this.visible(build.triggeredUs) ? build : null;
  }

  pipeline(app: App, id: string): PipelinePlan | null {
    const f = this.ids.decodeUuid(id, 'pipeline');
    if (!f || f.app !== app.index || f.day < this.firstDay || f.day > this.lastDay()) return null;
    const planned = this.appDay(app, f.day).runs[f.run];
    return planned?.kind === 'pipeline' && this.visible(planned.triggeredUs) ? planned.pipeline : null;
  }

  /** The run a build belongs to (itself when standalone). */
  runOf(build: BuildPlan): RunPlan {
    return this.appDay(build.app, build.day).runs[build.run] as RunPlan;
  }

  private visible(triggeredUs: number): boolean {
    return triggeredUs <= this.nowMs() * 1000;
  }

  /** The build's timeline after client aborts, including a pipeline's later stages that then never run. */
  private timeline(build: BuildPlan): BuildPlan {
    const own = this.aborts.get(build.slug);
    let effective = build;
    if (own && own.atMs < build.finishedMs) {
      effective = { ...build };
      abortAt(effective, own.atMs, own.reason, own.withSuccess ? 4 : 3);
    }
    if (!build.pipeline) return effective;
    const run = this.runOf(build);
    if (run.kind !== 'pipeline') return effective;
    // A workflow that had not started when another of its pipeline was aborted never starts.
    for (const other of run.pipeline.builds) {
      const request = this.aborts.get(other.slug);
      if (!request || other === build) continue;
      const started = effective.startedMs;
      if (request.atMs < effective.finishedMs && (started === null || started > request.atMs)) {
        effective = { ...effective };
        abortAt(effective, request.atMs, 'Aborted: the pipeline was aborted before this workflow started');
      }
    }
    return effective;
  }

  /** When the build ends (or ended), after client aborts; may lie in the future. */
  timelineEnd(build: BuildPlan): number {
    return this.timeline(build).finishedMs;
  }

  state(build: BuildPlan): BuildState {
    const t = this.timeline(build);
    const now = this.nowMs();
    if (t.finishedMs <= now) {
      return {
        status: t.result,
        onHold: false,
        startedMs: t.startedMs,
        preparedMs: t.preparedMs,
        finishedMs: t.finishedMs,
        abortReason: t.abortReason,
      };
    }
    const started = t.startedMs !== null && t.startedMs <= now;
    return {
      status: 0,
      onHold: !started,
      startedMs: started ? t.startedMs : null,
      preparedMs: t.preparedMs !== null && t.preparedMs <= now ? t.preparedMs : null,
      finishedMs: null,
      abortReason: null,
    };
  }

  /** Aborts an unfinished build now; false when it had already finished. */
  abort(build: BuildPlan, reason: string, withSuccess: boolean): boolean {
    if (this.state(build).finishedMs !== null) return false;
    this.aborts.set(build.slug, { atMs: this.nowMs(), reason, withSuccess });
    return true;
  }

  /** The attempts triggered by now (the latest is the current one). */
  attempts(pipeline: PipelinePlan): PipelinePlan['attempts'] {
    return pipeline.attempts.filter((a) => this.visible(a.triggeredUs));
  }

  /** Each workflow's latest execution triggered by now; null for a skipped workflow. */
  currentBuilds(pipeline: PipelinePlan): (BuildPlan | null)[] {
    return pipeline.workflows.map((w) => w.builds.filter((b) => this.visible(b.triggeredUs)).at(-1) ?? null);
  }

  /** The status of the builds given (a pipeline's current executions, or one attempt's). */
  statusOf(builds: readonly BuildPlan[]): PipelineStatus {
    const states = builds.map((b) => this.state(b));
    if (states.some((s) => s.finishedMs === null)) {
      return states.some((s) => s.startedMs !== null) ? 'running' : 'on_hold';
    }
    if (states.some((s) => s.status === 2)) return 'failed';
    if (states.some((s) => s.status === 3)) return 'aborted';
    if (states.some((s) => s.status === 4)) return 'succeeded_with_abort';
    return 'succeeded';
  }

  /** A pipeline's status is its current attempt's: the latest execution of each workflow decides. */
  pipelineStatus(pipeline: PipelinePlan): PipelineStatus {
    return this.statusOf(this.currentBuilds(pipeline).filter((b): b is BuildPlan => b !== null));
  }

  /** The artifacts a finished build left: outputs on success, test results and logs on failure. */
  artifactsOf(build: BuildPlan): ArtifactPlan[] {
    const state = this.state(build);
    if (state.finishedMs === null || state.startedMs === null || state.status >= 3) return [];
    const kinds = build.artifacts.filter((k) =>
      state.status === 1 ? k !== 'logs' : k === 'logs' || k === 'test-results',
    );
    return kinds.map((kind, i) => ({
      slug: this.ids.encode({
        kind: 'artifact',
        app: build.app.index,
        day: build.day,
        run: build.run,
        sub: (build.wf << 5) | i,
      }),
      build,
      kind,
    }));
  }

  /** Any artifact of a visible build, by slug. */
  artifact(slug: string): ArtifactPlan | null {
    const f = this.ids.decode(slug, 'artifact');
    const app = f ? this.catalog.apps.find((a) => a.index === f.app) : undefined;
    const build = f && app ? this.buildAt(app, f.day, f.run, f.sub >> 5) : null;
    return (build && this.artifactsOf(build).find((a) => a.slug === slug)) ?? null;
  }

  isPublicPage(artifactSlug: string): boolean {
    return this.publicPages.get(artifactSlug) ?? false;
  }

  setPublicPage(artifactSlug: string, enabled: boolean) {
    this.publicPages.set(artifactSlug, enabled);
  }

  /** Visible builds of one app, newest first, triggered within [downToUs, fromUs]. */
  appBuilds(app: App, fromUs = Number.POSITIVE_INFINITY, downToUs = 0): Generator<BuildPlan> {
    return this.newestInApp(app, (d) => d.builds, fromUs, downToUs);
  }

  /** Visible runs (pipelines and standalone builds) of one app, newest first, within [downToUs, fromUs]. */
  appRuns(app: App, fromUs = Number.POSITIVE_INFINITY, downToUs = 0): Generator<RunPlan> {
    return this.newestInApp(app, (d) => d.runs, fromUs, downToUs);
  }

  private *newestInApp<T extends { triggeredUs: number }>(
    app: App,
    itemsOf: (day: AppDay) => T[],
    fromUs: number,
    downToUs: number,
  ): Generator<T> {
    const DAY_US = DAY_MS * 1000;
    const limitUs = Math.min(fromUs, this.nowMs() * 1000);
    const startDay = Math.min(this.lastDay(), Math.floor(limitUs / DAY_US));
    // A rerun registers its build hours after its run, possibly on the next day: a day's items are held
    // until the day before it is read too, then given out newest first.
    let held: T[] = [];
    for (let day = startDay; day >= this.firstDay; day--) {
      if ((day + 2) * DAY_US < downToUs) break;
      const items = itemsOf(this.appDay(app, day)).filter(
        (item) => item.triggeredUs <= limitUs && item.triggeredUs >= downToUs,
      );
      held = [...held, ...items].sort((a, b) => b.triggeredUs - a.triggeredUs);
      const safe = held.findIndex((item) => item.triggeredUs < (day + 1) * DAY_US);
      const ready = safe < 0 ? held.length : safe;
      yield* held.slice(0, ready);
      held = held.slice(ready);
    }
    yield* held;
  }

  /** Visible builds and runs of the app at the current clock, without generating its history. */
  visibleCounts(app: App): { builds: number; runs: number } {
    const today = this.lastDay();
    const before = this.totalsBefore(app, today);
    const now = this.nowMs() * 1000;
    const day = this.appDay(app, today);
    // Yesterday's reruns may register their builds after now.
    const yesterday = today > this.firstDay ? this.appDay(app, today - 1).builds : [];
    return {
      builds:
        before.builds +
        day.builds.filter((b) => b.triggeredUs <= now).length -
        yesterday.filter((b) => b.triggeredUs > now).length,
      runs: before.runs + day.runs.filter((r) => r.triggeredUs <= now).length,
    };
  }
}
/** Merges per-app streams that are each newest first into one stream, newest first (ties: higher app). */
export function* newestFirst<T>(streams: Iterator<T>[], key: (item: T) => [number, number]): Generator<T> {
  const heads = streams.map((s) => s.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (!head || head.done) continue;
      const current = heads[best];
      if (best < 0 || !current || current.done || compareKeys(key(head.value), key(current.value)) > 0)
        best = i;
    }
    const chosen = heads[best];
    if (best < 0 || !chosen || chosen.done) return;
    yield chosen.value;
    heads[best] = streams[best]?.next() ?? { done: true, value: undefined };
  }
}

function compareKeys(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
