// Answers cached per data version, over a real socket on 127.0.0.1: an ETag per request and version, 304
// for a client that sends it back, the same bytes again from the cache, and a new answer as soon as a
// committed write moves the data version. A report running to "now" changes its ETag with the minute.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionReader } from '../../src/server/answer-cache.js';
import { dataVersion } from '../../src/store/data-version.js';
import { appFor, syncedForFile } from './fixture.js';

const synced = syncedForFile('answer-cache');

test('ETag per data version: 304 when unchanged, a new answer after a committed write', async (t) => {
  let nowMs = Date.UTC(2026, 11, 6, 8, 0, 30);
  const { app } = await appFor(synced(), t, { now: () => nowMs });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const base = `http://127.0.0.1:${address.port}`;
  const get = (path: string, etag?: string) =>
    fetch(`${base}${path}`, { headers: etag ? { 'if-none-match': etag } : {} });

  const until = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
  const since = new Date(until.getTime() - 30 * 86_400_000);
  const report = `/api/report?by=project&since=${since.toISOString()}&until=${until.toISOString()}`;
  const first = await get(report);
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag') ?? '';
  const version = await dataVersion(synced().store);
  assert.match(etag, new RegExp(`^"${version}-[A-Za-z0-9_-]{22}"$`));
  assert.equal(first.headers.get('cache-control'), 'private, no-cache');
  const body = await first.text();

  const again = await get(report);
  assert.equal(again.headers.get('etag'), etag);
  assert.equal(await again.text(), body, 'the cached answer is the answer');
  const revalidated = await get(report, etag);
  assert.equal(revalidated.status, 304);
  assert.equal(await revalidated.text(), '');
  assert.equal((await get(report, `W/${etag}, "other"`)).status, 304);
  assert.equal((await get(report, '"0-stale"')).status, 200);

  // Another request, another tag; the same request on another route too.
  const other = await get(`${report}&metrics=flaky`);
  assert.notEqual(other.headers.get('etag'), etag);

  // Without `until` the report runs to now: a new minute, a new tag; within the minute, the same.
  const open = await get('/api/report?by=project');
  const openTag = open.headers.get('etag') ?? '';
  nowMs += 20_000;
  assert.equal((await get('/api/report?by=project', openTag)).status, 304);
  nowMs += 20_000;
  assert.equal((await get('/api/report?by=project', openTag)).status, 200);

  // A committed write that changes what reports read moves the version: old tags no longer match.
  const projects = (await (await get('/api/projects')).json()) as { connection: string; name: string }[];
  const project = projects.find((p) => p.connection === 'bitrise-sandbox');
  assert.ok(project);
  const projectsTag = (await get('/api/projects')).headers.get('etag') ?? '';
  const changed = await fetch(
    `${base}/api/projects/bitrise-sandbox/${encodeURIComponent(project.name)}/default-branch`,
    { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"branch":"release-cache"}' },
  );
  assert.equal(changed.status, 200);
  assert.ok((await dataVersion(synced().store)) > version);
  const after = await get('/api/projects', projectsTag);
  assert.equal(after.status, 200);
  assert.notEqual(after.headers.get('etag'), projectsTag);
  assert.match(await after.text(), /release-cache/);
  assert.equal((await get(report, etag)).status, 200, 'every answer of the old version is stale');

  // Routes that are not a function of the data are never tagged.
  const status = await get('/api/sync');
  assert.equal(status.headers.get('etag'), null);
  assert.equal(status.headers.get('cache-control'), 'no-store');
});

test('concurrent requests for one answer get the same bytes', async (t) => {
  const { app } = await appFor(synced(), t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const url = `http://127.0.0.1:${address.port}/api/report?by=project&by=workflow&all=true`;
  const answers = await Promise.all(
    Array.from({ length: 12 }, async () => {
      const response = await fetch(url);
      return `${response.status} ${response.headers.get('etag')} ${await response.text()}`;
    }),
  );
  assert.equal(new Set(answers).size, 1);
  assert.match(answers[0] ?? '', /^200 /);
});

test('the data version a request is answered at is never older than the request', async () => {
  // Lookups the test finishes by hand: a request arriving while one runs must wait for the next one.
  const lookups: ((version: number) => void)[] = [];
  const read = versionReader(() => new Promise<number>((resolve) => lookups.push(resolve)));
  const first = read();
  assert.equal(lookups.length, 1);
  // A commit lands while the first lookup runs; these requests come after it.
  const later = Array.from({ length: 20 }, () => read());
  assert.equal(lookups.length, 1, 'one lookup at a time');
  lookups[0]?.(1);
  assert.equal(await first, 1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lookups.length, 2, 'the waiting requests share one new lookup');
  lookups[1]?.(2);
  assert.deepEqual(new Set(await Promise.all(later)), new Set([2]));
  // Nothing running: the next request starts a lookup at once.
  void read();
  assert.equal(lookups.length, 3);
});
