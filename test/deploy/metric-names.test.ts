// The Grafana dashboard and the Prometheus rules in deploy/ read only what /metrics really exposes: every
// selector of every panel, template variable and alert names a metric a real server on loopback (over a
// store synced from the sandbox) serves, with labels it has and literal label values it takes, and the
// options of the dashboard's branch and window variables are values those labels take.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { listConnections } from '../../src/store/connections.js';
import { setWebhookSecret } from '../../src/store/webhooks.js';
import { syncedForFile } from '../server/fixture.js';
import { type ScrapedSample, scrape, serveOnLoopback } from '../server/scrape.js';
import { type Selector, selectors } from './promql.js';

const synced = syncedForFile('deploy-metrics');
const DASHBOARD = 'deploy/grafana/buildlens-dashboard.json';
const RULES = 'deploy/prometheus/buildlens-alerts.yml';

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  options?: { value: string }[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Variable[] };
}

/** Every query of the dashboard, named by where it is: panel targets (rows' panels too) and variables. */
function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
  const targets = panels(dashboard.panels).flatMap((p) =>
    (p.targets ?? []).map((t, i) => {
      assert.ok(t.expr, `panel "${p.title}" target ${i} has a PromQL expression`);
      return { where: `panel "${p.title}"`, expr: t.expr };
    }),
  );
  const variables = dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      // Grafana's label_values(selector, label): the selector is PromQL, the label is not a series.
      const inner = /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1];
      assert.ok(inner, `variable ${v.name}: label_values(selector, label), got ${query}`);
      return { where: `variable ${v.name}`, expr: inner };
    });
  return [...targets, ...variables];
}

function ruleQueries(): { where: string; expr: string }[] {
  const file = parse(readFileSync(RULES, 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return file.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

/** What is wrong with a selector against the scrape: a metric not exposed, a label or value it never has. */
function problems(
  selector: Selector,
  exposed: Set<string>,
  samples: ScrapedSample[],
  variables: Map<string, string[]>,
): string[] {
  if (!exposed.has(selector.metric)) return [`${selector.metric} is not exposed by /metrics`];
  const own = samples.filter((s) => s.name === selector.metric);
  if (own.length === 0) return [`${selector.metric} has no samples to check its labels against`];
  return selector.matchers.flatMap((m) => {
    const values = new Set(own.flatMap((s) => (m.label in s.labels ? [s.labels[m.label]] : [])));
    if (values.size === 0) return [`${selector.metric} has no label ${m.label}`];
    const variable = /^\$(\w+)$/.exec(m.value)?.[1];
    // A custom variable's options, a literal value or a list of literal alternatives must be real values.
    const wanted = variable
      ? (variables.get(variable) ?? [])
      : /^[\w.]+(\|[\w.]+)*$/.test(m.value)
        ? m.op.endsWith('~')
          ? m.value.split('|')
          : [m.value]
        : [];
    return wanted.filter((v) => !values.has(v)).map((v) => `${selector.metric} never has ${m.label}="${v}"`);
  });
}

async function scrapedServer(t: Parameters<typeof serveOnLoopback>[1]) {
  const { store } = synced();
  // A webhook, so its health series have samples to check labels against.
  const [connection] = (await listConnections(store)).filter((c) => c.provider === 'buildkite');
  assert.ok(connection);
  await setWebhookSecret(store, connection, 'deploy-test-webhook-secret-0123456789');
  const url = await serveOnLoopback(synced(), t);
  const text = await (await fetch(`${url}/metrics`)).text();
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
  return { exposed, samples: await scrape(url) };
}

function check(
  queries: { where: string; expr: string }[],
  scraped: { exposed: Set<string>; samples: ScrapedSample[] },
  variables: Map<string, string[]>,
): string[] {
  return queries.flatMap(({ where, expr }) => {
    const found = selectors(expr);
    if (found.length === 0) return [`${where}: no series in ${expr}`];
    return found.flatMap((s) =>
      problems(s, scraped.exposed, scraped.samples, variables).map((p) => `${where}: ${p}`),
    );
  });
}

test('the Grafana dashboard queries only metrics, labels and values /metrics exposes', async (t) => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const variables = new Map(
    dashboard.templating.list
      .filter((v) => v.type === 'custom')
      .map((v) => [v.name, (v.options ?? []).map((o) => o.value)]),
  );
  assert.deepEqual([...variables.keys()].sort(), ['branch', 'window']);
  const queries = dashboardQueries(dashboard);
  assert.ok(queries.length >= 25, `${queries.length} queries`);
  const scraped = await scrapedServer(t);
  assert.deepEqual(check(queries, scraped, variables), []);
  // The check can fail: a misspelt metric, a label value that does not exist, a window no series has.
  const wrong = [
    { where: 'x', expr: 'sum(buildlens_project_run{window="7d"})' },
    { where: 'y', expr: 'buildlens_project_runs{outcome="infra"}' },
    { where: 'z', expr: 'buildlens_project_credits{window="$window"}' },
  ];
  assert.deepEqual(check(wrong, scraped, new Map([['window', ['1h']]])), [
    'x: buildlens_project_run is not exposed by /metrics',
    'y: buildlens_project_runs never has outcome="infra"',
    'z: buildlens_project_credits never has window="1h"',
  ]);
});

test('the Prometheus alert rules query only metrics, labels and values /metrics exposes', async (t) => {
  const queries = ruleQueries();
  assert.equal(queries.length, 4);
  assert.deepEqual(check(queries, await scrapedServer(t), new Map()), []);
});
