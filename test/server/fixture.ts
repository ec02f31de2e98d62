// A store synced from the sandbox (both providers, small size, clock pinned) and an app over it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { buildApp } from '../../src/server/app.js';
import { SyncRunner } from '../../src/server/sync-runner.js';
import { addConnection } from '../../src/store/connections.js';
import { openStore, type Store } from '../../src/store/store.js';
import { syncConnection } from '../../src/sync/sync.js';

export interface Synced {
  store: Store;
  sandbox: Sandbox;
  /** Options that make a sync read the sandbox at its pinned clock. */
  syncOptions: { now: () => number; connector: { timeoutMs: number; maxRetries: number } };
}

/** Adds a Bitrise and a Buildkite connection to `store` and syncs both from a fresh sandbox (clock held still). */
export async function syncFromSandbox(store: Store, t: Pick<TestContext, 'after'>): Promise<Synced> {
  // Anchored at the real hour, so "the last 30 days" on the server holds the sandbox's recent history.
  const sandbox = await startSandbox({ size: 'small', clock: 'manual' });
  t.after(() => sandbox.close());
  await addConnection(store, {
    name: 'bitrise-sandbox',
    provider: 'bitrise',
    baseUrl: sandbox.bitrise.url,
    org: null,
    token: sandbox.bitrise.token,
  });
  await addConnection(store, {
    name: 'buildkite-sandbox',
    provider: 'buildkite',
    baseUrl: sandbox.buildkite.url,
    org: sandbox.buildkite.org,
    token: sandbox.buildkite.token,
  });
  const syncOptions = { now: () => sandbox.clock.now(), connector: { timeoutMs: 5000, maxRetries: 1 } };
  await syncConnection(store, 'bitrise-sandbox', syncOptions);
  await syncConnection(store, 'buildkite-sandbox', syncOptions);
  return { store, sandbox, syncOptions };
}

/** An app on loopback without a token, closed after the test; syncs use the sandbox's clock. */
export async function appFor(
  synced: Synced,
  t: Pick<TestContext, 'after'>,
  options: { token?: string | null; loopback?: boolean; webRoot?: string; now?: () => number } = {},
): Promise<{ app: FastifyInstance; sync: SyncRunner; errors: string[] }> {
  const sync = new SyncRunner(synced.store, {
    syncOne: (store, name, extra) => syncConnection(store, name, { ...synced.syncOptions, ...extra }),
  });
  const errors: string[] = [];
  const app = await buildApp({
    store: synced.store,
    sync,
    token: options.token ?? null,
    loopback: options.loopback ?? true,
    webRoot: options.webRoot,
    now: options.now,
    log: (line) => errors.push(line),
  });
  t.after(async () => {
    await sync.idle();
    await app.close();
  });
  return { app, sync, errors };
}

/**
 * A scratch folder (the user data directory too) and a SQLite store synced from the sandbox, made before
 * this file's tests and removed after them; `synced()` reads it inside a test.
 */
export function syncedForFile(name: string): () => Synced {
  const scratch = mkdtempSync(join(tmpdir(), `buildlens-${name}-`));
  process.env.XDG_DATA_HOME = join(scratch, 'data');
  const cleanups: (() => unknown)[] = [];
  let synced: Synced | null = null;
  before(async () => {
    const store = await openStore(join(scratch, 'buildlens.db'));
    cleanups.push(() => store.close());
    synced = await syncFromSandbox(store, { after: (fn: () => unknown) => void cleanups.push(fn) } as Pick<
      TestContext,
      'after'
    >);
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  return () => {
    if (synced === null) throw new Error('the synced store is made before the tests run');
    return synced;
  };
}
