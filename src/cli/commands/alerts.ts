// `buildlens alerts list|check|test|init`: the rules and their states, a pass now, a dry run of one rule's
// messages, and a starting file with the default alerts. `alertsAfterSync` is the pass `sync` makes.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_ALERTS_YAML } from '../../alerts/defaults.js';
import { outgoingRequest } from '../../alerts/deliver.js';
import { alertsDocument } from '../../alerts/document.js';
import { type Evaluation, evaluateRule } from '../../alerts/evaluate.js';
import { alertMessage, messageLine } from '../../alerts/message.js';
import { formatFigure, METRICS } from '../../alerts/metrics.js';
import { type AlertsConfig, alertsFileFor, alertsForStore, loadAlerts } from '../../alerts/rules.js';
import { runAlerts } from '../../alerts/run.js';
import { listAlertStates } from '../../store/alert-state.js';
import { firstLine } from '../../store/errors.js';
import { makeDirs } from '../../store/paths.js';
import type { Store } from '../../store/store.js';
import type { Cli } from '../context.js';
import { ConnectionFailure, UsageError } from '../errors.js';
import { renderTable } from '../format.js';

const ALERTS_OPTION = [
  '--alerts <file>',
  'alerts file (default: $BUILDLENS_ALERTS, else alerts.yaml beside the database)',
] as const;

/** The alerts in force; a usage error when there are none, since the command is about them. */
function requireAlerts(cli: Cli, store: Store, flag: string | undefined): AlertsConfig {
  const config = alertsForStore(store, flag, cli.io.env);
  if (config === null) {
    const { path } = alertsFileFor(store, flag, cli.io.env);
    throw new UsageError(`no alerts file at ${path}: write one with "buildlens alerts init"`);
  }
  return config;
}

const subjectText = (key: string) => {
  const subject = JSON.parse(key) as Record<string, string>;
  const parts = [subject.project && `${subject.project} (${subject.connection})`, subject.workflow].filter(
    Boolean,
  );
  return parts.length > 0 ? parts.join(' / ') : 'whole scope';
};

function judgementText(evaluation: Evaluation, config: AlertsConfig): string {
  const rule = config.rules.find((r) => r.name === evaluation.rule);
  const kind = rule ? METRICS[rule.metric].kind : 'count';
  const verdict =
    evaluation.holds === null ? `cannot say: ${evaluation.note}` : evaluation.holds ? 'HOLDS' : 'ok';
  const previous =
    evaluation.previous === null ? '' : ` (previous ${formatFigure(kind, evaluation.previous)})`;
  return `${evaluation.rule}  ${subjectText(evaluation.key)}  ${formatFigure(kind, evaluation.value)}${previous} over ${evaluation.runs} runs: ${verdict}`;
}

async function list(cli: Cli, store: Store, flag: string | undefined): Promise<void> {
  const document = await alertsDocument(store, requireAlerts(cli, store, flag));
  if (cli.options.json) {
    cli.print(JSON.stringify(document, null, 2));
    return;
  }
  const width = cli.tableWidth();
  cli.print(`Alerts from ${document.file}`);
  cli.print(
    renderTable(
      document.rules.map((r) => ({
        name: r.name,
        metric: r.metric,
        scope_text: r.scope_text,
        per: r.per,
        window: r.window,
        condition: r.condition,
        min_runs: r.min_runs,
        notify: r.notify.join(', ') || '-',
      })),
      [
        { key: 'name', header: 'rule' },
        { key: 'metric', header: 'metric' },
        { key: 'scope_text', header: 'scope' },
        { key: 'per', header: 'per' },
        { key: 'window', header: 'window' },
        { key: 'condition', header: 'condition' },
        { key: 'min_runs', header: 'min', align: 'right' },
        { key: 'notify', header: 'notify' },
      ],
      width,
    ),
  );
  cli.print('');
  cli.print(
    document.states.length === 0
      ? 'No state yet: run "buildlens alerts check" or a sync.'
      : renderTable(
          document.states.map((s) => ({
            rule: s.rule,
            subject: subjectText(JSON.stringify(s.subject)),
            state: s.state,
            since: s.since.slice(0, 16).replace('T', ' '),
            value: s.value_text,
          })),
          [
            { key: 'rule', header: 'rule' },
            { key: 'subject', header: 'subject' },
            { key: 'state', header: 'state' },
            { key: 'since', header: 'since (UTC)', fixed: true },
            { key: 'value', header: 'value', align: 'right' },
          ],
          width,
        ),
  );
  for (const d of document.destinations.filter((d) => d.problem))
    cli.print(`destination "${d.name}" cannot be used: ${d.problem}`);
  for (const f of document.last_failures)
    cli.print(
      `last failed delivery to "${f.destination}" (${f.rule}, ${f.event}, ${f.at}, ${f.attempts} attempts): ${f.error}`,
    );
}

