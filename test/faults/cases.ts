// Every sandbox fault against a real sync into SQLite, for one provider: the sync either ends with exactly
// the sandbox's runs, jobs and statuses, or stops with a clear one-line error; then, with the fault gone,
// the next sync reaches the exact truth without re-reading what was already committed.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Provider } from '../../src/domain/model.js';
import { STORED_TEXT_MAX } from '../../src/domain/text.js';
import type { Traffic } from '../../src/sandbox/faults.js';
import { readSyncState } from '../../src/store/sync-state.js';
import { CONNECTIONS, compareWithTruth, type Rig, type SyncOutcome, startRig, syncOnce } from './rig.js';

interface FaultCase {
  name: string;
  spec: (baseline: Baseline) => string;
  /** What the faulty sync must do: finish, stop with an error matching the pattern, or either. */
  expect: 'ok' | RegExp | 'either';
  /** Run fields the fault changes on purpose (not compared). */
  ignore?: string[];
  /** The fault moves the sandbox clock: the faulty sync cannot equal the truth at its end. */
  moves?: boolean;
  /** The fault hits after some projects were committed: the next sync must cost less than a fresh one. */
  resumes?: boolean;
  /**
   * The faulty sync finishes and keeps apart, refused as runs, payloads whose reason matches (DESIGN.md
   * "Refused run"); the truth compared is then the sandbox's runs less the refused ones.
   */
  refuses?: RegExp;
  /** The client timeout for the faulty sync, when the fault itself takes long to serve and read. */
  timeoutMs?: number;
  /** Extra checks on the rig after the faulty sync. */
  check?: (rig: Rig, outcome: SyncOutcome) => Promise<void> | void;
}

interface Baseline {
  /** What a first sync with no faults fetched. */
  fresh: Traffic;
  /** What a sync right after it fetched (nothing new). */
  idle: Traffic;
}

/** A sync and what the sandbox served for it. */
async function measuredSync(
  rig: Rig,
  provider: Provider,
): Promise<{ outcome: SyncOutcome; traffic: Traffic }> {
  const before = rig.sandbox.faults.traffic()[provider] ?? { requests: 0, items: 0 };
  const outcome = await syncOnce(rig, provider);
  const after = rig.sandbox.faults.traffic()[provider] ?? { requests: 0, items: 0 };
  return {
    outcome,
    traffic: { requests: after.requests - before.requests, items: after.items - before.items },
  };
}

/** A build field sent with the wrong type, and the run field it fills (then null). */
const mistyped: Record<Provider, { key: string; field: string }> = {
  bitrise: { key: 'credit_cost', field: 'cost' },
  buildkite: { key: 'branch', field: 'branch' },
};
const messageField: Record<Provider, string> = { bitrise: 'commit_message', buildkite: 'message' };
const timeField: Record<Provider, string> = { bitrise: 'triggered_at', buildkite: 'created_at' };

