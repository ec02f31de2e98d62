// The Prometheus files in deploy/ as Prometheus reads them: promtool checks the rules and the scrape config,
// and runs the rules' unit tests. CI installs promtool and sets BUILDLENS_REQUIRE_PROMTOOL (.ci/run runs
// these commands too); elsewhere a machine without promtool skips, saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const DIR = 'deploy/prometheus';
const available = spawnSync('promtool', ['--version']).status === 0;
if (!available && process.env.BUILDLENS_REQUIRE_PROMTOOL)
  throw new Error('promtool is required here (BUILDLENS_REQUIRE_PROMTOOL) and not installed');
const skip = available ? false : 'promtool is not installed (Debian: apt-get install prometheus)';

const promtool = (...args: string[]) => {
  const result = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  assert.equal(result.status, 0, `promtool ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
};

test('promtool check rules: the alert rules are valid', { skip }, () => {
  assert.match(promtool('check', 'rules', 'buildlens-alerts.yml'), /SUCCESS: 4 rules found/);
});

test('promtool test rules: each alert fires on its case and not on too few runs or a figure inside it', {
  skip,
}, () => {
  assert.match(promtool('test', 'rules', 'buildlens-alerts.test.yml'), /SUCCESS/);
});

test('promtool check config: the scrape config example, with the rules it loads', { skip }, () => {
  assert.match(promtool('check', 'config', 'prometheus.yml'), /is valid prometheus config file syntax/);
});
