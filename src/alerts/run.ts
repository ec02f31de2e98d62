// One pass over the alerts: judge every rule, make the transitions that are due (each claimed in the store,
// so of several processes only one makes it), then send what is queued. Called after syncs and webhook
// batches and by `buildlens alerts check`.

import { claimTransition, listAlertStates, recordJudgement } from '../store/alert-state.js';
import { firstLine } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { type DeliveryOutcome, deliverPending, type SendOptions } from './deliver.js';
import { type Evaluation, evaluateRule } from './evaluate.js';
import { alertMessage } from './message.js';
import type { AlertsConfig } from './rules.js';

export interface AlertPassOptions extends SendOptions {
  now?: () => number;
}

export interface Transition {
  rule: string;
  subject: string;
  event: 'firing' | 'resolved';
}

export interface AlertPass {
  evaluations: Evaluation[];
  /** Transitions this pass made (another process may have made others). */
  transitions: Transition[];
  deliveries: DeliveryOutcome[];
  /** Rules that could not be judged, with why. */
  errors: { rule: string; error: string }[];
}

export async function runAlerts(
  store: Store,
  config: AlertsConfig,
  options: AlertPassOptions = {},
): Promise<AlertPass> {
  const now = options.now ?? Date.now;
  const pass: AlertPass = { evaluations: [], transitions: [], deliveries: [], errors: [] };
  const states = new Map((await listAlertStates(store)).map((s) => [`${s.rule}\u0000${s.subject}`, s.state]));
  for (const rule of config.rules) {
    let evaluations: Evaluation[];
    try {
      evaluations = await evaluateRule(store, rule, now());
    } catch (error) {
      pass.errors.push({ rule: rule.name, error: firstLine(error) });
      continue;
    }
    for (const evaluation of evaluations) {
      pass.evaluations.push(evaluation);
      const at = new Date(now()).toISOString();
      await recordJudgement(store, {
        rule: rule.name,
        subject: evaluation.key,
        value: evaluation.value,
        previous: evaluation.previous,
        runs: evaluation.runs,
        at,
      });
      const state = states.get(`${rule.name}\u0000${evaluation.key}`) ?? 'ok';
      // Cannot say (too few runs, previous window not covered): the state stays as it is.
      if (evaluation.holds === null || evaluation.holds === (state === 'firing')) continue;
      const event = evaluation.holds ? 'firing' : 'resolved';
      const message = JSON.stringify(alertMessage(rule, evaluation, event, config.dashboardUrl, at));
      const claimed = await claimTransition(store, {
        rule: rule.name,
        subject: evaluation.key,
        from: evaluation.holds ? 'ok' : 'firing',
        to: evaluation.holds ? 'firing' : 'ok',
        at,
        messages: rule.notify.map((destination) => ({ destination, message })),
      });
      if (claimed !== null) pass.transitions.push({ rule: rule.name, subject: evaluation.key, event });
    }
  }
  pass.deliveries = await deliverPending(store, config, options);
  return pass;
}
