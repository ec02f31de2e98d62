// Shared rate limits on PostgreSQL: four processes' worth of stores (each its own connection pool, as
// separate workers have) sync four connections of one Buildkite organization at once, against a sandbox
// whose organization and per-user windows are small enough that together they would overrun both many
// times. The windows kept in the database pace them all: the sandbox serves no 429 (none is retried:
// one would fail its sync), and the Bitrise back-off of one process holds the others back too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  freshWindow,
  memoryBudget,
  observed,
  type RateWindow,
  taken,
  waitFor,
} from '../../src/connectors/rate-budget.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { addConnection } from '../../src/store/connections.js';
import { rateWindows } from '../../src/store/rate-budgets.js';
import { openStore, type Store } from '../../src/store/store.js';
import { syncConnection } from '../../src/sync/sync.js';
import { freshStore, PG_SKIP, PG_URL } from '../store/engines.js';

const WINDOW_MS = 1000;
const ORG_LIMIT = 5;
const USER_LIMIT = 3;

test('four stores syncing one Buildkite organization share its windows: no 429 [postgres]', async (t) => {
  if (!PG_URL) return t.skip(PG_SKIP);
  const sandbox = await startSandbox({
    size: 'small',
    seed: 5,
    buildkite: { rateLimitPerOrg: ORG_LIMIT, rateLimitPerUser: USER_LIMIT, rateLimitWindowMs: WINDOW_MS },
  });
  t.after(() => sandbox.close());
  const first = (await freshStore(t, 'postgres')) as Store;
  const names = ['bk-1', 'bk-2', 'bk-3', 'bk-4'];
  for (const name of names)
    await addConnection(first, {
      name,
      provider: 'buildkite',
      baseUrl: sandbox.buildkite.url,
      org: sandbox.buildkite.org,
      token: sandbox.buildkite.token,
    });
  // Three more handles on the same schema: separate pools, as separate worker processes have.
  const url = new URL(String(PG_URL));
  const others: Store[] = [];
  const schema = (
    await first.db.selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s')).executeTakeFirstOrThrow()
  ).s;
  const database = (
    await first.db
      .selectNoFrom((eb) => eb.fn<string>('current_database', []).as('d'))
      .executeTakeFirstOrThrow()
  ).d;
  url.pathname = `/${database}`;
  url.searchParams.set('options', `-c search_path=${schema}`);
  for (let i = 0; i < 3; i++) others.push(await openStore(url.toString()));
  t.after(() => Promise.all(others.map((s) => s.close())));
  const stores = [first, ...others];

  const summaries = await Promise.all(
    names.map((name, i) =>
      syncConnection(stores[i] as Store, name, { connector: { maxRetries: 0, timeoutMs: 10_000 } }),
    ),
  );
  const requests = summaries.reduce((n, s) => n + s.requests, 0);
  const served = sandbox.buildkite.served();
  console.log(`4 syncs of one organization: ${requests} requests, served ${JSON.stringify(served)}`);
  assert.ok(requests > 3 * USER_LIMIT, `enough requests to overrun the windows several times (${requests})`);
  assert.equal(served[429] ?? 0, 0, 'no 429');
  const windows = await rateWindows(first);
  const org = [...windows].find(([key]) => key.startsWith('buildkite org'))?.[1];
  assert.equal(org?.limit, ORG_LIMIT, 'the organization window as the sandbox states it');
  assert.equal(org?.windowMs, WINDOW_MS + 1000, 'its length learned from the sandbox, a second more');
});

test('a window is taken until used up, then waits for its end; the provider count wins when higher', () => {
  const spec = { key: 'k', name: 'organization', limit: 2, windowMs: 1000 };
  let w: RateWindow = { ...freshWindow(spec), windowMs: 1000 };
  assert.equal(waitFor(w, 100), 0);
  w = taken(w, 100);
  assert.deepEqual([w.used, w.endsAtMs], [1, 1100]);
  w = taken(w, 200);
  assert.equal(waitFor(w, 300), 800);
  assert.equal(waitFor(w, 1100), 0, 'a new window at its end');
  // Someone else used the budget: the provider says none remain, for 5 more seconds.
  w = observed(taken(w, 1100), { limit: 2, remaining: 0, resetMs: 5000 }, 1200, spec);
  assert.equal(waitFor(w, 1300), 4900);
  // A 429's back-off holds every request back, whatever the count.
  const backedOff = observed(
    w,
    { limit: null, remaining: null, resetMs: null, backOffMs: 3000 },
    10_000,
    spec,
  );
  assert.equal(waitFor(backedOff, 11_000), 2000);
});

test('one request goes first; its answer states the windows; takes are from every window or from none', async () => {
  const budget = memoryBudget();
  const org = { key: 'org', name: 'organization', limit: 200, windowMs: 60_000 };
  const user = { key: 'user', name: 'per-user', limit: 50, windowMs: 60_000 };
  assert.equal((await budget.take([org, user], 0)).waitMs, 0);
  // Until the first answer, the documented defaults may be wrong: the others wait for it.
  assert.deepEqual(await budget.take([org, user], 10), { waitMs: 100, window: 'organization' });
  // The first answer opened both windows: 3 a second for the organization, 1 for the user.
  await budget.observe(org, { limit: 3, remaining: 2, resetMs: 1000 }, 50);
  await budget.observe(user, { limit: 1, remaining: 0, resetMs: 1000 }, 50);
  assert.deepEqual(await budget.take([org, user], 60), { waitMs: 990, window: 'per-user' });
  // The refused take left the organization window as it was: two more fit.
  assert.equal((await budget.take([org], 70)).waitMs, 0);
  assert.equal((await budget.take([org], 80)).waitMs, 0);
  assert.equal((await budget.take([org], 90)).window, 'organization');
  assert.equal((await budget.take([org, user], 1050)).waitMs, 0, 'both windows anew');
});
