// The simulated Buildkite account: organizations, pipelines, people, agents, and every build they ever
// run. Builds are generated per (pipeline, UTC day) from the seed alone, so any day can be produced on
// its own and large worlds are only generated where a request looks. The world is the ground truth tests
// compare the API (and everything downstream) with.
import type { SandboxSize } from '../provider.js';
import { hash, hexOf, Random, uuidOf } from '../random.js';
import { branchName, commitMessage, manualAbortReason, PEOPLE, sha } from '../vocabulary.js';
import { CANCEL_REASONS_AUTO, PIPELINE_TEMPLATES, type PipelineTemplate } from './catalog.js';
import { DayCache } from './day-cache.js';
import { type Agent, type Person, planTimeline, type Scenario, type Timeline } from './plan.js';

export interface Org {
  index: number;
  id: string;
  slug: string;
  name: string;
  createdAt: number;
  pipelines: Pipeline[];
  people: Person[];
  agents: Agent[];
}

export interface Pipeline {
  /** Position across all organizations; part of every seed of this pipeline's builds. */
  index: number;
  id: string;
  slug: string;
  name: string;
  orgSlug: string;
  template: PipelineTemplate;
  repository: string;
  defaultBranch: string;
  createdAt: number;
  createdBy: Person;
  /** Number of the first generated build: the pipeline existed before the simulated history. */
  firstNumber: number;
  /** Mean builds per weekday. */
  activity: number;
}

export type Source = 'webhook' | 'ui' | 'api' | 'schedule';

export interface BuildPlan extends Timeline {
  id: string;
  number: number;
  org: Org;
  pipeline: Pipeline;
  createdAt: number;
  scenario: Scenario;
  branch: string;
  commit: string;
  message: string;
  source: Source;
  creator: Person | null;
  creatorId: string | null;
  author: { username: string; name: string; email: string } | null;
  pullRequest: { id: string; base: string; repository: string } | null;
  metaData: Record<string, string>;
  env: Record<string, string>;
  rebuiltFrom: { id: string; number: number } | null;
}

/** What listing and filtering need; kept for every generated build (plans with jobs are regenerated). */
export type BuildSummary = Pick<
  BuildPlan,
  'id' | 'number' | 'createdAt' | 'branch' | 'commit' | 'creatorId' | 'metaData' | 'phases' | 'pipeline'
>;

interface SizeSpec {
  pipelinesPerOrg: readonly number[];
  historyDays: number;
  buildsPerDay: number;
}

// Weekends run a quarter of a weekday's builds, so a pipeline's days average 0.79 weekdays: medium holds
// about 28,000 builds (on par with the Bitrise sandbox), large about 1,000,000.
const SIZES: Record<SandboxSize, SizeSpec> = {
  small: { pipelinesPerOrg: [3, 2], historyDays: 14, buildsPerDay: 5 },
  medium: { pipelinesPerOrg: [6, 3], historyDays: 200, buildsPerDay: 20 },
  large: { pipelinesPerOrg: [8, 6], historyDays: 365, buildsPerDay: 250 },
};

/** Builds held by the caches of generated days: full plans (with jobs) and the lighter summaries. */
const PLAN_CACHE_BUILDS = 10_000;
const SUMMARY_CACHE_BUILDS = 100_000;

const ORGS = [
  { slug: 'acme', name: 'Acme Corp' },
  { slug: 'globex', name: 'Globex <Labs> & Co' },
];

const QUEUES: Record<string, number> = { default: 8, macos: 3, builder: 4, deploy: 2, emulator: 2 };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Builds that exist around the anchor on purpose, so a fresh sandbox always has work in flight. */
interface LiveBuild {
  orgIndex: number;
  pipelineOffset: number;
  offsetMs: number;
  scenario: Scenario;
  defaultBranch: boolean;
  /** Agents are busy: the first jobs wait minutes for one. */
  busy: boolean;
  unblockAfterMs: number | null;
}

