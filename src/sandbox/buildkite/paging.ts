// Page-number pagination of the Buildkite REST API (ci-apis.md §3.3): `page` (default 1), `per_page`
// (default 30, max 100), a bare-array body and a `Link` header built from the request URL.
import { QueryError } from './filters.js';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

export interface PageRequest {
  page: number;
  perPage: number;
}

export interface PagingOptions {
  /** `per_page` above 100: clamp it (default) or answer 400. Which one Buildkite does is unconfirmed. */
  perPageOverMax: 'clamp' | 'error';
}

function positiveInt(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new QueryError(`${name} must be a positive integer`);
  return Number(raw);
}

export function parsePageRequest(query: URLSearchParams, options: PagingOptions): PageRequest {
  const page = positiveInt(query, 'page', 1);
  const asked = positiveInt(query, 'per_page', DEFAULT_PER_PAGE);
  if (asked > MAX_PER_PAGE && options.perPageOverMax === 'error') {
    throw new QueryError(`per_page must be at most ${MAX_PER_PAGE}`);
  }
  return { page, perPage: Math.min(asked, MAX_PER_PAGE) };
}

/** Index of the first item on the page. */
export const pageOffset = (request: PageRequest): number => (request.page - 1) * request.perPage;

/**
 * The `Link` header for one page of `total` items: the request URL with every filter kept and only
 * `page`/`per_page` replaced. Relations as GitHub-style APIs give them: no first/prev on page 1, no
 * next/last on the last page. Null when there is nothing to link to.
 */
export function linkHeader(requestUrl: URL, request: PageRequest, total: number): string | null {
  const lastPage = Math.max(1, Math.ceil(total / request.perPage));
  const link = (page: number, rel: string) => {
    const url = new URL(requestUrl.href);
    url.searchParams.set('page', String(page));
    url.searchParams.set('per_page', String(request.perPage));
    return `<${url.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (request.page > 1) links.push(link(Math.min(request.page - 1, lastPage), 'prev'));
  if (request.page < lastPage) links.push(link(request.page + 1, 'next'));
  if (request.page > 1) links.push(link(1, 'first'));
  if (request.page < lastPage) links.push(link(lastPage, 'last'));
  return links.length > 0 ? links.join(', ') : null;
}
