// `buildlens classify`: re-applies the rules to every stored run and job from the store alone — normalized
// rows plus the logs the sync kept — and reports what changed, by class, runs and jobs apart.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ClassifiedJob, ClassifiedRun } from '../domain/model.js';
import {
  type StoredRun,
  saveClassifications,
  storedJobs,
  storedLogs,
  storedRuns,
} from '../store/classifications.js';
import type { Store } from '../store/store.js';
import { classifyJob, classifyRun, needsLog } from './classify.js';
import type { RuleSet } from './rules.js';

const PAGE_SIZE = 2000;

export interface Transition {
  /** `unclassified` for null. */
  from: string;
  to: string;
  count: number;
}

export interface ChangeCount {
  checked: number;
  changed: number;
  /** Changed classifications, most frequent first. */
  transitions: Transition[];
  /** Same classification, another rule (e.g. a user rule now claims runs a default rule had). */
  rule_changed: number;
}

export interface ReapplySummary {
  dry_run: boolean;
  rules_file: string | null;
  runs: ChangeCount;
  jobs: ChangeCount;
}

/** Counts what changed, the same way for runs and jobs. */
class Tally {
  private checked = 0;
  private ruleChanged = 0;
  private readonly counts = new Map<string, number>();

  /** Returns whether anything (class or rule) changed. */
  add(before: { classification: string | null; classifiedBy: string | null }, after: typeof before): boolean {
    this.checked += 1;
    if (before.classification !== after.classification) {
      const key = JSON.stringify([
        before.classification ?? 'unclassified',
        after.classification ?? 'unclassified',
      ]);
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      return true;
    }
    if (before.classifiedBy !== after.classifiedBy) {
      this.ruleChanged += 1;
      return true;
    }
    return false;
  }

  result(): ChangeCount {
    const transitions = [...this.counts].map(([key, count]) => {
      const [from, to] = JSON.parse(key) as [string, string];
      return { from, to, count };
    });
    transitions.sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    return {
      checked: this.checked,
      changed: transitions.reduce((sum, t) => sum + t.count, 0),
      transitions,
      rule_changed: this.ruleChanged,
    };
  }
}

export async function reapplyRules(
  store: Store,
  rules: RuleSet,
  options: { dryRun: boolean },
): Promise<ReapplySummary> {
  const runTally = new Tally();
  for await (const page of storedRuns(store, PAGE_SIZE)) {
    const logs = await logsFor(store, page, rules);
    const changed: { connectionId: number; run: ClassifiedRun }[] = [];
    for (const { connectionId, provider, projectName, run } of page) {
      const log = logs.get(connectionId)?.get(run.key);
      const result = classifyRun(run, rules.rules, {
        provider,
        projectName,
        ...(log === undefined ? {} : { log }),
      });
      if (runTally.add(run, result)) changed.push({ connectionId, run: { ...run, ...result } });
    }
    if (!options.dryRun) await saveClassifications(store, changed, []);
    // SQLite answers synchronously: without this a server reapplying rules would answer nothing else.
    await yieldToEventLoop();
  }
  const jobTally = new Tally();
  for await (const page of storedJobs(store, PAGE_SIZE)) {
    const changed: { connectionId: number; job: ClassifiedJob }[] = [];
    for (const { connectionId, job, run } of page) {
      const result = classifyJob(job, rules.rules, {
        run: run?.run ?? null,
        ...(run ? { provider: run.provider, projectName: run.projectName } : {}),
      });
      if (jobTally.add(job, result)) changed.push({ connectionId, job: { ...job, ...result } });
    }
    if (!options.dryRun) await saveClassifications(store, [], changed);
    await yieldToEventLoop();
  }
  return {
    dry_run: options.dryRun,
    rules_file: rules.file,
    runs: runTally.result(),
    jobs: jobTally.result(),
  };
}

/** The stored logs of the runs on this page that a log-marker rule could decide, per connection. */
async function logsFor(
  store: Store,
  page: StoredRun[],
  rules: RuleSet,
): Promise<Map<number, Map<string, string>>> {
  const wanted = new Map<number, string[]>();
  for (const { connectionId, provider, projectName, run } of page) {
    if (!needsLog(run, rules.rules, { provider, projectName })) continue;
    wanted.set(connectionId, [...(wanted.get(connectionId) ?? []), run.key]);
  }
  const logs = new Map<number, Map<string, string>>();
  for (const [connectionId, keys] of wanted)
    logs.set(connectionId, await storedLogs(store, connectionId, keys));
  return logs;
}