const LIVE_BUILDS: readonly LiveBuild[] = [
  {
    orgIndex: 0,
    pipelineOffset: 0,
    offsetMs: -4 * MINUTE,
    scenario: 'pass',
    defaultBranch: true,
    busy: false,
    unblockAfterMs: 40 * MINUTE,
  },
  {
    orgIndex: 0,
    pipelineOffset: 0,
    offsetMs: -30 * SECOND,
    scenario: 'pass',
    defaultBranch: false,
    busy: true,
    unblockAfterMs: null,
  },
  {
    orgIndex: 0,
    pipelineOffset: 0,
    offsetMs: 2 * MINUTE,
    scenario: 'pass',
    defaultBranch: false,
    busy: false,
    unblockAfterMs: null,
  },
  {
    orgIndex: 0,
    pipelineOffset: 1,
    offsetMs: -9 * MINUTE,
    scenario: 'fail',
    defaultBranch: false,
    busy: false,
    unblockAfterMs: null,
  },
  {
    orgIndex: 0,
    pipelineOffset: 1,
    offsetMs: 7 * MINUTE,
    scenario: 'pass',
    defaultBranch: true,
    busy: false,
    unblockAfterMs: null,
  },
  {
    orgIndex: 0,
    pipelineOffset: 2,
    offsetMs: -25 * MINUTE,
    scenario: 'pass',
    defaultBranch: true,
    busy: false,
    unblockAfterMs: 45 * MINUTE,
  },
  {
    orgIndex: 1,
    pipelineOffset: 0,
    offsetMs: -6 * MINUTE,
    scenario: 'auto_retry',
    defaultBranch: false,
    busy: false,
    unblockAfterMs: null,
  },
];

const SCENARIO_WEIGHTS: ReadonlyArray<readonly [Scenario, number]> = [
  ['pass', 58],
  ['fail', 11],
  ['soft_fail', 6],
  ['auto_retry', 5],
  ['manual_retry', 3],
  ['cancel_manual', 3],
  ['cancel_auto', 4],
  ['skipped', 3],
  ['not_run', 2],
  ['timed_out', 2],
  ['expired', 1],
];

export function graphqlId(type: string, id: string): string {
  return Buffer.from(`${type}---${id}`).toString('base64');
}

const dayOf = (ms: number) => Math.floor(ms / DAY);

/** Share of a day's builds created in each UTC hour: a working day with a busy afternoon. */
const HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 10, 12, 12, 11, 9, 6, 4, 3, 2, 1, 1];
const isWeekend = (day: number) => [0, 6].includes(new Date(day * DAY).getUTCDay());
/** Afternoons on weekdays, when every team pushes at once and agents run short. */
const isBusy = (t: number) => {
  const hour = new Date(t).getUTCHours();
  return !isWeekend(dayOf(t)) && hour >= 13 && hour < 18;
};

export interface BuildkiteWorld {
  seed: number;
  anchorMs: number;
  orgs: readonly Org[];
  org(slug: string): Org | undefined;
  pipeline(orgSlug: string, slug: string): Pipeline | undefined;
  /** Summaries of the builds created in [fromMs, toMs) (toMs finite), newest first. */
  summaries(pipelines: readonly Pipeline[], fromMs: number, toMs: number): BuildSummary[];
  /** `limit` of those summaries from the `offset`th on; days wholly before the offset are only counted. */
  slice(
    pipelines: readonly Pipeline[],
    fromMs: number,
    toMs: number,
    offset: number,
    limit: number,
  ): BuildSummary[];
  /** How many builds were created in [fromMs, toMs); only the days the bounds cut through are generated. */
  count(pipelines: readonly Pipeline[], fromMs: number, toMs: number): number;
  /** The full plan behind a summary (regenerated when not cached). */
  plan(summary: BuildSummary): BuildPlan;
  /** One build by pipeline and number, whether or not it exists yet at any given time. */
  byNumber(pipeline: Pipeline, number: number): BuildPlan | null;
  /** Builds generated so far, regenerations included: how much of the history requests made it produce. */
  generated(): number;
  /** Ground truth: every build of these pipelines created by `now` (and from `fromMs`), newest first. */
  buildsAt(now: number, pipelines?: readonly Pipeline[], fromMs?: number): BuildPlan[];
}

