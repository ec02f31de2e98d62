// Fault injection for the sandbox: every response of every provider passes through here, so a test (or
// `buildlens sandbox --faults SPEC`) can make the simulated APIs fail the way real ones do. Which request
// a fault hits is decided by counters and a seeded generator, so a run is reproducible from its spec.
//
// SPEC: faults separated by `;`, each `kind[:param=value,...]`, plus an optional `seed=N` entry.
//   kinds   4xx/5xx status (e.g. 429, 503, 401), reset, slow, truncate, malformed, repeat, loop, shift,
//           field, huge
//   when    after=N (skip the first N matching requests), count=N (at most N hits), and one of
//           every=N (every Nth matching request after those) or rate=P (each with probability P);
//           with neither, every matching request after `after` is hit
//   where   on=bitrise|buildkite, path=TEXT (request path contains TEXT)
//   kind-specific: 429 retry-after=S | reset=S; slow ms=N; shift minutes=N; huge kb=N;
//           field key=NAME mode=type|missing|deep|future (deep: a value nested 100,000 levels, which
//           JSON.parse reads and anything recursive cannot; future: the time 9999-12-31T23:59:59Z)
import type { Clock } from './clock.js';
import { Random } from './random.js';
import type { SandboxRequest, SandboxResponse } from './router.js';

export const FAULT_KINDS = [
  'status',
  'reset',
  'slow',
  'truncate',
  'malformed',
  'repeat',
  'loop',
  'shift',
  'field',
  'huge',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const FIELD_MODES = ['type', 'missing', 'deep', 'future'];
const DEEP_LEVELS = 100_000;

/** `[[[…]]]`, `levels` deep, built without recursion. */
function deepValue(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

export interface FaultRule {
  kind: FaultKind;
  /** The written name: the status code for `status`, else the kind. */
  name: string;
  status: number | null;
  provider: string | null;
  path: string | null;
  after: number;
  count: number;
  every: number | null;
  rate: number | null;
  params: Record<string, string>;
}

export interface FaultSpec {
  seed: number | null;
  rules: FaultRule[];
}

/** A spec that cannot be read; the message names the part at fault. */
export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

const COMMON = ['after', 'count', 'every', 'rate', 'on', 'path'];
const PARAMS: Record<FaultKind, string[]> = {
  status: ['retry-after', 'reset'],
  reset: [],
  slow: ['ms'],
  truncate: [],
  malformed: [],
  repeat: [],
  loop: [],
  shift: ['minutes'],
  field: ['key', 'mode'],
  huge: ['kb'],
};

export function parseFaultSpec(spec: string): FaultSpec {
  const result: FaultSpec = { seed: null, rules: [] };
  for (const entry of spec
    .split(/[;\s]+/)
    .map((e) => e.trim())
    .filter(Boolean)) {
    const seed = /^seed=(\d+)$/.exec(entry);
    if (seed) {
      result.seed = Number(seed[1]);
      continue;
    }
    result.rules.push(parseRule(entry));
  }
  return result;
}

function parseRule(entry: string): FaultRule {
  const [name = '', paramText] = entry.split(/:(.*)/s, 2);
  const status = /^[45]\d\d$/.test(name) ? Number(name) : null;
  const kind = status !== null ? 'status' : FAULT_KINDS.find((k) => k === name && k !== 'status');
  if (!kind) {
    throw new FaultSpecError(
      `unknown fault "${name}" (kinds: a 4xx/5xx status, ${FAULT_KINDS.slice(1).join(', ')})`,
    );
  }
  const params: Record<string, string> = {};
  for (const pair of (paramText ?? '').split(',').filter(Boolean)) {
    const [key = '', value] = pair.split('=', 2);
    if (value === undefined || value === '')
      throw new FaultSpecError(`fault "${entry}": "${pair}" needs =value`);
    if (!COMMON.includes(key) && !PARAMS[kind].includes(key)) {
      throw new FaultSpecError(`fault "${entry}": unknown parameter "${key}"`);
    }
    params[key] = value;
  }
  const int = (key: string, min: number): number | null => {
    const value = params[key];
    if (value === undefined) return null;
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= min)) throw new FaultSpecError(`fault "${entry}": ${key} must be a whole number >= ${min}`);
    return n;
  };
  const rate = params.rate === undefined ? null : Number(params.rate);
  if (rate !== null && !(rate >= 0 && rate <= 1)) {
    throw new FaultSpecError(`fault "${entry}": rate must be a number from 0 to 1`);
  }
  if (rate !== null && params.every !== undefined) {
    throw new FaultSpecError(`fault "${entry}": give either every or rate, not both`);
  }
  if (params.on !== undefined && params.on !== 'bitrise' && params.on !== 'buildkite') {
    throw new FaultSpecError(`fault "${entry}": on must be bitrise or buildkite`);
  }
  if (params.mode !== undefined && !FIELD_MODES.includes(params.mode)) {
    throw new FaultSpecError(`fault "${entry}": mode must be one of ${FIELD_MODES.join(', ')}`);
  }
  for (const key of ['ms', 'minutes', 'kb', 'retry-after', 'reset']) int(key, 0);
  return {
    kind,
    name,
    status,
    provider: params.on ?? null,
    path: params.path ?? null,
    after: int('after', 0) ?? 0,
    count: int('count', 1) ?? Number.POSITIVE_INFINITY,
    every: int('every', 1),
    rate,
    params,
  };
}

