// The Buildkite endpoints the connector reads. Lists follow the `Link` header's `next` relation to the end
// (§3.3); a builds list refused as "too deep" continues with `created_to` below the oldest build read so far,
// since lists are newest first. Builds come with the item exactly as sent: one that cannot be a run is the
// sync's to refuse, never a reason to stop reading.
import { z } from 'zod';
import { nestingRefusal, timeRefusal } from '../../domain/refusal.js';
import { quoted } from '../../domain/text.js';
import {
  ApiError,
  type HttpClient,
  type HttpResponse,
  InvalidResponseError,
  UnexpectedShapeError,
} from '../http.js';
import { ListingItems } from '../paging.js';
import { epochMicros } from '../time.js';
import {
  type AccessToken,
  accessToken,
  type Build,
  build,
  type Organization,
  organization,
  type Pipeline,
  pipeline,
  rfc3339,
} from './wire.js';

export const PER_PAGE = 100;
/** Far beyond any real history at 100 a page; only a server whose links never end gets here. */
const MAX_PAGES = 100_000;

export interface BuildQuery {
  /** Page size; the maximum unless a caller wants only a sample. */
  perPage?: number;
  createdFrom?: string;
  finishedFrom?: string;
  states?: readonly string[];
}

/** A build as the API sent it, and what the wire schema reads in it (null, with the problem, when nothing). */
export interface BuildItem {
  raw: unknown;
  build: Build | null;
  /** Why the item cannot be a build: the first field that failed, e.g. `created_at: expected …`. */
  problem: string | null;
}

/**
 * Reads a build, or says why it cannot be a run (DESIGN.md "Refused run"): nested deeper than the bound
 * (checked first, before anything recursive reads it), a field the schema cannot read, or a time outside
 * 2000–2100 (it would move the high-water marks and the API's cursors past every real run).
 */
export function readBuild(raw: unknown): BuildItem {
  const nesting = nestingRefusal(raw);
  if (nesting !== null) return { raw, build: null, problem: nesting };
  const parsed = build.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      raw,
      build: null,
      problem: `${issue?.path.join('.') || 'build'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const b = parsed.data;
  const time = timeRefusal([
    { name: 'created_at', value: rfc3339(b.created_at), required: true },
    { name: 'started_at', value: b.started_at && rfc3339(b.started_at) },
    { name: 'finished_at', value: b.finished_at && rfc3339(b.finished_at) },
  ]);
  return time === null ? { raw, build: b, problem: null } : { raw, build: null, problem: time };
}

/** The id of a list item, for telling pages apart; empty when the item has none. */
const idOf = (item: unknown): string => {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '';
};

export interface BuildkiteApi {
  accessToken(): Promise<AccessToken>;
  organizations(): AsyncGenerator<Organization[]>;
  pipelines(org: string): AsyncGenerator<Pipeline[]>;
  pipeline(org: string, slug: string): Promise<Pipeline>;
  /** An organization's builds, newest first, every retried job included. */
  builds(org: string, query: BuildQuery): AsyncGenerator<BuildItem[]>;
  build(org: string, pipelineSlug: string, number: number): Promise<BuildItem>;
}

/** `<url>; rel="next"` of a Link header. */
export function nextLink(header: string | null): string | null {
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return match[1];
  }
  return null;
}

const path = (...segments: (string | number)[]) => `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;

export function createBuildkiteApi(http: HttpClient): BuildkiteApi {
  function parse<T>(schema: z.ZodType<T>, response: HttpResponse, url: string): T {
    const parsed = schema.safeParse(response.body);
    if (parsed.success) return parsed.data;
    throw UnexpectedShapeError.of(`GET ${url}`, parsed.error, http.curl('GET', url));
  }

  /** Every page of a list; `item` reads each element (a schema reads it whole or fails the page). */
  async function* pages<T>(item: z.ZodType<T>, first: string): AsyncGenerator<T[]> {
    const list = z.array(item);
    const seen = new Set<string>();
    const items = new ListingItems();
    let url: string | null = first;
    for (let page = 0; url !== null && page < MAX_PAGES; page++) {
      let response = await http.get(url);
      let body = parse(list, response, url);
      // Builds arriving meanwhile shift pages down, so a partial repeat is normal; a whole one is not.
      if (items.repeats(body.map(idOf))) {
        response = await http.get(url);
        body = parse(list, response, url);
        if (items.repeats(body.map(idOf))) {
          throw new InvalidResponseError(
            `paging of ${first} served the same items twice; stopping so that no page is skipped`,
            http.curl('GET', url),
          );
        }
      }
      yield body;
      const next = nextLink(response.headers.get('link'));
      if (next !== null && seen.has(next)) {
        throw new InvalidResponseError(
          `paging of ${first} linked to ${quoted(next)} twice; stopping instead of looping`,
          http.curl('GET', next),
        );
      }
      if (next !== null) seen.add(next);
      url = next;
    }
    if (url !== null)
      throw new InvalidResponseError(
        `paging of ${first} went past ${MAX_PAGES} pages`,
        http.curl('GET', first),
      );
  }

  function buildsUrl(org: string, query: BuildQuery, createdTo: string | null): string {
    const params = new URLSearchParams({
      per_page: String(query.perPage ?? PER_PAGE),
      include_retried_jobs: 'true',
      exclude_pipeline: 'true',
    });
    if (query.createdFrom) params.set('created_from', query.createdFrom);
    if (createdTo) params.set('created_to', createdTo);
    if (query.finishedFrom) params.set('finished_from', query.finishedFrom);
    for (const state of query.states ?? []) params.append('state[]', state);
    return `${path('organizations', org, 'builds')}?${params}`;
  }

  async function* builds(org: string, query: BuildQuery): AsyncGenerator<BuildItem[]> {
    let createdTo: string | null = null;
    let oldest: string | null = null;
    for (;;) {
      try {
        for await (const page of pages(z.unknown(), buildsUrl(org, query, createdTo))) {
          const read: BuildItem[] = page.map(readBuild);
          for (const { build: b } of read) {
            const created: string | null = b ? rfc3339(b.created_at) : null;
            if (created !== null && (oldest === null || epochMicros(created) < epochMicros(oldest)))
              oldest = created;
          }
          yield read;
        }
        return;
      } catch (error) {
        const tooDeep = error instanceof ApiError && error.status === 400 && /deep/i.test(error.detail ?? '');
        if (!tooDeep || oldest === null) throw error;
        // Continue below the oldest build read; one millisecond more keeps builds created in that same instant.
        const next: string = new Date(Math.floor(epochMicros(oldest) / 1000) + 1).toISOString();
        if (createdTo !== null && next >= createdTo) throw error;
        createdTo = next;
      }
    }
  }

  return {
    accessToken: async () => parse(accessToken, await http.get('/access-token'), '/access-token'),
    organizations: () => pages(organization, `/organizations?per_page=${PER_PAGE}`),
    pipelines: (org) => pages(pipeline, `${path('organizations', org, 'pipelines')}?per_page=${PER_PAGE}`),
    pipeline: async (org, slug) => {
      const url = path('organizations', org, 'pipelines', slug);
      return parse(pipeline, await http.get(url), url);
    },
    builds,
    build: async (org, pipelineSlug, number) => {
      const url = `${path('organizations', org, 'pipelines', pipelineSlug, 'builds', number)}?include_retried_jobs=true&exclude_pipeline=true`;
      return readBuild((await http.get(url)).body);
    },
  };
}
