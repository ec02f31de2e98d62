// The fault spec grammar and the injector's schedules, over real HTTP on loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultSpecError, parseFaultSpec } from '../../src/sandbox/faults.js';
import { startSandbox } from '../../src/sandbox/index.js';

test('a spec reads into rules with their schedule, place and parameters', () => {
  const spec = parseFaultSpec(
    'seed=7; 503:rate=0.1 429:after=5,count=3,retry-after=2;reset:every=7,on=buildkite',
  );
  assert.equal(spec.seed, 7);
  assert.deepEqual(
    spec.rules.map((r) => [r.name, r.status, r.rate, r.after, r.count, r.every, r.provider]),
    [
      ['503', 503, 0.1, 0, Number.POSITIVE_INFINITY, null, null],
      ['429', 429, null, 5, 3, null, null],
      ['reset', null, null, 0, Number.POSITIVE_INFINITY, 7, 'buildkite'],
    ],
  );
  assert.equal(spec.rules[1]?.params['retry-after'], '2');
  assert.deepEqual(parseFaultSpec('').rules, []);
});

test('a spec that cannot be read names the part at fault', () => {
  const cases: [string, RegExp][] = [
    ['teapot', /unknown fault "teapot"/],
    ['200', /unknown fault "200"/],
    ['503:rate=2', /rate must be a number from 0 to 1/],
    ['503:rate=0.5,every=2', /either every or rate/],
    ['503:after=-1', /after must be a whole number/],
    ['slow:ms=soon', /ms must be a whole number/],
    ['reset:ms=5', /unknown parameter "ms"/],
    ['503:on=gitlab', /on must be bitrise or buildkite/],
    ['field:mode=odd', /mode must be one of type, missing, deep, future/],
    ['503:count', /"count" needs =value/],
  ];
  for (const [spec, message] of cases) {
    assert.throws(
      () => parseFaultSpec(spec),
      (e: unknown) => e instanceof FaultSpecError && message.test(e.message),
    );
  }
});

async function statuses(url: string, token: string, n: number): Promise<(number | 'reset')[]> {
  const out: (number | 'reset')[] = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push((await fetch(`${url}/apps`, { headers: { Authorization: token } })).status);
    } catch {
      out.push('reset');
    }
  }
  return out;
}

test('after, count and every pick exactly the requests they say; clear() ends the faults', async (t) => {
  const sb = await startSandbox({ faults: '503:after=2,count=2;reset:every=3,on=bitrise' });
  t.after(() => sb.close());
  // Requests 3 and 4 get the 503 rule; the reset rule counts them too, and fires on 3, 6, 9 (3 went to 503).
  assert.deepEqual(await statuses(sb.bitrise.url, sb.bitrise.token, 9), [
    200,
    200,
    503,
    503,
    200,
    'reset',
    200,
    200,
    'reset',
  ]);
  assert.deepEqual(sb.faults.injected(), { '503': 2, reset: 2 });
  sb.faults.clear();
  assert.deepEqual(await statuses(sb.bitrise.url, sb.bitrise.token, 3), [200, 200, 200]);
  assert.equal(sb.faults.traffic().bitrise?.requests, 12);
});

test('a rate is reproducible from the seed and differs between seeds', async (t) => {
  const run = async (seed: number) => {
    const sb = await startSandbox({ faults: `seed=${seed};500:rate=0.5` });
    t.after(() => sb.close());
    return (await statuses(sb.bitrise.url, sb.bitrise.token, 24)).join(',');
  };
  const first = await run(1);
  assert.equal(await run(1), first);
  assert.notEqual(await run(2), first);
  assert.match(first, /500/);
  assert.match(first, /200/);
});

test('429 carries the wait headers it is given, and none when given none', async (t) => {
  const sb = await startSandbox({
    faults: '429:count=1;429:after=1,count=1,retry-after=3;429:after=2,count=1,reset=4',
  });
  t.after(() => sb.close());
  const headers = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${sb.buildkite.url}/organizations`, {
      headers: { Authorization: `Bearer ${sb.buildkite.token}` },
    });
    assert.equal(res.status, 429);
    headers.push([res.headers.get('retry-after'), res.headers.get('ratelimit-reset')]);
  }
  assert.deepEqual(headers, [
    [null, null],
    ['3', null],
    [null, '4'],
  ]);
});

test('truncated, malformed, repeated, looping, wrong and huge answers change the body as named', async (t) => {
  const sb = await startSandbox({ size: 'small', clock: 'manual', now: '2026-03-04T12:00:00Z' });
  t.after(() => sb.close());
  const app = sb.bitrise.world.apps()[0]?.slug ?? '';
  const get = async (path: string) => {
    const res = await fetch(`${sb.bitrise.url}${path}`, { headers: { Authorization: sb.bitrise.token } });
    return res.text();
  };
  const builds = `/apps/${app}/builds?limit=5`;
  const clean = JSON.parse(await get(builds));

  sb.faults.set('truncate:count=1');
  const truncated = await get(builds);
  assert.throws(() => JSON.parse(truncated));
  assert.ok(JSON.stringify(clean).startsWith(truncated));

  sb.faults.set('malformed:count=1');
  assert.match(await get(builds), /^<html>/);

  sb.faults.set('repeat:count=1');
  const page1 = JSON.parse(await get(builds));
  const page2 = JSON.parse(await get(`${builds}&next=${page1.paging.next}`));
  assert.deepEqual(page2.data, page1.data, 'page 2 repeats page 1');
  assert.notEqual(page2.paging.next, page1.paging.next);

  sb.faults.set('loop:count=1');
  const looped = JSON.parse(await get(`${builds}&next=${page1.paging.next}`));
  assert.equal(looped.paging.next, page1.paging.next, 'page 2 links to itself');

  sb.faults.set('field:key=status,mode=type,count=1;field:after=1,key=finished_at,mode=missing,count=1');
  const wrong = JSON.parse(await get(builds));
  assert.equal(typeof wrong.data[0].status, 'string');
  const missing = JSON.parse(await get(builds));
  assert.ok(!('finished_at' in missing.data[0]));

  sb.faults.set('huge:kb=64,count=1');
  const huge = JSON.parse(await get(`/apps/${app}/pipelines`));
  assert.equal(huge.data[0].commit_message.length, 64 * 1024);

  sb.faults.set('shift:minutes=90,count=1');
  const before = sb.clock.now();
  await get(builds);
  assert.equal(sb.clock.now() - before, 90 * 60_000, 'the clock moved on');
});

// Closing must end the pending delay: otherwise this test would take the full minute.
test('a slow answer outlasts the client timeout; closing the sandbox ends it', async () => {
  const sb = await startSandbox({ faults: 'slow:ms=60000' });
  const res = fetch(`${sb.bitrise.url}/apps`, {
    headers: { Authorization: sb.bitrise.token },
    signal: AbortSignal.timeout(300),
  });
  await assert.rejects(res, (e: Error) => e.name === 'TimeoutError');
  await sb.close();
});