export function createBuildkiteWorld(
  seed: number,
  size: SandboxSize,
  anchorMs: number,
  /** Organizations (default: the size's); more repeat its pipeline counts, named org-2, org-3… */
  orgCount?: number,
): BuildkiteWorld {
  const sized = SIZES[size];
  const spec = orgCount
    ? {
        ...sized,
        pipelinesPerOrg: Array.from(
          { length: orgCount },
          (_, i) => sized.pipelinesPerOrg[i % sized.pipelinesPerOrg.length] as number,
        ),
      }
    : sized;
  const firstDay = dayOf(anchorMs) - spec.historyDays;
  const orgs = createOrgs(seed, spec, anchorMs);
  const allPipelines = orgs.flatMap((o) => o.pipelines);

  const counts = new Map<number, number[]>();
  const summaryCache = new DayCache<BuildSummary>(SUMMARY_CACHE_BUILDS);
  const planCache = new DayCache<BuildPlan>(PLAN_CACHE_BUILDS);
  let generated = 0;

  // Live builds get sub-second offsets too: Buildkite times carry milliseconds.
  const liveAt = (live: LiveBuild) =>
    anchorMs + live.offsetMs + (hash(seed, 'buildkite', 'live', live.offsetMs) % 1000);
  const liveOf = (pipeline: Pipeline) =>
    LIVE_BUILDS.filter((live) => {
      const org = orgs[live.orgIndex];
      return org !== undefined && org.pipelines[live.pipelineOffset] === pipeline;
    });

  /** Builds of one pipeline on one day: a weekday/weekend rate plus the live builds that fall on it. */
  function dayCount(pipeline: Pipeline, day: number): number {
    if (day < firstDay) return 0;
    const rng = new Random(seed, 'buildkite', 'count', pipeline.index, day);
    const mean = pipeline.activity * (isWeekend(day) ? 0.25 : 1);
    const live = liveOf(pipeline).filter((l) => dayOf(liveAt(l)) === day).length;
    return rng.poisson(mean) + live;
  }

  /** Builds of the pipeline on days before `day` (prefix sums grow as later days are asked for). */
  function countBefore(pipeline: Pipeline, day: number): number {
    let prefix = counts.get(pipeline.index);
    if (!prefix) {
      prefix = [0];
      counts.set(pipeline.index, prefix);
    }
    while (firstDay + prefix.length - 1 < day) {
      const d = firstDay + prefix.length - 1;
      prefix.push((prefix[prefix.length - 1] ?? 0) + dayCount(pipeline, d));
    }
    return day <= firstDay ? 0 : (prefix[day - firstDay] ?? 0);
  }

  function generateDay(pipeline: Pipeline, day: number): BuildPlan[] {
    const org = orgs.find((o) => o.slug === pipeline.orgSlug) as Org;
    const total = dayCount(pipeline, day);
    const rng = new Random(seed, 'buildkite', 'day', pipeline.index, day);
    const live = liveOf(pipeline).filter((l) => dayOf(liveAt(l)) === day);
    const starts: { at: number; live: LiveBuild | null }[] = live.map((l) => ({ at: liveAt(l), live: l }));
    while (starts.length < total) {
      const hour = rng.weighted(HOUR_WEIGHTS);
      starts.push({ at: day * DAY + hour * HOUR + Math.floor(rng.next() * HOUR), live: null });
    }
    starts.sort((a, b) => a.at - b.at);
    const base = pipeline.firstNumber + countBefore(pipeline, day);
    const plans: BuildPlan[] = [];
    for (const [i, start] of starts.entries()) {
      plans.push(generateBuild(org, pipeline, day, i, base + i, start.at, start.live, plans[i - 1]));
    }
    generated += plans.length;
    return plans;
  }

  function generateBuild(
    org: Org,
    pipeline: Pipeline,
    day: number,
    index: number,
    number: number,
    createdAt: number,
    live: LiveBuild | null,
    previous: BuildPlan | undefined,
  ): BuildPlan {
    const idParts = [seed, 'buildkite', 'build', pipeline.index, day, index] as const;
    const rng = new Random(...idParts);
    const id = uuidOf(...idParts, 'id');
    const person = () => rng.pick(org.people);
    const rebuild = previous !== undefined && live === null && rng.chance(0.04);
    const onDefault = live
      ? live.defaultBranch
      : rebuild
        ? previous.branch === pipeline.defaultBranch
        : rng.chance(0.45);
    const branch = rebuild ? previous.branch : onDefault ? pipeline.defaultBranch : branchName(rng);
    const source: Source = rebuild
      ? 'ui'
      : (SOURCES[
          rng.weighted(SOURCES.map((s) => (s === 'schedule' && !onDefault ? 0 : SOURCE_WEIGHTS[s])))
        ] ?? 'webhook');
    const creator = source === 'schedule' ? null : source === 'webhook' && rng.chance(0.25) ? null : person();
    const commitAuthor = rng.pick(PEOPLE);
    let scenario: Scenario = live
      ? live.scenario
      : (SCENARIO_WEIGHTS[rng.weighted(SCENARIO_WEIGHTS.map(([, w]) => w))]?.[0] ?? 'pass');
    // The system only cancels or skips superseded builds on feature branches.
    if (onDefault && scenario === 'cancel_auto') scenario = 'cancel_manual';
    if (onDefault && scenario === 'skipped') scenario = 'pass';
    const busy = live?.busy ?? false;
    const timeline = planTimeline({
      rng,
      idParts,
      steps: pipeline.template.steps,
      onDefaultBranch: onDefault,
      createdAt,
      scenario,
      unblockAfterMs: live
        ? live.unblockAfterMs
        : rng.chance(0.85)
          ? Math.round(rng.logNormal(20 * MINUTE, 0.8))
          : null,
      agentWaitMs: (t) =>
        busy
          ? rng.int(3 * MINUTE, 6 * MINUTE)
          : rng.int(800, 20 * SECOND) + (isBusy(t) ? Math.round(rng.logNormal(90 * SECOND, 0.9)) : 0),
      pickAgent: (queue) => rng.pick(org.agents.filter((a) => a.queue === queue)),
      pickPerson: person,
      cancel:
        scenario === 'cancel_manual'
          ? { reason: rng.chance(0.5) ? manualAbortReason(rng) : null, by: person() }
          : scenario === 'cancel_auto'
            ? { reason: rng.pick(CANCEL_REASONS_AUTO), by: null }
            : null,
    });
    const isPr = source === 'webhook' && !onDefault && rng.chance(0.6);
    const metaData: Record<string, string> = {};
    if (onDefault && rng.chance(0.5)) metaData['release-channel'] = rng.pick(['beta', 'stable']);
    if (rng.chance(0.3)) metaData.team = rng.pick(['mobile', 'web', 'platform']);
    return {
      ...timeline,
      id,
      number,
      org,
      pipeline,
      createdAt,
      scenario,
      branch,
      commit: rebuild ? previous.commit : sha(rng),
      message: rebuild ? previous.message : commitMessage(rng),
      source,
      creator,
      creatorId: creator?.id ?? null,
      author:
        source === 'webhook'
          ? { username: commitAuthor.username, name: commitAuthor.name, email: commitAuthor.email }
          : null,
      pullRequest: isPr
        ? { id: String(rng.int(1, 3000)), base: pipeline.defaultBranch, repository: pipeline.repository }
        : null,
      metaData,
      env: source === 'schedule' ? { NIGHTLY: 'true' } : {},
      rebuiltFrom: rebuild ? { id: previous.id, number: previous.number } : null,
    };
  }

  const plansOf = (pipeline: Pipeline, day: number) =>
    planCache.get(`${pipeline.index}:${day}`, () => generateDay(pipeline, day));

  const summariesOf = (pipeline: Pipeline, day: number) =>
    summaryCache.get(`${pipeline.index}:${day}`, () =>
      plansOf(pipeline, day).map(
        ({ id, number, createdAt, branch, commit, creatorId, metaData, phases }) => ({
          id,
          number,
          createdAt,
          branch,
          commit,
          creatorId,
          metaData,
          phases,
          pipeline,
        }),
      ),
    );

  const newestFirst = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }) =>
    b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1);

  /** The builds of these pipelines created on `day` within [fromMs, toMs), newest first. */
  function dayBuilds(pipelines: readonly Pipeline[], day: number, fromMs: number, toMs: number) {
    const out: BuildSummary[] = [];
    for (const pipeline of pipelines) {
      for (const s of summariesOf(pipeline, day))
        if (s.createdAt >= fromMs && s.createdAt < toMs) out.push(s);
    }
    return out.sort(newestFirst);
  }

  /**
   * The days of [fromMs, toMs), newest first (a build's day is the day it was created), each with how
   * many of its builds fall in the window: counted from the seed alone for a day wholly inside, generated
   * for a day a bound cuts through.
   */
  function* days(pipelines: readonly Pipeline[], fromMs: number, toMs: number) {
    for (let day = dayOf(toMs - 1); day >= Math.max(firstDay, dayOf(fromMs)); day--) {
      const whole = day * DAY >= fromMs && (day + 1) * DAY <= toMs;
      const cut = whole ? null : dayBuilds(pipelines, day, fromMs, toMs);
      let inWindow = cut?.length ?? 0;
      if (!cut) for (const p of pipelines) inWindow += countBefore(p, day + 1) - countBefore(p, day);
      yield { count: inWindow, builds: () => cut ?? dayBuilds(pipelines, day, fromMs, toMs) };
    }
  }

  function slice(
    pipelines: readonly Pipeline[],
    fromMs: number,
    toMs: number,
    offset: number,
    limit: number,
  ): BuildSummary[] {
    const out: BuildSummary[] = [];
    let skip = offset;
    for (const day of days(pipelines, fromMs, toMs)) {
      if (skip >= day.count) {
        skip -= day.count;
        continue;
      }
      out.push(...day.builds().slice(skip, skip + limit - out.length));
      skip = 0;
      if (out.length >= limit) break;
    }
    return out;
  }

  function count(pipelines: readonly Pipeline[], fromMs: number, toMs: number): number {
    let total = 0;
    for (const day of days(pipelines, fromMs, toMs)) total += day.count;
    return total;
  }

  const summaries = (pipelines: readonly Pipeline[], fromMs: number, toMs: number) =>
    slice(pipelines, fromMs, toMs, 0, Number.POSITIVE_INFINITY);

  function plan(summary: BuildSummary): BuildPlan {
    const found = plansOf(summary.pipeline, dayOf(summary.createdAt)).find((p) => p.id === summary.id);
    if (!found) throw new Error(`build ${summary.id} vanished on regeneration`);
    return found;
  }

  return {
    seed,
    anchorMs,
    orgs,
    org: (slug) => orgs.find((o) => o.slug === slug),
    pipeline: (orgSlug, slug) => allPipelines.find((p) => p.orgSlug === orgSlug && p.slug === slug),
    summaries,
    slice,
    count,
    plan,
    byNumber(pipeline, number) {
      const index = number - pipeline.firstNumber;
      if (!Number.isSafeInteger(index) || index < 0) return null;
      // Days are searched forward; a number far beyond the present gives up a year ahead.
      for (let day = firstDay; day <= dayOf(anchorMs) + 366; day++) {
        if (countBefore(pipeline, day + 1) > index) {
          return plansOf(pipeline, day)[index - countBefore(pipeline, day)] ?? null;
        }
      }
      return null;
    },
    generated: () => generated,
    buildsAt(now, pipelines = allPipelines, fromMs = firstDay * DAY) {
      return summaries(pipelines, fromMs, now + 1).map(plan);
    },
  };
}