async function check(cli: Cli, store: Store, flag: string | undefined): Promise<void> {
  const config = requireAlerts(cli, store, flag);
  const pass = await runAlerts(store, config);
  if (cli.options.json) cli.print(JSON.stringify(pass, null, 2));
  else {
    for (const evaluation of pass.evaluations) cli.print(judgementText(evaluation, config));
    for (const t of pass.transitions)
      cli.print(`${t.event === 'firing' ? 'FIRING' : 'RESOLVED'} ${t.rule}: ${subjectText(t.subject)}`);
    for (const d of pass.deliveries.filter((d) => d.state === 'sent'))
      cli.print(`sent ${d.event} of ${d.rule} to "${d.destination}"`);
    if (pass.evaluations.length === 0) cli.print('No runs in the scope of any alert over its window.');
  }
  for (const e of pass.errors) cli.warn(`alert "${e.rule}" could not be judged: ${e.error}`);
  const failed = pass.deliveries.filter((d) => d.state === 'failed');
  if (failed.length > 0)
    throw new ConnectionFailure(
      failed.map((d) => `delivery of ${d.rule} to "${d.destination}" failed: ${d.error}`).join('; '),
    );
}

async function dryRun(cli: Cli, store: Store, flag: string | undefined, name: string): Promise<void> {
  const config = requireAlerts(cli, store, flag);
  type Preview =
    | { destination: string; problem: string }
    | { destination: string; type: string; headers: Record<string, string>; body: unknown };
  const rule = config.rules.find((r) => r.name === name);
  if (!rule)
    throw new UsageError(
      `no alert "${name}" in ${config.file} (${config.rules.map((r) => r.name).join(', ') || 'it has none'})`,
    );
  const nowMs = Date.now();
  const at = new Date(nowMs).toISOString();
  const evaluations = await evaluateRule(store, rule, nowMs);
  const states = new Map(
    (await listAlertStates(store)).filter((s) => s.rule === name).map((s) => [s.subject, s.state]),
  );
  const previews = evaluations.flatMap((evaluation) => {
    if (evaluation.holds === null) return [];
    const event = evaluation.holds ? ('firing' as const) : ('resolved' as const);
    const message = alertMessage(rule, evaluation, event, config.dashboardUrl, at);
    const requests = rule.notify.map((destinationName): Preview => {
      const destination = config.destinations.find((d) => d.name === destinationName);
      if (!destination?.url)
        return { destination: destinationName, problem: destination?.problem ?? 'unknown' };
      const request = outgoingRequest(
        { ...destination, url: destination.url },
        message,
        { id: 0, event },
        nowMs,
      );
      return {
        destination: destinationName,
        type: destination.type,
        headers: request.headers,
        body: JSON.parse(request.body),
      };
    });
    const due = (states.get(evaluation.key) ?? 'ok') !== (evaluation.holds ? 'firing' : 'ok');
    return [{ subject: evaluation.subject, due, line: messageLine(message), message, requests }];
  });
  if (cli.options.json) {
    cli.print(JSON.stringify({ rule: name, evaluations, messages: previews }, null, 2));
    return;
  }
  cli.print(`Dry run of "${name}": nothing is sent, no state changes.`);
  for (const evaluation of evaluations) cli.print(judgementText(evaluation, config));
  if (evaluations.length === 0) cli.print(`No runs in its scope over the last ${rule.window}.`);
  for (const preview of previews) {
    cli.print('');
    cli.print(`${preview.line}${preview.due ? '' : ' (already in this state: a pass would send nothing)'}`);
    for (const request of preview.requests) {
      if ('problem' in request)
        cli.print(`  to "${request.destination}": cannot be sent: ${request.problem}`);
      else
        cli.print(
          `  to "${request.destination}" (${request.type}):\n${JSON.stringify(request.body, null, 2)}`,
        );
    }
    if (preview.requests.length === 0) cli.print('  (the alert notifies no destination)');
  }
}

