// The real CLI (a child process) on alerts: init writes the defaults, test is a dry run that sends nothing,
// check fires once and posts to a receiver on 127.0.0.1, list shows rules, states and the last failed
// delivery, a broken file is one line with its line and column (exit 2), and sync judges alerts after it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_ALERTS_YAML } from '../../src/alerts/defaults.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { openStore } from '../../src/store/store.js';
import { type CliResult, startCli } from '../crash/cli.js';
import { connectCi, runs, store } from './fixtures.js';
import { type Receiver, startReceiver } from './receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'buildlens-alerts-cli-'));
const db = join(dir, 'buildlens.db');
const file = join(dir, 'alerts.yaml');
const SLACK_URL_VAR = 'TEAM_SLACK_URL';
let receiver: Receiver;
let slackUrl: string;
const env = () => ({ BUILDLENS_DB: db, XDG_DATA_HOME: join(dir, 'data'), [SLACK_URL_VAR]: slackUrl });

const buildlens = (...args: string[]) => startCli(args, env(), dir).done;

function assertOneLine(result: CliResult, code: number, message: string): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stderr, `buildlens: ${message}\n`);
}

before(async () => {
  receiver = await startReceiver();
  slackUrl = `${receiver.url}/services/T0/B0/secret-part-0123456789`;
  const s = await openStore(db);
  const ci = await connectCi(s);
  // Over the last day the default branch passed 8 times of 10.
  await store(s, ci.id, [...runs(8, 'success', 3, {}, Date.now()), ...runs(2, 'failure', 2, {}, Date.now())]);
  await s.close();
});
after(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

const RULES = `dashboard_url: https://ci.example.com
destinations:
  team: { type: slack, url_env: ${SLACK_URL_VAR} }
alerts:
  - name: main-success-rate
    metric: success_rate
    window: 24h
    condition: { below: 90% }
`;

test('alerts init, test (dry run), check, list; a broken file is refused with its position', async () => {
  assertOneLine(
    await buildlens('alerts', 'list'),
    2,
    `no alerts file at ${file}: write one with "buildlens alerts init"`,
  );
  const init = await buildlens('alerts', 'init');
  assert.equal(init.code, 0, init.stderr);
  assert.equal(readFileSync(file, 'utf8'), DEFAULT_ALERTS_YAML);
  assertOneLine(
    await buildlens('alerts', 'init'),
    2,
    `${file} exists already: edit it, or add --force to replace it`,
  );

  writeFileSync(file, RULES);
  const dry = await buildlens('alerts', 'test', 'main-success-rate', '--json');
  assert.equal(dry.code, 0, dry.stderr);
  const preview = JSON.parse(dry.stdout);
  assert.equal(preview.evaluations[0].value, 0.8);
  assert.equal(preview.messages[0].due, true);
  assert.equal(preview.messages[0].requests[0].destination, 'team');
  assert.equal(preview.messages[0].requests[0].body.blocks[0].text.text, 'Firing: main-success-rate');
  assert.equal(receiver.received.length, 0, 'a dry run sends nothing');
  const plain = await buildlens('alerts', 'test', 'main-success-rate');
  assert.match(plain.stdout, /^Dry run of "main-success-rate": nothing is sent, no state changes\.\n/);
  assert.match(
    plain.stdout,
    /FIRING main-success-rate: Success rate 80 % over 24h \(alert when below 90 %\)/,
  );
  assert.ok(
    !plain.stdout.includes(slackUrl) && !plain.stdout.includes('secret-part'),
    'the address is a secret',
  );
  assertOneLine(
    await buildlens('alerts', 'test', 'nope'),
    2,
    `no alert "nope" in ${file} (main-success-rate)`,
  );

  const check = await buildlens('alerts', 'check');
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /^FIRING main-success-rate: ios-app \(ci\)$/m);
  assert.match(check.stdout, /^sent firing of main-success-rate to "team"$/m);
  assert.equal(receiver.received.length, 1);
  const again = await buildlens('alerts', 'check');
  assert.doesNotMatch(again.stdout, /FIRING|sent/);
  assert.equal(receiver.received.length, 1, 'fired once');

  // The receiver goes away: the failed delivery is kept, exit 3 like any unreachable service.
  receiver.answers = [404];
  writeFileSync(file, RULES.replace('below: 90%', 'below: 50%'));
  const resolved = await buildlens('alerts', 'check');
  assertOneLine(
    resolved,
    3,
    'delivery of main-success-rate to "team" failed: slack "team": HTTP 404: receiver says no',
  );
  const list = await buildlens('alerts', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout);
  assert.deepEqual(
    listed.states.map((s: { rule: string; subject: unknown; state: string }) => [s.rule, s.subject, s.state]),
    [['main-success-rate', { connection: 'ci', project: 'ios-app' }, 'ok']],
  );
  assert.equal(listed.last_failures[0].error, 'slack "team": HTTP 404: receiver says no');
  const table = await buildlens('alerts', 'list');
  assert.match(table.stdout, /^main-success-rate\s+ios-app \(ci\)\s+ok\s/m);
  assert.match(table.stdout, /^last failed delivery to "team" \(main-success-rate, resolved, /m);

  writeFileSync(file, RULES.replace('below: 90%', 'below: 190%'));
  assertOneLine(
    await buildlens('alerts', 'check'),
    2,
    `${file}:8:25: alerts[0].condition.below: a rate is written in percent, from 0 to 100 (90 or "90%"), got "190%"`,
  );
});

test('sync judges the alerts after it; a broken alerts file does not fail the sync', async (t) => {
  const sandbox = await startSandbox({ seed: 5 });
  t.after(() => sandbox.close());
  const syncDir = mkdtempSync(join(tmpdir(), 'buildlens-alerts-sync-'));
  t.after(() => rmSync(syncDir, { recursive: true, force: true }));
  const syncEnv = {
    BUILDLENS_DB: join(syncDir, 'buildlens.db'),
    XDG_DATA_HOME: join(syncDir, 'data'),
    BUILDKITE_TOKEN: sandbox.buildkite.token,
  };
  const cli = (...args: string[]) => startCli(args, syncEnv, syncDir).done;
  const added = await cli(
    'connect',
    'add',
    'bk',
    '--provider',
    'buildkite',
    '--url',
    sandbox.buildkite.url,
    '--org',
    'acme',
  );
  assert.equal(added.code, 0, added.stderr);
  const alertsFile = join(syncDir, 'alerts.yaml');
  writeFileSync(
    alertsFile,
    'alerts:\n  - name: any-runs\n    metric: failure_count\n    per: scope\n    scope: { branch: "*" }\n    window: 30d\n    condition: { above: 0 }\n    min_runs: 1\n',
  );
  const synced = await cli('sync');
  assert.equal(synced.code, 0, synced.stderr);
  assert.match(synced.stderr, /^alert any-runs FIRING: whole scope$/m);
  writeFileSync(alertsFile, 'alerts: [');
  const broken = await cli('sync');
  assert.equal(broken.code, 0, broken.stderr);
  assert.match(
    broken.stderr,
    new RegExp(`^buildlens: alerts not checked: ${alertsFile}:1:\\d+: not valid YAML`, 'm'),
  );
});