const SOURCES: readonly Source[] = ['webhook', 'ui', 'api', 'schedule'];
const SOURCE_WEIGHTS: Record<Source, number> = { webhook: 78, ui: 8, api: 8, schedule: 6 };

function createOrgs(seed: number, spec: SizeSpec, anchorMs: number): Org[] {
  let pipelineIndex = 0;
  return spec.pipelinesPerOrg.map((pipelineCount, orgIndex) => {
    const meta = ORGS[orgIndex] ?? { slug: `org-${orgIndex}`, name: `Org ${orgIndex}` };
    const rng = new Random(seed, 'buildkite', 'org', orgIndex);
    const people = PEOPLE.filter((_, i) => (i + orgIndex * 4) % PEOPLE.length < 7).map((p) => {
      const id = uuidOf(seed, 'buildkite', 'user', p.username);
      return {
        id,
        graphqlId: graphqlId('User', id),
        name: p.name,
        email: p.email,
        avatarUrl: `https://www.gravatar.com/avatar/${hexOf(32, 'gravatar', p.email)}`,
        createdAt: anchorMs - rng.int(400, 2000) * DAY + rng.int(0, DAY),
      };
    });
    const agents: Agent[] = Object.entries(QUEUES).flatMap(([queue, n]) =>
      Array.from({ length: n }, (_, i) => {
        const id = uuidOf(seed, 'buildkite', 'agent', orgIndex, queue, i);
        const mac = queue === 'macos';
        return {
          id,
          graphqlId: graphqlId('Agent', id),
          name: `${meta.slug}-${queue}-${i + 1}`,
          hostname: mac
            ? `mac-mini-${i + 1}.ci.local`
            : `ip-10-${orgIndex}-${i}-${hash(queue) % 250}.ec2.internal`,
          ipAddress: `10.${orgIndex}.${i}.${(hash(seed, queue, i) % 250) + 2}`,
          queue,
          version: rng.pick(['3.76.2', '3.81.0', '3.84.1']),
          createdAt: anchorMs - rng.int(1, 30) * DAY,
        };
      }),
    );
    const pipelines: Pipeline[] = Array.from({ length: pipelineCount }, (_, i) => {
      const template = PIPELINE_TEMPLATES[(i + orgIndex * 3) % PIPELINE_TEMPLATES.length] as PipelineTemplate;
      const index = pipelineIndex++;
      const id = uuidOf(seed, 'buildkite', 'pipeline', index);
      return {
        index,
        id,
        slug: template.slug,
        name: template.name,
        orgSlug: meta.slug,
        template,
        repository: `git@github.com:${meta.slug}/${template.repo}.git`,
        defaultBranch: 'main',
        createdAt: anchorMs - rng.int(500, 1500) * DAY,
        createdBy: rng.pick(people),
        firstNumber: rng.int(1, 4000),
        activity: spec.buildsPerDay * rng.uniform(0.5, 1.5),
      };
    });
    const id = uuidOf(seed, 'buildkite', 'org', orgIndex);
    return {
      index: orgIndex,
      id,
      slug: meta.slug,
      name: meta.name,
      createdAt: anchorMs - rng.int(1500, 3000) * DAY,
      pipelines,
      people,
      agents,
    };
  });
}