export interface Traffic {
  requests: number;
  items: number;
}

/** A fault's answer: a response to send, or a connection to drop without one. */
export type FaultOutcome = SandboxResponse | 'reset';

export interface FaultInjector {
  /** Replaces the active faults (counters start again); an empty spec clears them. */
  set(spec: string): void;
  clear(): void;
  /** Hits so far per fault name, since the sandbox started. */
  injected(): Record<string, number>;
  /** Answers sent per provider since the sandbox started, and the objects they carried (list items, or 1). */
  traffic(): Record<string, Traffic>;
  /** Serves one request of `provider` through the active faults; `handle` produces the real answer. */
  serve(
    provider: string,
    req: Omit<SandboxRequest, 'params'>,
    handle: () => Promise<SandboxResponse>,
  ): Promise<FaultOutcome>;
  /** Ends pending delays so the server can close at once. */
  close(): void;
}

interface Active {
  rule: FaultRule;
  random: Random;
  matched: number;
  hits: number;
}

/** A list page as the fault layer sees it: the items and where the next page is. */
interface ListView {
  items: unknown[];
  setItems(items: unknown[]): void;
  /** Where the client is sent next (Bitrise cursor or Buildkite URL); null on the last page. */
  next: string | null;
  setNext(next: string): void;
}

