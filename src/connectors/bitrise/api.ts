// The Bitrise endpoints the connector reads, with complete pagination: every page is followed until the
// API stops giving a cursor (never trusting total_item_count, §1.3), and a repeated cursor is an error.
import type { z } from 'zod';
import { quoted } from '../../domain/text.js';
import { ApiError, type HttpClient, InvalidResponseError, type Query } from '../http.js';
import { ListingItems } from '../paging.js';
import {
  type App,
  app,
  type Build,
  build,
  buildLog,
  listOf,
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

export interface BitriseApi {
  apps(): AsyncGenerator<App[]>;
  /** Standalone builds; `after`: Unix seconds, inclusive, on triggered_at. */
  builds(appSlug: string, after: number): AsyncGenerator<Build[]>;
  /** `after`: RFC 3339. Pages walk back in time: the cursor goes in `before`. */
  pipelines(appSlug: string, after: string): AsyncGenerator<PipelineListItem[]>;
  build(appSlug: string, buildSlug: string): Promise<Build>;
  pipeline(appSlug: string, pipelineId: string): Promise<PipelineShow>;
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

export function createBitriseApi(http: HttpClient, log: (line: string) => void): BitriseApi {
  async function* pages<T extends { slug: string }>(
    item: z.ZodType<T>,
    path: string,
    query: Query,
    cursorParam: string,
  ) {
    const list = listOf(item);
    const seen = new Set<string>();
    const items = new ListingItems();
    let limit: number | undefined = PAGE_LIMIT;
    let cursor: string | undefined;
    const fetchPage = async (request: Query) => {
      try {
        return await http.getParsed(list, path, request);
      } catch (error) {
        // A server that refuses our page size on the first page gets its own default instead.
        if (
          !(error instanceof ApiError && error.status === 400 && limit !== undefined && cursor === undefined)
        ) {
          throw error;
        }
        log(`${path}: limit=${limit} refused (${error.detail ?? '400'}); using the API's default page size`);
        limit = undefined;
        return http.getParsed(list, path, { ...request, limit });
      }
    };
    for (let page = 0; page < MAX_PAGES; page++) {
      const request = { ...query, limit, [cursorParam]: cursor };
      let body = await fetchPage(request);
      if (items.repeats(body.data.map((i) => i.slug))) {
        log(`${path}: a page repeated items already read; asking for it again`);
        body = await fetchPage(request);
        if (items.repeats(body.data.map((i) => i.slug))) {
          throw new InvalidResponseError(
            `paging of ${path} served the same items twice; stopping so that no page is skipped`,
            http.curl('GET', path, { query: request }),
          );
        }
      }
      yield body.data as T[];
      const next = body.paging?.next;
      if (!next) return;
      if (seen.has(next)) {
        throw new InvalidResponseError(
          `paging of ${path} returned the cursor ${quoted(next)} twice; stopping instead of looping`,
          http.curl('GET', path, { query: { ...request, [cursorParam]: next } }),
        );
      }
      seen.add(next);
      cursor = next;
    }
    throw new InvalidResponseError(
      `paging of ${path} went past ${MAX_PAGES} pages`,
      http.curl('GET', path, { query }),
    );
  }

  const appPath = (appSlug: string) => `/apps/${encodeURIComponent(appSlug)}`;
  return {
    apps: () => pages(app, '/apps', {}, 'next'),
    // Workflow builds of pipelines come with their pipeline; the filter only saves pages (sync checks too).
    builds: (appSlug, after) =>
      pages(build, `${appPath(appSlug)}/builds`, { after, is_pipeline_build: false }, 'next'),
    pipelines: (appSlug, after) =>
      pages(pipelineListItem, `${appPath(appSlug)}/pipelines`, { after }, 'before'),
    build: async (appSlug, buildSlug) =>
      (await http.getParsed(objectOf(build), `${appPath(appSlug)}/builds/${encodeURIComponent(buildSlug)}`))
        .data,
    pipeline: (appSlug, pipelineId) =>
      http.getParsed(pipelineShow, `${appPath(appSlug)}/pipelines/${encodeURIComponent(pipelineId)}`),
    buildLog: async (appSlug, buildSlug) => {
      const log = await http.getParsed(
        buildLog,
        `${appPath(appSlug)}/builds/${encodeURIComponent(buildSlug)}/log`,
      );
      const raw = log.expiring_raw_log_url ? await rawLogText(log.expiring_raw_log_url) : null;
      // The preview is only the latest chunks: a marker in it is still found, one before it is not.
      return raw ?? (log.log_chunks ?? []).map((c) => c.chunk).join('');
    },
  };
}
