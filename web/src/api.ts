// Talking to the server: JSON over fetch, the bearer token when the server asks for one, and errors as
// sentences a person can read.

import type { AlertsDocument } from '../../src/alerts/document.js';
import type { Comparison, SelectionCoverage } from '../../src/metrics/coverage.js';
import type { FlakyList } from '../../src/metrics/flaky.js';
import type { FlakyRank } from '../../src/metrics/flaky-ranking.js';
import type { LevelReport } from '../../src/metrics/level-report.js';
import type { RunPoints } from '../../src/metrics/run-points.js';
import type { SyncStatusRecord as SyncStatus } from '../../src/server/routes/sync.js';
import type { ConnectionRecord } from '../../src/store/connection-records.js';
import type { JobRecord } from '../../src/store/job-records.js';
import type { ProjectRecord, RunRecord, RunRecordPage } from '../../src/store/run-records.js';
import type { StepRecord } from '../../src/store/step-records.js';

export type {
  AlertRuleRecord,
  AlertStateRecord,
  AlertsDocument,
} from '../../src/alerts/document.js';
export type { FlakyList } from '../../src/metrics/flaky.js';
export type { FlakyRank } from '../../src/metrics/flaky-ranking.js';
export type { LevelReport, LevelRow } from '../../src/metrics/level-report.js';
export type { RunPoints } from '../../src/metrics/run-points.js';
export type { JobRecord } from '../../src/store/job-records.js';
export type { ProjectRecord, RunRecord, RunRecordPage } from '../../src/store/run-records.js';
export type { StepRecord } from '../../src/store/step-records.js';
export type { ConnectionRecord, SyncStatus };

/** Metric fields by snake_case name (the set grows with the metrics module). */
export interface Figures {
  readonly [field: string]: unknown;
}

/**
 * A report row: one label per dimension, metric fields, and when compared whether the previous period is
 * covered and, only then, its figures.
 */
export interface ReportRow extends Figures {
  readonly previous?: Figures | null;
  readonly comparison?: Comparison;
}

export interface ReportDocument {
  by: string[];
  filter: Record<string, unknown>;
  coverage: SelectionCoverage;
  rows: ReportRow[];
  total: ReportRow;
}

export interface Meta {
  version: string;
  dimensions: string[];
  /** Metric fields of each metric group, in order. */
  metric_groups: Record<string, string[]>;
  providers: string[];
  classifications: string[];
}

export interface CheckResult {
  connection: string;
  code: string;
  message: string;
  explanation: string;
  curl: string | null;
  /** When ok: what was checked, one line each. */
  checked: string[];
}

export interface Rule {
  order: number;
  name: string;
  classification: string;
}

export type Params = Record<string, string | readonly string[] | undefined | null>;

// Kept in sessionStorage: for this tab only, gone when it closes, never in localStorage or a cookie.
const TOKEN_KEY = 'buildlens-token';

/** The server wants a token this page does not have (or has wrong). */
export class NeedsToken extends Error {
  override name = 'NeedsToken';
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of typeof value === 'string' ? [value] : value) search.append(name, item);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The Authorization header for this tab's token, if it has one. */
export function authorization(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authorization() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error('the buildlens server did not answer; is it still running?');
  }
  if (response.status === 401) {
    // A token this tab held and the server no longer takes (revoked) is forgotten, and asked for again.
    sessionStorage.removeItem(TOKEN_KEY);
    throw new NeedsToken('this server needs an access token');
  }
  const payload = (await response.json().catch(() => null)) as { message?: string } | null;
  if (!response.ok) throw new Error(payload?.message ?? `the server answered ${response.status}`);
  return payload as T;
}

export const api = {
  meta: () => request<Meta>('GET', '/api/meta'),
  report: (params: Params) => request<ReportDocument>('GET', `/api/report${query(params)}`),
  runs: (params: Params) => request<RunRecordPage>('GET', `/api/runs${query(params)}`),
  flaky: (params: Params) => request<FlakyList>('GET', `/api/flaky${query(params)}`),
  flakyRanking: (params: Params) =>
    request<{ by: string; ranks: FlakyRank[] }>('GET', `/api/flaky${query(params)}`),
  /** One run and what ran inside it; `connection` tells apart a key two connections share. */
  run: (key: string, connection: string) =>
    request<RunRecord>('GET', `/api/runs/${encodeURIComponent(key)}${query({ connection })}`),
  runJobs: (key: string, connection: string) =>
    request<JobRecord[]>('GET', `/api/runs/${encodeURIComponent(key)}/jobs${query({ connection })}`),
  runSteps: (key: string, connection: string) =>
    request<StepRecord[]>('GET', `/api/runs/${encodeURIComponent(key)}/steps${query({ connection })}`),
  levels: (params: Params) => request<LevelReport>('GET', `/api/report/levels${query(params)}`),
  runPoints: (params: Params) => request<RunPoints>('GET', `/api/runs/points${query(params)}`),
  projects: () => request<ProjectRecord[]>('GET', '/api/projects'),
  connections: () => request<ConnectionRecord[]>('GET', '/api/connections'),
  verify: (name: string) =>
    request<CheckResult>('POST', `/api/connections/${encodeURIComponent(name)}/verify`),
  rules: () => request<Rule[]>('GET', '/api/rules'),
  alerts: (params: Params = {}) => request<AlertsDocument>('GET', `/api/alerts${query(params)}`),
  syncStatus: () => request<SyncStatus>('GET', '/api/sync'),
  startSync: (connections: string[]) => request<SyncStatus>('POST', '/api/sync', { connections }),
};
