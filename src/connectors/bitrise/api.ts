// The Bitrise endpoints the connector reads, with complete pagination: every page is followed until the
// API stops giving a cursor (never trusting total_item_count, §1.3). List items are read one by one: an
// item the connector cannot read is refused (kept apart, DESIGN.md "Refused run"), not a failed page.
import { z } from 'zod';
import { nestingRefusal, type PayloadTime, timeRefusal } from '../../domain/refusal.js';
import { quoted } from '../../domain/text.js';
import type { RefusedPayload } from '../contract.js';
import { ApiError, type HttpClient, InvalidResponseError, type Query } from '../http.js';
import { epochMicros } from '../time.js';
import {
  type App,
  app,
  type Build,
  build,
  buildLog,
  listPage,
  objectOf,
  type PipelineListItem,
  type PipelineShow,
  pipelineListItem,
  pipelineShow,
} from './wire.js';

/** The documented maximum for builds and apps; pipelines' maximum is unconfirmed (§2.1), asked for anyway. */
export const PAGE_LIMIT = 50;
/** Far beyond any real history (50 items a page); only a server that never ends its paging gets here. */
const MAX_PAGES = 100_000;

/** An item as read, with the payload as it came (kept raw, so a later version can read it again). */
export interface Read<T> {
  item: T;
  raw: unknown;
}

/** One page of a list: the items read, and those refused with the reason. */
export interface Page<T> {
  items: Read<T>[];
  refused: RefusedPayload[];
}

/** A single object: read, or refused. */
export type Fetched<T> = Read<T> | { refused: RefusedPayload };

export interface BitriseApi {
  apps(): AsyncGenerator<Page<App>>;
  /** Standalone builds; `after`: Unix seconds, inclusive, on triggered_at. */
  builds(appSlug: string, after: number): AsyncGenerator<Page<Build>>;
  /** Every build numbered `number`: a pipeline's workflow builds, of every attempt, share its number. */
  buildsNumbered(appSlug: string, number: number): AsyncGenerator<Page<Build>>;
  /** `after`: RFC 3339. Pages walk back in time: the cursor goes in `before`. */
  pipelines(appSlug: string, after: string): AsyncGenerator<Page<PipelineListItem>>;
  build(appSlug: string, buildSlug: string): Promise<Fetched<Build>>;
  pipeline(appSlug: string, pipelineId: string): Promise<Fetched<PipelineShow>>;
  /** The build's log summary (its steps) as it came; null when the provider has none for it (404). */
  buildSteps(appSlug: string, buildSlug: string): Promise<unknown>;
  /** The build's log text: the archived raw log when there is one, else the preview chunks (§1.12). */
  buildLog(appSlug: string, buildSlug: string): Promise<string>;
}

const RAW_LOG_TIMEOUT_MS = 30_000;

/** The raw log URL is pre-signed: asked for without any Authorization header (§1.12). */
async function rawLogText(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(RAW_LOG_TIMEOUT_MS) });
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

/** The payload's id when it has a readable one (also inside a `data` wrapper); else null. */
function payloadId(payload: unknown, idField: string): string | null {
  if (payload === null || typeof payload !== 'object') return null;
  const record = payload as Record<string, unknown>;
  const id = record[idField] ?? (record.data as Record<string, unknown> | undefined)?.[idField];
  return typeof id === 'string' && id !== '' ? id : null;
}

/** The times that order a run of each kind: one outside 2000–2100 cannot be stored (DESIGN.md). */
const RUN_TIMES: Record<string, (item: Record<string, unknown>) => PayloadTime[]> = {
  build: (b) => [
    { name: 'triggered_at', value: b.triggered_at, required: true },
    { name: 'started_on_worker_at', value: b.started_on_worker_at },
    { name: 'finished_at', value: b.finished_at },
  ],
  pipeline: (p) => [
    { name: 'triggered_at', value: p.triggered_at, required: true },
    { name: 'finished_at', value: p.finished_at },
  ],
};

/**
 * Reads one list item; one that cannot be a run is refused, naming why: nested deeper than the bound
 * (checked first, before anything recursive reads it), a field that does not parse, or a time outside
 * 2000–2100.
 */
export function readItem<T>(
  schema: z.ZodType<T>,
  kind: string,
  payload: unknown,
): { item: T } | { refused: RefusedPayload } {
  const refuse = (reason: string) => ({
    refused: { kind, key: payloadId(payload, 'slug') ?? payloadId(payload, 'id'), reason, payload },
  });
  const nesting = nestingRefusal(payload);
  if (nesting !== null) return refuse(nesting);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'item';
    return refuse(`unreadable ${field}: ${issue?.message ?? 'invalid'}`);
  }
  const times = RUN_TIMES[kind];
  const time = times ? timeRefusal(times(parsed.data as Record<string, unknown>)) : null;
  return time === null ? { item: parsed.data } : refuse(time);
}

function fetched<T>(schema: z.ZodType<T>, kind: string, payload: unknown): Fetched<T> {
  const result = readItem(schema, kind, payload);
  return 'item' in result ? { item: result.item, raw: payload } : result;
}

interface Listing<T> {
  item: z.ZodType<T>;
  /** Raw payload kind of a refused item. */
  kind: string;
  path: string;
  query: Query;
  /**
   * `next`: the cursor is the next page's first slug. `before`: the pipelines list's time cursor, the last
   * item's triggered_at. Whether `before` includes that time is unconfirmed (§2.1), so a page may repeat
   * the boundary item: it is dropped by slug, and a page of nothing but it ends the listing.
   */
  cursor: 'next' | 'before';
}

