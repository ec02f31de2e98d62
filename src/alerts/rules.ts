// The alerts file (alerts.yaml beside the database, or --alerts): rules and where their messages go,
// validated with zod. Every problem is refused as one line naming the file, the line and the column of the
// value at fault, e.g. `alerts.yaml:7:13: alerts[0].metric: expected one of success_rate, …`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { rememberSecret } from '../domain/redaction.js';
import { userDataDir } from '../store/paths.js';
import { ALERT_METRICS, type AlertMetric, METRICS, type MetricKind } from './metrics.js';

export class AlertsFileError extends Error {
  override name = 'AlertsFileError';
}

export const DESTINATION_TYPES = ['slack', 'teams', 'webhook'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** Each alert is judged for every project (or workflow) in its scope apart, or once over the whole scope. */
export const ALERT_GROUPINGS = ['project', 'workflow', 'scope'] as const;
export type AlertGrouping = (typeof ALERT_GROUPINGS)[number];

export type Condition =
  | { kind: 'above' | 'below'; threshold: number }
  /** Against the previous window of the same length: relative (`percent`) or, for rates, in points. */
  | { kind: 'change'; direction: 'up' | 'down'; by: number; unit: 'percent' | 'points' };

export interface AlertScope {
  connection?: string[];
  project?: string[];
  workflow?: string[];
  /** Branch names; absent: each project's default branch; `*`: every branch. */
  branch?: string[];
}

export interface AlertRule {
  name: string;
  metric: AlertMetric;
  scope: AlertScope;
  per: AlertGrouping;
  /** The window as written (`24h`) and in milliseconds. */
  window: string;
  windowMs: number;
  condition: Condition;
  minRuns: number;
  /** Destination names; every destination of the file when the rule names none. */
  notify: string[];
}

export interface Destination {
  name: string;
  type: DestinationType;
  /** Null when it comes from an environment variable that is not set (`problem` says which). */
  url: string | null;
  /** The HMAC key of a generic webhook. */
  secret: string | null;
  problem: string | null;
}

export interface AlertsConfig {
  file: string;
  /** Where links in messages point (the dashboard's address as its readers reach it); null: no links. */
  dashboardUrl: string | null;
  destinations: Destination[];
  rules: AlertRule[];
}

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, . _ - (at most 100)');
const oneOrMany = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

const destination = z
  .object({
    type: z.enum(DESTINATION_TYPES),
    url: httpUrl.optional(),
    url_env: envName.optional(),
    secret: z.string().min(16, 'at least 16 characters').optional(),
    secret_env: envName.optional(),
  })
  .strict()
  .refine((d) => (d.url === undefined) !== (d.url_env === undefined), {
    message: 'give the address as url or url_env (one of them)',
  })
  .refine((d) => d.type === 'webhook' || (d.secret === undefined && d.secret_env === undefined), {
    message: 'only a webhook destination is signed with a secret',
  })
  .refine((d) => d.type !== 'webhook' || (d.secret === undefined) !== (d.secret_env === undefined), {
    message: 'a webhook destination needs its signing key as secret or secret_env (one of them)',
  });

const threshold = z.union([z.number(), z.string()]);
const condition = z
  .object({
    above: threshold.optional(),
    below: threshold.optional(),
    up_percent: z.number().positive().optional(),
    down_percent: z.number().positive().max(100).optional(),
    up_points: z.number().positive().max(100).optional(),
    down_points: z.number().positive().max(100).optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length === 1, {
    message: 'give exactly one of above, below, up_percent, down_percent, up_points, down_points',
  });

const rule = z
  .object({
    name,
    metric: z.enum(ALERT_METRICS),
    scope: z
      .object({
        connection: oneOrMany.optional(),
        project: oneOrMany.optional(),
        workflow: oneOrMany.optional(),
        branch: oneOrMany.optional(),
      })
      .strict()
      .default({}),
    per: z.enum(ALERT_GROUPINGS).default('project'),
    window: z.string().regex(/^\d{1,4}(h|d|w)$/, 'a window like 24h, 7d or 2w'),
    condition,
    min_runs: z.number().int().min(1).default(5),
    notify: z.array(z.string().min(1)).optional(),
  })
  .strict();

const file = z
  .object({
    dashboard_url: httpUrl.optional(),
    destinations: z.record(name, destination).default({}),
    alerts: z.array(rule, { error: 'expected a list of alert rules' }),
  })
  .strict();

type Path = (string | number)[];

class Problem extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message);
  }
}