function cases(provider: Provider): FaultCase[] {
  return [
    {
      name: '429 without a wait header, with Retry-After, with RateLimit-Reset',
      // Three 429s in a row on one request: retried within the budget of three.
      spec: () => '429:after=2,count=1;429:after=3,count=1,retry-after=0;429:after=4,count=1,reset=0',
      expect: 'ok',
      check: (rig) => assert.equal(rig.sandbox.faults.injected()['429'], 3),
    },
    {
      name: '500/502/503 bursts and connection resets within the retry budget',
      // Retry-After 0 on the longer burst keeps the test quick; the others wait the client's backoff.
      spec: () =>
        '500:after=2,count=1;502:after=4,count=1;503:after=6,count=3,retry-after=0;reset:after=12,count=2',
      expect: 'ok',
    },
    {
      name: '503 that never ends: bounded retries, then a clear error',
      spec: () => '503:after=2,retry-after=0',
      expect: /answered 503/,
      check: (rig) => assert.equal(rig.sandbox.faults.injected()['503'], 4, 'first try + 3 retries'),
    },
    {
      name: 'an answer slower than the client timeout',
      spec: () => 'slow:after=3,count=1,ms=4000',
      expect: 'ok',
    },
    {
      name: 'truncated and malformed JSON',
      spec: () => 'truncate:after=3,count=2;malformed:after=6,count=1',
      expect: 'ok',
    },
    { name: 'a page that repeats the previous page', spec: () => 'repeat:count=1', expect: 'ok' },
    {
      name: 'a page repeated on every try: refused, not skipped',
      spec: () => 'repeat',
      expect: /served the same items twice/,
    },
    // A link back to the page itself reads as a repeated page; one back to an earlier page as a loop.
    { name: 'a cursor that loops', spec: () => 'loop:count=1', expect: /twice; stopping/ },
    {
      name: 'new runs arriving and runs finishing during the backfill',
      spec: () => 'shift:after=3,every=4,count=3,minutes=40',
      expect: 'ok',
      moves: true,
    },
    {
      name: 'token revoked mid-sync (401 after some pages)',
      spec: (b) => `401:after=${Math.floor(b.fresh.requests * 0.75)}`,
      expect: /answered 401/,
      resumes: true,
      check: async (rig) => {
        const id = await connectionId(rig, provider);
        assert.notEqual((await readSyncState(rig.store, id)).state, null, 'a checkpoint came before the 401');
      },
    },
    // Both readers need only ids, number, status and triggered time: any other field absent or of another
    // type is stored as null and the sync goes on (docs/providers.md).
    {
      name: 'a missing field',
      spec: () => 'field:key=finished_at,mode=missing,path=/builds,count=1',
      expect: 'ok',
      ignore: ['finishedAt', 'durationS'],
    },
    {
      name: 'a field of the wrong type',
      spec: () => `field:key=${mistyped[provider].key},mode=type,path=/builds,count=1`,
      expect: 'ok',
      ignore: [mistyped[provider].field],
    },
    {
      // JSON.parse reads it; hashing or storing it with JSON.stringify overflowed the stack.
      name: 'a value nested 100,000 levels deep',
      spec: () => `field:key=${messageField[provider]},mode=deep,path=/builds,count=1`,
      expect: 'ok',
      refuses: /^nested deeper than 64 levels$/,
      // Serving and reading 100,000 levels can outlast the usual 1.5 s on a loaded machine; the retry that
      // follows a timeout gets the page without the fault, and nothing would be refused.
      timeoutMs: 15_000,
      check: async (rig) => {
        const row = await rig.store.db
          .selectFrom('refused_payloads')
          .select('payload')
          .executeTakeFirstOrThrow();
        assert.ok(row.payload.includes('['.repeat(100_000)), 'the payload is kept whole');
      },
    },
    {
      // Stored, it moved the high-water mark past every later run and broke the API's cursor.
      name: 'a run dated 9999-12-31',
      spec: () => `field:key=${timeField[provider]},mode=future,path=/builds,count=1`,
      expect: 'ok',
      refuses: /outside 2000–2100/,
    },
    {
      name: 'huge strings',
      // Bitrise also lists the builds of each rerun pipeline's number under /builds: more answers get one.
      spec: () => `huge:path=/builds,count=${provider === 'bitrise' ? 20 : 3},kb=1024`,
      expect: 'ok',
      ignore: ['message'],
      check: async (rig) => {
        // Normalized columns are capped (a 200 MB message made every page of /api/runs that large); the raw
        // payload keeps the whole text for renormalize.
        const capped = await rig.store.db
          .selectFrom('runs')
          .select('message')
          .where((eb) => eb(eb.fn('length', ['message']), '=', STORED_TEXT_MAX + 1))
          .execute();
        assert.ok(capped.length >= 1, 'the huge message is stored cut at the cap');
        assert.ok(capped.every((r) => r.message?.endsWith('…')));
        const longest = await rig.store.db
          .selectFrom('runs')
          .select((eb) => eb.fn.max(eb.fn('length', ['message'])).as('n'))
          .executeTakeFirstOrThrow();
        assert.equal(Number(longest.n), STORED_TEXT_MAX + 1);
        const raw = await rig.store.db
          .selectFrom('raw_payloads')
          .select('key')
          .where((eb) => eb(eb.fn('length', ['payload']), '>=', 1024 * 1024))
          .execute();
        assert.ok(raw.length >= 1, 'the raw payload holds the whole message');
      },
    },
  ];
}