function init(cli: Cli, store: Store, flag: string | undefined, force: boolean): void {
  const { path } = alertsFileFor(store, flag, cli.io.env);
  if (existsSync(path) && !force)
    throw new UsageError(`${path} exists already: edit it, or add --force to replace it`);
  makeDirs(dirname(path));
  writeFileSync(path, DEFAULT_ALERTS_YAML, { mode: 0o600 });
  // What was written must load: the defaults are checked like any file.
  const config = loadAlerts(path, cli.io.env);
  cli.print(
    `Wrote ${path} with ${config.rules.length} alerts (${config.rules.map((r) => r.name).join(', ')}); add a destination to it.`,
  );
}

/** The pass after a sync: a broken alerts file or a failed delivery is said, and does not fail the sync. */
export async function alertsAfterSync(cli: Cli, store: Store, flag: string | undefined): Promise<void> {
  let config: AlertsConfig | null;
  try {
    config = alertsForStore(store, flag, cli.io.env);
  } catch (error) {
    cli.warn(`alerts not checked: ${firstLine(error)}`);
    return;
  }
  if (config === null) return;
  const pass = await runAlerts(store, config);
  for (const t of pass.transitions)
    cli.info(`alert ${t.rule} ${t.event === 'firing' ? 'FIRING' : 'resolved'}: ${subjectText(t.subject)}`);
  for (const e of pass.errors) cli.warn(`alert "${e.rule}" could not be judged: ${e.error}`);
  for (const d of pass.deliveries.filter((d) => d.state === 'failed'))
    cli.warn(`alert delivery failed: ${d.error}`);
}

export function registerAlerts(program: Command, cli: Cli): void {
  const alerts = program
    .command('alerts')
    .description('alert rules (alerts.yaml), their states and their messages');
  alerts
    .command('list')
    .description('rules, the state of each subject, and the last failed delivery of each destination')
    .option(...ALERTS_OPTION)
    .action((options: { alerts?: string }) => cli.withStore((store) => list(cli, store, options.alerts)));
  alerts
    .command('check')
    .description('judge every rule now, fire or resolve what is due and send the messages')
    .option(...ALERTS_OPTION)
    .action((options: { alerts?: string }) => cli.withStore((store) => check(cli, store, options.alerts)));
  alerts
    .command('test <rule>')
    .description('dry run: judge one rule now and print the messages it would send (nothing is sent)')
    .option(...ALERTS_OPTION)
    .action((rule: string, options: { alerts?: string }) =>
      cli.withStore((store) => dryRun(cli, store, options.alerts, rule)),
    );
  alerts
    .command('init')
    .description('write an alerts file with the default alerts (beside the database, or --alerts)')
    .option(...ALERTS_OPTION)
    .option('--force', 'replace an existing file')
    .action((options: { alerts?: string; force?: boolean }) =>
      cli.withStore(async (store) => init(cli, store, options.alerts, options.force === true)),
    );
}