const WINDOW_UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const MAX_WINDOW_MS = 366 * 86_400_000;

function windowMs(window: string, path: Path): number {
  const unit = window.at(-1) as keyof typeof WINDOW_UNIT_MS;
  const ms = Number(window.slice(0, -1)) * WINDOW_UNIT_MS[unit];
  if (ms < WINDOW_UNIT_MS.h || ms > MAX_WINDOW_MS) throw new Problem(path, 'must be from 1h to 366d');
  return ms;
}

const DURATION = /^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$/;

/** A threshold in the metric's own unit: rates in percent (`90`, `"90%"`), durations in seconds or `10m`. */
function thresholdValue(kind: MetricKind, raw: number | string, path: Path): number {
  if (kind === 'rate') {
    const percent =
      typeof raw === 'number' ? raw : Number(/^\s*([\d.]+)\s*%\s*$/.exec(raw)?.[1] ?? Number.NaN);
    if (!(percent >= 0 && percent <= 100))
      throw new Problem(
        path,
        `a rate is written in percent, from 0 to 100 (90 or "90%"), got ${JSON.stringify(raw)}`,
      );
    return percent / 100;
  }
  if (kind === 'seconds') {
    if (typeof raw === 'number' && raw >= 0) return raw;
    const match = typeof raw === 'string' ? DURATION.exec(raw.trim()) : null;
    if (!match || raw === '' || (match[1] ?? match[2] ?? match[3]) === undefined)
      throw new Problem(
        path,
        `a duration in seconds or like "10m", "1h 30m", "90s", got ${JSON.stringify(raw)}`,
      );
    return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  }
  if (typeof raw !== 'number' || raw < 0)
    throw new Problem(path, `must be a number of 0 or more, got ${JSON.stringify(raw)}`);
  return raw;
}

function toCondition(metric: AlertMetric, spec: z.output<typeof condition>, path: Path): Condition {
  const kind = METRICS[metric].kind;
  const [key, raw] = Object.entries(spec)[0] as [keyof typeof spec, number | string];
  const at = [...path, key];
  if (key === 'above' || key === 'below') return { kind: key, threshold: thresholdValue(kind, raw, at) };
  const [direction, unit] = key.split('_') as ['up' | 'down', 'percent' | 'points'];
  if (unit === 'points' && kind !== 'rate')
    throw new Problem(at, `points are for rates; ${metric} changes in percent (up_percent, down_percent)`);
  return { kind: 'change', direction, unit, by: unit === 'points' ? (raw as number) / 100 : (raw as number) };
}

function toDestination(key: string, spec: z.output<typeof destination>, env: NodeJS.ProcessEnv): Destination {
  const fromEnv = (variable: string | undefined, what: string): [string | null, string | null] => {
    if (variable === undefined) return [null, null];
    const value = env[variable]?.trim();
    return value ? [value, null] : [null, `$${variable} (the ${what}) is not set`];
  };
  const [envUrl, urlProblem] = fromEnv(spec.url_env, 'address');
  const [envSecret, secretProblem] = fromEnv(spec.secret_env, 'signing key');
  const url = spec.url ?? envUrl;
  const secret = spec.secret ?? envSecret;
  // An incoming-webhook address is itself the credential: whoever has it can post to the channel.
  if (url) rememberSecret(url);
  if (secret) rememberSecret(secret);
  let problem = urlProblem ?? secretProblem;
  if (url && !/^https?:\/\/[^\s]+$/i.test(url)) problem = `$${spec.url_env} is not an http(s) URL`;
  return { name: key, type: spec.type, url: problem ? null : url, secret, problem };
}

