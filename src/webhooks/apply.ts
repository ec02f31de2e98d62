// What processing a delivery does, per provider, through the same normalize → classify → batch path as a
// sync (DESIGN.md "Ingestion paths"). Buildkite deliveries carry complete build and job objects: they are
// merged into the stored build and written, with the steps its command jobs are, without asking the API.
// Bitrise deliveries carry no times: they start an incremental sync of their apps, which also finds a
// workflow build's pipeline and fetches the log summary of each build it finds finished.
import { normalizeBuild, normalizePipeline } from '../connectors/buildkite/normalize.js';
import { stepsOfBuild } from '../connectors/buildkite/steps.js';
import type { Build, Pipeline } from '../connectors/buildkite/wire.js';
import type { Connection, Project, RawPayload } from '../domain/model.js';
import type { StoredDelivery } from '../store/inbox.js';
import { withSyncLock } from '../store/lock.js';
import { storedPayloads } from '../store/lookups.js';
import { rebuildRollups } from '../store/rollups.js';
import type { Store } from '../store/store.js';
import { commitRuns, type SyncOptions, syncConnection } from '../sync/sync.js';
import {
  type BuildDelivery,
  buildDelivery,
  deliveryPipeline,
  deliverySlugs,
  isBuildEvent,
  mergeBuild,
  storedBuild,
} from './buildkite.js';

export interface Outcome {
  /** Written (or found already written). */
  done: number[];
  /** Nothing to write, with why. */
  ignored: { id: number; why: string }[];
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

type Readable = { id: number; delivery: BuildDelivery; org: string; pipeline: Pipeline };

function readBuildkite(connection: Connection, row: StoredDelivery): Readable | string {
  if (!isBuildEvent(row.event)) return `${row.event} carries no build`;
  const parsed = buildDelivery.safeParse(parseJson(row.body));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `not a build delivery (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`;
  }
  const slugs = deliverySlugs(parsed.data);
  const pipeline = deliveryPipeline(parsed.data);
  if (!slugs || !pipeline) return 'the delivery names no pipeline';
  if (connection.org !== null && slugs.org !== connection.org)
    return `for organization ${slugs.org}; the connection reads ${connection.org}`;
  return { id: row.id, delivery: parsed.data, org: slugs.org, pipeline };
}

export async function applyBuildkite(
  store: Store,
  connection: Connection,
  token: string,
  rows: readonly StoredDelivery[],
  options: SyncOptions,
): Promise<Outcome> {
  const outcome: Outcome = { done: [], ignored: [] };
  const readable: Readable[] = [];
  for (const row of rows) {
    const read = readBuildkite(connection, row);
    if (typeof read === 'string') outcome.ignored.push({ id: row.id, why: read });
    else readable.push(read);
  }
  if (readable.length === 0) return outcome;
  await withSyncLock(store, { connectionId: connection.id, name: connection.name }, () =>
    writeDeliveries(store, connection, token, readable, options),
  );
  outcome.done.push(...readable.map((r) => r.id));
  return outcome;
}

async function writeDeliveries(
  store: Store,
  connection: Connection,
  token: string,
  readable: readonly Readable[],
  options: SyncOptions,
): Promise<void> {
  const stored = await storedPayloads(
    store,
    connection.id,
    'bk_build',
    readable.map((r) => r.delivery.build.id),
  );
  const builds = new Map<string, { build: Build; pipeline: Pipeline; org: string }>();
  // In arrival order: each delivery is folded into what the ones before it left.
  for (const { delivery, pipeline, org } of readable) {
    const id = delivery.build.id;
    const before = builds.get(id)?.build ?? storedBuild(stored.get(id));
    builds.set(id, { build: mergeBuild(before ?? null, delivery), pipeline, org });
  }
  // A pipeline the store already has keeps the REST API's copy; a new one is announced from the delivery.
  const pipelines = new Map([...builds.values()].map((b) => [b.pipeline.id, b]));
  const known = await storedPayloads(store, connection.id, 'bk_pipeline', [...pipelines.keys()]);
  const projects: Project[] = [];
  const raw: RawPayload[] = [];
  for (const [key, { org, pipeline }] of pipelines) {
    if (known.has(key)) continue;
    projects.push(normalizePipeline(org, pipeline));
    raw.push({ kind: 'bk_pipeline', key, payload: pipeline });
  }
  const runs = [];
  const jobs = [];
  const steps = [];
  for (const { build, pipeline } of builds.values()) {
    const normalized = normalizeBuild({ key: pipeline.id, name: pipeline.name ?? pipeline.slug }, build);
    runs.push(normalized.run);
    jobs.push(...normalized.jobs);
    steps.push(...stepsOfBuild(build));
    raw.push({ kind: 'bk_build', key: build.id, payload: build });
  }
  await commitRuns(store, connection, token, { projects, runs, jobs, steps, raw }, options);
  // A delivery has no checkpoint to rebuild the grains it touched: they are rebuilt now, still locked.
  await rebuildRollups(store, connection.id);
}

const BITRISE_EVENTS = new Set(['build/triggered', 'build/started', 'build/finished']);

export async function applyBitrise(
  store: Store,
  connection: Connection,
  rows: readonly StoredDelivery[],
  options: SyncOptions,
): Promise<Outcome> {
  const outcome: Outcome = { done: [], ignored: [] };
  const apps = new Set<string>();
  const ids: number[] = [];
  for (const row of rows) {
    const body = parseJson(row.body) as { app_slug?: unknown } | null;
    const app = body?.app_slug;
    if (!BITRISE_EVENTS.has(row.event))
      outcome.ignored.push({ id: row.id, why: `${row.event} is not a build event` });
    else if (typeof app !== 'string' || app === '') outcome.ignored.push({ id: row.id, why: 'no app_slug' });
    else {
      apps.add(app);
      ids.push(row.id);
    }
  }
  if (apps.size === 0) return outcome;
  await syncConnection(store, connection.name, { ...options, projects: [...apps] });
  outcome.done.push(...ids);
  return outcome;
}