async function connectionId(rig: Rig, provider: Provider): Promise<number> {
  const row = await rig.store.db
    .selectFrom('connections')
    .select('id')
    .where('name', '=', CONNECTIONS[provider])
    .executeTakeFirstOrThrow();
  return row.id;
}

async function assertExact(rig: Rig, provider: Provider, ignore: string[] = []): Promise<void> {
  const { mismatches, runsCompared } = await compareWithTruth(rig.store, rig.sandbox, provider, ignore);
  assert.ok(runsCompared > 50, `the sandbox holds runs to compare (${runsCompared})`);
  assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} differences from the sandbox`);
}

export function faultTests(provider: Provider): void {
  const baseline: Baseline = { fresh: { requests: 0, items: 0 }, idle: { requests: 0, items: 0 } };
  before(async () => {
    const rig = await startRig();
    try {
      const fresh = await measuredSync(rig, provider);
      const idle = await measuredSync(rig, provider);
      assert.ok(fresh.outcome.ok && idle.outcome.ok, 'a sync without faults succeeds');
      baseline.fresh = fresh.traffic;
      baseline.idle = idle.traffic;
      await assertExact(rig, provider);
    } finally {
      await rig.close();
    }
  });

  for (const c of cases(provider)) {
    test(`${provider}: ${c.name}`, async () => {
      const spec = c.spec(baseline);
      const rig = await startRig({ faults: spec });
      try {
        const outcome = await syncOnce(rig, provider, c.timeoutMs);
        const injected = rig.sandbox.faults.injected();
        assert.ok(Object.keys(injected).length > 0, `the fault "${spec}" was injected`);
        if (outcome.ok) {
          assert.ok(c.expect === 'ok' || c.expect === 'either', `expected an error, the sync finished`);
          if (!c.moves) await assertExact(rig, provider, c.ignore);
        } else {
          assert.ok(c.expect !== 'ok', `the sync failed: ${outcome.error.message}`);
          if (c.expect instanceof RegExp) assert.match(outcome.error.message, c.expect);
          assert.doesNotMatch(outcome.error.message, /\n/, 'one line');
          const token = provider === 'bitrise' ? rig.sandbox.bitrise.token : rig.sandbox.buildkite.token;
          assert.ok(!outcome.error.message.includes(token), 'no token in the error');
        }
        if (c.refuses) {
          const refused = await rig.store.db.selectFrom('refused_payloads').select('reason').execute();
          assert.ok(refused.length > 0, 'a payload was refused');
          for (const { reason } of refused) assert.match(reason, c.refuses);
        }
        await c.check?.(rig, outcome);

        rig.sandbox.faults.clear();
        const { outcome: next, traffic } = await measuredSync(rig, provider);
        assert.ok(next.ok, `the sync after the fault cleared: ${next.ok ? '' : next.error.message}`);
        await assertExact(rig, provider, c.ignore);
        const fetched = `fetched ${JSON.stringify(traffic)}, a fresh sync ${JSON.stringify(baseline.fresh)}`;
        // A refused payload may be listed again in the overlap, and then read as the run it now is.
        if (outcome.ok && !c.moves && !c.refuses) {
          // Nothing committed is fetched again: the next sync costs what an idle one does.
          assert.deepEqual(traffic, baseline.idle, fetched);
        } else if (c.resumes) {
          assert.ok(traffic.items < baseline.fresh.items, fetched);
        } else if (!c.moves) {
          assert.ok(traffic.items <= baseline.fresh.items, fetched);
        }
      } finally {
        await rig.close();
      }
    });
  }
}