/** Parses alerts file text; `path` names the file in errors. Environment variables give url_env/secret_env. */
export function parseAlerts(
  content: string,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): AlertsConfig {
  const lines = new LineCounter();
  const document = parseDocument(content, { lineCounter: lines, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${path}:${line}:${col}`;
  };
  const [syntax] = document.errors;
  if (syntax) {
    const message = syntax.message
      .split('\n')[0]
      ?.replace(/ at line \d+, column \d+:?$/, '')
      .replace(/:\s*$/, '');
    throw new AlertsFileError(`${at(syntax.pos[0])}: not valid YAML: ${message}`);
  }
  const fail = (where: Path, message: string, key?: string): never => {
    throw new AlertsFileError(`${at(offsetOf(document, where, key))}: ${pathText(where)}${message}`);
  };
  const parsed = file.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) return fail([], 'invalid');
    const where = issue.path as Path;
    if (issue.code === 'unrecognized_keys') {
      const [key] = issue.keys;
      return fail(where, `unknown field "${key}"`, key);
    }
    const missing = issue.code === 'invalid_type' && / received undefined$/.test(issue.message);
    return fail(
      where,
      missing
        ? `is missing (${issue.message.replace(/^Invalid input: | received undefined$/g, '').replace(/,$/, '')})`
        : issue.message,
    );
  }
  try {
    const destinations = Object.entries(parsed.data.destinations).map(([key, spec]) =>
      toDestination(key, spec, env),
    );
    const known = new Set(destinations.map((d) => d.name));
    const names = new Set<string>();
    const rules = parsed.data.alerts.map((spec, index): AlertRule => {
      const path: Path = ['alerts', index];
      if (names.has(spec.name)) throw new Problem([...path, 'name'], `"${spec.name}" names two rules`);
      names.add(spec.name);
      const unknown = spec.notify?.findIndex((d) => !known.has(d)) ?? -1;
      if (unknown >= 0)
        throw new Problem(
          [...path, 'notify', unknown],
          `no destination "${spec.notify?.[unknown]}" in destinations`,
        );
      return {
        name: spec.name,
        metric: spec.metric,
        scope: spec.scope,
        per: spec.per,
        window: spec.window,
        windowMs: windowMs(spec.window, [...path, 'window']),
        condition: toCondition(spec.metric, spec.condition, [...path, 'condition']),
        minRuns: spec.min_runs,
        notify: spec.notify ?? [...known],
      };
    });
    return {
      file: path,
      dashboardUrl: parsed.data.dashboard_url?.replace(/\/+$/, '') ?? null,
      destinations,
      rules,
    };
  } catch (error) {
    if (error instanceof Problem) return fail(error.path, error.message);
    throw error;
  }
}

/** `alerts[0].condition.below: ` — where in the document, for the message. */
function pathText(path: Path): string {
  const text = path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );
  return text ? `${text}: ` : '';
}

/** The source offset of the value at `path` (of the key `key` in it), else of its nearest ancestor. */
function offsetOf(document: ReturnType<typeof parseDocument>, path: Path, key?: string): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth), true) as
      | { range?: [number, number, number] }
      | undefined;
    if (!node?.range) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return range[0];
    }
    return node.range[0];
  }
  return 0;
}

/** Reads and parses an alerts file. */
export function loadAlerts(path: string, env: NodeJS.ProcessEnv = process.env): AlertsConfig {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AlertsFileError(
      `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseAlerts(content, path, env);
}

export const ALERTS_FILE = 'alerts.yaml';

/**
 * Where the alerts file is: `flag` (--alerts), else $BUILDLENS_ALERTS, else alerts.yaml beside the SQLite
 * file (for PostgreSQL: in the user data directory). `given`: the file was named, so it must exist.
 */
export function alertsFileFor(
  store: { dialect: string; location: string },
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; given: boolean } {
  const given = flag ?? env.BUILDLENS_ALERTS;
  if (given) return { path: given, given: true };
  const dir = store.dialect === 'sqlite' ? dirname(store.location) : userDataDir(env);
  return { path: join(dir, ALERTS_FILE), given: false };
}

/** The alerts in force: null when no file was named and none lies in the default place. */
export function alertsForStore(
  store: { dialect: string; location: string },
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): AlertsConfig | null {
  const { path, given } = alertsFileFor(store, flag, env);
  if (!given && !existsSync(path)) return null;
  return loadAlerts(path, env);
}
