// The Prometheus rules in deploy/ say what the alerts `buildlens alerts init` writes say: for each default
// alert, the same series (metric, quantile), branch scope, window, threshold or change, and minimum of runs.
// A change to src/alerts/defaults.ts without the same change to the rules fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_ALERTS_YAML } from '../../src/alerts/defaults.js';
import { type AlertRule, parseAlerts } from '../../src/alerts/rules.js';
import { selectors } from './promql.js';

const RULES = 'deploy/prometheus/buildlens-alerts.yml';

/** The Prometheus alert of each default alert, and the series it reads. */
const COUNTERPARTS: Record<string, { alert: string; metric: string; quantile?: string }> = {
  'main-success-rate': { alert: 'BuildlensSuccessRateLow', metric: 'buildlens_project_success_ratio' },
  'duration-p90-week-over-week': {
    alert: 'BuildlensDurationP90Up',
    metric: 'buildlens_project_run_duration_seconds',
    quantile: '0.9',
  },
  'queue-p95-over-10m': {
    alert: 'BuildlensQueueP95High',
    metric: 'buildlens_project_queue_seconds',
    quantile: '0.95',
  },
  'credits-over-budget': { alert: 'BuildlensCreditsOverBudget', metric: 'buildlens_project_credits' },
};

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the expression must contain for the rule's condition and minimum of runs. */
function conditionPattern(rule: AlertRule): RegExp {
  const c = rule.condition;
  if (c.kind !== 'change')
    return new RegExp(`${c.kind === 'above' ? '>' : '<'}\\s*${literal(String(c.threshold))}(\\s|$)`);
  assert.equal(c.unit, 'percent', `${rule.name}: a change in points has no counterpart here`);
  return new RegExp(
    `${c.direction === 'up' ? '>=' : '<='}\\s*${literal(String(1 + (c.direction === 'up' ? c.by : -c.by) / 100))}\\s*\\*`,
  );
}

test('each default alert has a Prometheus rule with the same series, scope, window, condition and minimum', () => {
  const defaults = parseAlerts(DEFAULT_ALERTS_YAML, 'defaults', {}).rules;
  const file = parse(readFileSync(RULES, 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const rules = new Map(file.groups.flatMap((g) => g.rules).map((r) => [r.alert, r.expr]));
  assert.deepEqual(defaults.map((r) => r.name).sort(), Object.keys(COUNTERPARTS).sort());
  assert.equal(rules.size, defaults.length);
  for (const rule of defaults) {
    const counterpart = COUNTERPARTS[rule.name];
    assert.ok(counterpart);
    const expr = rules.get(counterpart.alert);
    assert.ok(expr, `${counterpart.alert} in ${RULES}`);
    const [watched] = selectors(expr);
    assert.equal(watched?.metric, counterpart.metric, rule.name);
    const labels = Object.fromEntries((watched?.matchers ?? []).map((m) => [m.label, `${m.op}${m.value}`]));
    const branch = rule.scope.branch?.includes('*') ? 'all' : 'default';
    assert.deepEqual(
      labels,
      {
        branch: `=${branch}`,
        window: `=${rule.window}`,
        ...(counterpart.quantile ? { quantile: `=${counterpart.quantile}` } : {}),
      },
      rule.name,
    );
    assert.equal(rule.scope.project ?? rule.scope.connection ?? rule.scope.workflow, undefined, rule.name);
    // Per project, or (per: scope) summed over every project.
    assert.equal(/^\s*sum\(/.test(expr), rule.per === 'scope', `${rule.name}: per ${rule.per}`);
    assert.match(expr, conditionPattern(rule), rule.name);
    // Every minimum on the runs (this week's and, for a change, the week before's) is min_runs.
    const minimums = [
      ...expr.matchAll(/buildlens_project_runs\{[^}]*\}[\s)]*(?:offset \w+[\s)]*)?>=\s*(\d+)/g),
    ].map((m) => Number(m[1]));
    const expected = rule.condition.kind === 'change' ? [rule.minRuns, rule.minRuns] : [rule.minRuns];
    assert.deepEqual(minimums, rule.minRuns > 1 ? expected : [], `${rule.name}: min_runs`);
  }
});