export function createFaultInjector(spec: string, defaultSeed: number, clock: Clock): FaultInjector {
  let active: Active[] = [];
  const injected: Record<string, number> = {};
  const traffic: Record<string, Traffic> = {};
  /** The items of the last page served per list, for `repeat`. */
  const lastPage = new Map<string, unknown[]>();
  const timers = new AbortController();

  const set = (text: string) => {
    const parsed = parseFaultSpec(text);
    const seed = parsed.seed ?? defaultSeed;
    active = parsed.rules.map((rule, i) => ({
      rule,
      random: new Random('faults', seed, i),
      matched: 0,
      hits: 0,
    }));
    lastPage.clear();
  };
  set(spec);

  /** The first rule that hits this request; every matching rule counts it. */
  function draw(provider: string, path: string): Active | null {
    let chosen: Active | null = null;
    for (const a of active) {
      const { rule } = a;
      if (rule.provider !== null && rule.provider !== provider) continue;
      if (rule.path !== null && !path.includes(rule.path)) continue;
      a.matched++;
      const n = a.matched - rule.after;
      if (n <= 0 || a.hits >= rule.count) continue;
      const hit =
        rule.every !== null ? n % rule.every === 0 : rule.rate !== null ? a.random.next() < rule.rate : true;
      if (hit && chosen === null) {
        a.hits++;
        chosen = a;
      }
    }
    return chosen;
  }

  async function serve(
    provider: string,
    req: Omit<SandboxRequest, 'params'>,
    handle: () => Promise<SandboxResponse>,
  ): Promise<FaultOutcome> {
    // Counted on arrival: a slow answer belongs to the sync that asked for it, however late it ends.
    const counts = traffic[provider] ?? { requests: 0, items: 0 };
    counts.requests++;
    traffic[provider] = counts;
    const outcome = await faulted(provider, req, handle);
    if (outcome !== 'reset' && outcome.status === 200 && outcome.json !== undefined) {
      counts.items += listView(provider, outcome)?.items.length ?? 1;
    }
    return outcome;
  }

  async function faulted(
    provider: string,
    req: Omit<SandboxRequest, 'params'>,
    handle: () => Promise<SandboxResponse>,
  ): Promise<FaultOutcome> {
    const drawn = draw(provider, req.path);
    if (drawn === null) return remember(provider, req, await handle());
    const { rule } = drawn;
    const count = () => {
      injected[rule.name] = (injected[rule.name] ?? 0) + 1;
    };
    switch (rule.kind) {
      case 'status':
        count();
        return statusAnswer(rule);
      case 'reset':
        count();
        return 'reset';
      case 'slow': {
        count();
        const gone = req.gone ?? new AbortController().signal;
        await delay(Number(rule.params.ms ?? 35_000), AbortSignal.any([timers.signal, gone]));
        // A client that gave up receives nothing, so nothing is counted as served after it left.
        return gone.aborted ? 'reset' : handle();
      }
      case 'shift':
        count();
        // New runs arrive at the top and running ones finish while the client is between pages.
        clock.advance(Number(rule.params.minutes ?? 60) * 60_000);
        return remember(provider, req, await handle());
    }
    const response = await handle();
    const changed = alter(drawn, provider, req, response);
    if (changed === null) {
      // Nothing to alter here (not a list, no previous page): the hit is kept for a request it fits.
      drawn.hits--;
      return remember(provider, req, response);
    }
    count();
    return changed;
  }

  function alter(
    { rule, random }: Active,
    provider: string,
    req: Omit<SandboxRequest, 'params'>,
    response: SandboxResponse,
  ): FaultOutcome | null {
    if (response.status !== 200 || response.json === undefined) return null;
    const text = JSON.stringify(response.json);
    switch (rule.kind) {
      case 'truncate':
        return rawJson(response, text.slice(0, Math.floor(text.length / 2)));
      case 'malformed':
        return { ...response, json: undefined, text: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
      case 'repeat': {
        const list = listView(provider, response);
        const previous = lastPage.get(listKey(provider, req));
        if (!list || !previous) return null;
        list.setItems(structuredClone(previous));
        return response;
      }
      case 'loop': {
        const list = listView(provider, response);
        const back = provider === 'bitrise' ? cursorOf(req) : requestUrl(req);
        if (!list || list.next === null || back === null) return null;
        list.setNext(back);
        return response;
      }
      case 'field': {
        const target = firstObject(response.json);
        if (!target) return null;
        const keys = Object.keys(target);
        const key = rule.params.key ?? (keys.length > 0 ? random.pick(keys) : undefined);
        if (key === undefined || !(key in target)) return null;
        if (rule.params.mode === 'missing') delete target[key];
        else if (rule.params.mode === 'deep') target[key] = deepValue(DEEP_LEVELS);
        else if (rule.params.mode === 'future') target[key] = '9999-12-31T23:59:59Z';
        else target[key] = wrongType(target[key]);
        return response;
      }
      case 'huge': {
        const target = firstObject(response.json);
        const key = target && ['commit_message', 'message'].find((k) => typeof target[k] === 'string');
        if (!target || !key) return null;
        target[key] = 'x'.repeat(Number(rule.params.kb ?? 1024) * 1024);
        return response;
      }
      default:
        return null;
    }
  }

  /** Keeps the items of every list page served, so `repeat` can serve them again. */
  function remember(
    provider: string,
    req: Omit<SandboxRequest, 'params'>,
    response: SandboxResponse,
  ): SandboxResponse {
    if (!active.some((a) => a.rule.kind === 'repeat')) return response;
    const list = response.status === 200 ? listView(provider, response) : null;
    if (list) lastPage.set(listKey(provider, req), structuredClone(list.items));
    return response;
  }

  return {
    set,
    clear: () => set(''),
    injected: () => ({ ...injected }),
    traffic: () => structuredClone(traffic),
    serve,
    close: () => timers.abort(),
  };
}

function statusAnswer(rule: FaultRule): SandboxResponse {
  const headers: Record<string, string> = {};
  if (rule.params['retry-after'] !== undefined) headers['Retry-After'] = rule.params['retry-after'];
  if (rule.params.reset !== undefined) {
    headers['RateLimit-Remaining'] = '0';
    headers['RateLimit-Reset'] = rule.params.reset;
  }
  const messages: Record<number, string> = {
    401: 'Unauthorized',
    403: 'Forbidden',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return { status: rule.status ?? 500, headers, json: { message: messages[rule.status ?? 500] ?? 'Error' } };
}

function rawJson(response: SandboxResponse, text: string): SandboxResponse {
  return {
    status: response.status,
    headers: { ...response.headers, 'Content-Type': 'application/json; charset=utf-8' },
    text,
  };
}

/** Bitrise lists are `{data: [...], paging}`; Buildkite lists are bare arrays with a Link header. */
function listView(provider: string, response: SandboxResponse): ListView | null {
  const body = response.json;
  if (provider === 'bitrise') {
    const envelope = body as { data?: unknown; paging?: { next?: string } } | null;
    if (!envelope || !Array.isArray(envelope.data) || !envelope.paging) return null;
    const paging = envelope.paging;
    const view: ListView = {
      items: envelope.data,
      setItems: (items) => {
        envelope.data = items;
      },
      next: paging.next ?? null,
      setNext: (next) => {
        paging.next = next;
      },
    };
    return view;
  }
  if (!Array.isArray(body)) return null;
  const link = response.headers?.Link ?? '';
  const next = /<([^>]+)>\s*;\s*rel="next"/.exec(link)?.[1] ?? null;
  const view: ListView = {
    items: body,
    setItems: (items) => {
      response.json = items;
    },
    next,
    setNext: (url) => {
      response.headers = { ...response.headers, Link: `<${url}>; rel="next"` };
    },
  };
  return view;
}

/** One list, whatever page: the path plus the query without its paging parameters. */
function listKey(provider: string, req: Omit<SandboxRequest, 'params'>): string {
  const query = new URLSearchParams(req.query);
  for (const key of ['next', 'before', 'page']) query.delete(key);
  return `${provider} ${req.path}?${query}`;
}

/** The Bitrise cursor this page was asked for with (builds and apps: `next`; pipelines: `before`). */
function cursorOf(req: Omit<SandboxRequest, 'params'>): string | null {
  return req.query.get('next') ?? req.query.get('before');
}

function requestUrl(req: Omit<SandboxRequest, 'params'>): string {
  const query = req.query.toString();
  return `${req.baseUrl}${req.path}${query ? `?${query}` : ''}`;
}

/** The first item of a list (either envelope) or the object itself. */
function firstObject(body: unknown): Record<string, unknown> | null {
  const inner = body && typeof body === 'object' && 'data' in body ? (body as { data: unknown }).data : body;
  const item = Array.isArray(inner) ? inner[0] : inner;
  return item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : null;
}

/** A value of another JSON type than `value`. */
function wrongType(value: unknown): unknown {
  if (typeof value === 'string') return 12345;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null) return { unexpected: true };
  return 'unexpected';
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
