// A real server on loopback over a synced store, and /metrics read back as samples: what Prometheus sees.
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import type { Synced } from './fixture.js';

export interface ScrapedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Serves the store on 127.0.0.1 (any free port) with /metrics windows ending at the sandbox's clock (or `now`). */
export async function serveOnLoopback(
  synced: Synced,
  t: Pick<TestContext, 'after'>,
  options: { metricsProjects?: number; now?: () => number } = {},
): Promise<string> {
  const app = await buildApp({
    store: synced.store,
    sync: new SyncRunner(synced.store),
    token: null,
    loopback: true,
    now: options.now ?? (() => synced.sandbox.clock.now()),
    metricsProjects: options.metricsProjects,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const unescapeLabel = (value: string) => value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** Parses Prometheus text exposition (0.0.4) samples; comments are skipped. */
export function parseExposition(text: string): ScrapedSample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
        labels[name as string] = unescapeLabel(value as string);
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** GET /metrics of a server and its samples. */
export async function scrape(url: string): Promise<ScrapedSample[]> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseExposition(await response.text());
}