export function createBitriseApi(http: HttpClient, log: (line: string) => void): BitriseApi {
  async function* pages<T extends { slug: string; triggered_at?: string }>(
    listing: Listing<T>,
  ): AsyncGenerator<Page<T>> {
    const { path, query } = listing;
    const seenCursors = new Set<string>();
    const seenSlugs = new Set<string>();
    let limit: number | undefined = PAGE_LIMIT;
    let cursor: string | undefined;
    const fetchPage = async (request: Query) => {
      try {
        return await http.getParsed(listPage, path, request);
      } catch (error) {
        // A server that refuses our page size on the first page gets its own default instead.
        if (
          !(error instanceof ApiError && error.status === 400 && limit !== undefined && cursor === undefined)
        ) {
          throw error;
        }
        log(`${path}: limit=${limit} refused (${error.detail ?? '400'}); using the API's default page size`);
        limit = undefined;
        return http.getParsed(listPage, path, { ...request, limit });
      }
    };
    const read = (data: unknown[]) => {
      const page: Page<T> & { repeated: T[] } = { items: [], refused: [], repeated: [] };
      for (const payload of data) {
        const result = readItem(listing.item, listing.kind, payload);
        if ('item' in result) {
          if (seenSlugs.has(result.item.slug)) page.repeated.push(result.item);
          else page.items.push({ item: result.item, raw: payload });
        } else if (result.refused.key === null || !seenSlugs.has(result.refused.key)) {
          page.refused.push(result.refused);
        }
      }
      return page;
    };
    const atBoundary = (item: T) =>
      listing.cursor === 'before' &&
      cursor !== undefined &&
      item.triggered_at !== undefined &&
      epochMicros(item.triggered_at) === epochMicros(cursor);
    for (let n = 0; n < MAX_PAGES; n++) {
      const request = { ...query, limit, [listing.cursor]: cursor };
      let body = await fetchPage(request);
      let page = read(body.data);
      if (page.items.length === 0 && page.repeated.length > 0) {
        // Only the item the cursor points at, again: `before` is inclusive and nothing older is left.
        if (page.refused.length === 0 && page.repeated.every(atBoundary)) return;
        log(`${path}: a page repeated items already read; asking for it again`);
        body = await fetchPage(request);
        page = read(body.data);
        if (page.items.length === 0 && page.repeated.length > 0) {
          throw new InvalidResponseError(
            `paging of ${path} served the same items twice; stopping so that no page is skipped`,
            http.curl('GET', path, { query: request }),
          );
        }
      }
      for (const { item } of page.items) seenSlugs.add(item.slug);
      for (const refused of page.refused) if (refused.key !== null) seenSlugs.add(refused.key);
      yield { items: page.items, refused: page.refused };
      const next = body.paging?.next;
      if (!next) return;
      if (seenCursors.has(next) || next === cursor) {
        throw new InvalidResponseError(
          `paging of ${path} returned the cursor ${quoted(next)} twice; stopping instead of looping`,
          http.curl('GET', path, { query: { ...request, [listing.cursor]: next } }),
        );
      }
      seenCursors.add(next);
      cursor = next;
    }
    throw new InvalidResponseError(
      `paging of ${path} went past ${MAX_PAGES} pages`,
      http.curl('GET', path, { query }),
    );
  }

  const appPath = (appSlug: string) => `/apps/${encodeURIComponent(appSlug)}`;
  const buildsPath = (appSlug: string) => `${appPath(appSlug)}/builds`;
  return {
    apps: () => pages({ item: app, kind: 'app', path: '/apps', query: {}, cursor: 'next' }),
    // Workflow builds of pipelines come with their pipeline; the filter only saves pages (sync checks too).
    builds: (appSlug, after) =>
      pages({
        item: build,
        kind: 'build',
        path: buildsPath(appSlug),
        query: { after, is_pipeline_build: false },
        cursor: 'next',
      }),
    buildsNumbered: (appSlug, number) =>
      pages({
        item: build,
        kind: 'build',
        path: buildsPath(appSlug),
        query: { build_number: number },
        cursor: 'next',
      }),
    pipelines: (appSlug, after) =>
      pages({
        item: pipelineListItem,
        kind: 'pipeline',
        path: `${appPath(appSlug)}/pipelines`,
        query: { after },
        cursor: 'before',
      }),
    build: async (appSlug, buildSlug) => {
      const path = `${buildsPath(appSlug)}/${encodeURIComponent(buildSlug)}`;
      const { data } = await http.getParsed(objectOf(z.unknown()), path);
      return fetched(build, 'build', data);
    },
    pipeline: async (appSlug, pipelineId) => {
      const path = `${appPath(appSlug)}/pipelines/${encodeURIComponent(pipelineId)}`;
      return fetched(pipelineShow, 'pipeline', (await http.get(path)).body);
    },
    buildSteps: async (appSlug, buildSlug) => {
      try {
        return (await http.get(`${buildsPath(appSlug)}/${encodeURIComponent(buildSlug)}/log/summary`)).body;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    buildLog: async (appSlug, buildSlug) => {
      const log = await http.getParsed(
        buildLog,
        `${buildsPath(appSlug)}/${encodeURIComponent(buildSlug)}/log`,
      );
      const raw = log.expiring_raw_log_url ? await rawLogText(log.expiring_raw_log_url) : null;
      // The preview is only the latest chunks: a marker in it is still found, one before it is not.
      return raw ?? (log.log_chunks ?? []).map((c) => c.chunk).join('');
    },
  };
}
