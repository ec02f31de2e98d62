// A small sandbox of its own on a manual clock (tests move it, and it only goes forward), its Bitrise side
// connected as "sandbox", and the sync options that read it at the sandbox's time.
import type { TestContext } from 'node:test';
import { startSandbox } from '../../src/sandbox/index.js';
import { addConnection } from '../../src/store/connections.js';
import type { Store } from '../../src/store/store.js';

export async function bitriseSandbox(store: Store, t: TestContext) {
  const sb = await startSandbox({ size: 'small', clock: 'manual', now: '2026-03-04T12:00:00Z' });
  t.after(() => sb.close());
  const { id } = await addConnection(store, {
    name: 'sandbox',
    provider: 'bitrise',
    baseUrl: sb.bitrise.url,
    org: null,
    token: sb.bitrise.token,
  });
  const options = { now: () => sb.clock.now(), connector: { timeoutMs: 5000, maxRetries: 1 } };
  return { sb, id, options };
}
