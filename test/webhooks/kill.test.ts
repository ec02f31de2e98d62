// The real `buildlens serve` killed with SIGKILL between answering a delivery and processing it: the
// delivery is in the inbox (SQLite), and the next start processes it. Processing is held back by a sync of
// the connection that this test holds (a Bitrise delivery waits for it), so the kill lands in between.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox } from '../../src/sandbox/index.js';
import { withSyncLock } from '../../src/store/lock.js';
import { openStore } from '../../src/store/store.js';
import { runInProcess } from '../cli/in-process.js';
import { type CliRun, startCli } from '../crash/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'buildlens-webhook-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'buildlens.db');

/** Waits (up to a minute) for the server's "Dashboard: <url>/" line. */
async function urlOf(server: CliRun): Promise<string> {
  for (let waited = 0; waited < 60_000; waited += 50) {
    const found = /Dashboard: (http:\/\/\S+)\//.exec(server.output());
    if (found?.[1]) return found[1];
    await sleep(50);
  }
  throw new Error(`the server did not start: ${server.output()}`);
}

test('a delivery answered before a SIGKILL is processed after the restart', async (t) => {
  const sandbox = await startSandbox({ size: 'small' });
  t.after(() => sandbox.close());
  const env = { XDG_DATA_HOME: join(dir, 'data'), BITRISE_TOKEN: sandbox.bitrise.token };
  const cli = (...args: string[]) => runInProcess(['--db', db, ...args], { env });
  assert.equal(
    (await cli('connect', 'add', 'br', '--provider', 'bitrise', '--url', sandbox.bitrise.url)).code,
    0,
  );
  const { secret } = JSON.parse((await cli('--json', 'connect', 'webhook', 'br')).stdout) as {
    secret: string;
  };

  const [app] = sandbox.bitrise.world.apps();
  assert.ok(app);
  const [build] = sandbox.bitrise.world.builds(app.slug);
  assert.ok(build);
  const store = await openStore(db);
  t.after(() => store.close());
  const inbox = () => store.db.selectFrom('webhook_inbox').select(['state', 'error']).execute();
  const runsOf = async (project: string) =>
    (await store.db.selectFrom('runs').select('project_key').execute()).filter(
      (r) => r.project_key === project,
    ).length;

  const connection = await store.db
    .selectFrom('connections')
    .select('id')
    .where('name', '=', 'br')
    .executeTakeFirstOrThrow();
  await withSyncLock(store, { connectionId: connection.id, name: 'br' }, async () => {
    const server = startCli(['--db', db, 'serve', '--port', '0'], env, dir);
    const url = await urlOf(server);
    const answer = await fetch(`${url}/webhooks/br`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'bitrise-event-type': 'build/finished',
        'x-buildlens-webhook-secret': secret,
      },
      body: JSON.stringify({
        build_slug: build.slug,
        build_number: build.build_number,
        app_slug: app.slug,
        build_status: build.status,
      }),
    });
    assert.equal(answer.status, 202);
    assert.deepEqual(await inbox(), [{ state: 'pending', error: null }]);
    server.child.kill('SIGKILL');
    assert.equal((await server.done).signal, 'SIGKILL');
  });
  assert.equal(await runsOf(app.slug), 0, 'nothing was processed before the kill');

  const restarted = startCli(['--db', db, 'serve', '--port', '0'], env, dir);
  t.after(async () => {
    restarted.child.kill('SIGTERM');
    await restarted.done;
  });
  await urlOf(restarted);
  // With a webhook, the reconciling sync is on by default.
  for (let waited = 0; waited < 5000 && !/syncing every/.test(restarted.output()); waited += 50)
    await sleep(50);
  assert.match(restarted.output(), /syncing every 900s/);
  for (let waited = 0; waited < 60_000 && (await inbox())[0]?.state === 'pending'; waited += 100)
    await sleep(100);
  assert.deepEqual(await inbox(), [{ state: 'done', error: null }]);
  assert.ok((await runsOf(app.slug)) > 0, 'the app was synced when the delivery was processed');
  const others = (await store.db.selectFrom('runs').select('project_key').execute()).filter(
    (r) => r.project_key !== app.slug,
  );
  assert.equal(others.length, 0, 'only the delivery’s app was read');
});
