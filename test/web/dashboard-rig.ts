// What every dashboard browser test stands on: the dashboard built from source, a store synced from the
// sandbox, a real server over it and Chromium, set up before the file's tests and removed after them.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { openStore, type Store } from '../../src/store/store.js';
import { syncFromSandbox } from '../server/fixture.js';
import { buildDashboard, CHROMIUM_SKIP, chromiumAvailable, launchBrowser, watchedPage } from './browser.js';

export const SCREENSHOTS = resolve('test-output/screenshots');

export interface DashboardRig {
  /** False, or why the file's tests are skipped. */
  skip: false | string;
  scratch: string;
  server: RunningServer;
  store: Store;
  browser: { context: BrowserContext; close(): Promise<void> };
  openPage(path: string): ReturnType<typeof watchedPage>;
  /** The API's JSON answer at `path`. */
  api<T = unknown>(path: string): Promise<T>;
}

/** Registers the file's before/after hooks; `prepare` changes the synced store before the server starts. */
export function dashboardRig(
  name: string,
  prepare?: (store: Store, scratch: string) => Promise<void>,
): DashboardRig {
  const scratch = mkdtempSync(join(tmpdir(), `buildlens-${name}-test-`));
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const rig = {
    skip: chromiumAvailable() ? false : CHROMIUM_SKIP,
    scratch,
    openPage: (path: string) => watchedPage(rig.browser.context, `${rig.server.url}${path}`),
    api: async (path: string) => (await fetch(`${rig.server.url}${path}`)).json(),
  } as DashboardRig;
  before(async () => {
    if (rig.skip) return;
    process.env.XDG_DATA_HOME = join(scratch, 'data');
    const webRoot = await buildDashboard();
    cleanups.push(() => rmSync(webRoot, { recursive: true, force: true }));
    rig.store = await openStore(join(scratch, 'buildlens.db'));
    await syncFromSandbox(rig.store, { after: (fn: () => unknown) => void cleanups.push(fn) });
    await prepare?.(rig.store, scratch);
    rig.server = await startServer({
      store: rig.store,
      host: '127.0.0.1',
      port: 0,
      token: null,
      syncEveryMs: null,
      webRoot,
    });
    rig.browser = await launchBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await rig.browser?.close();
    await rig.server?.close();
    await rig.store?.close();
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  return rig;
}
