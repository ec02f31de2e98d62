// User classification rules from a YAML or JSON file: validated with zod, turned into rules that go before
// the built-in defaults. Every problem is one line naming the file and the rule.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CLASSIFICATIONS, type Job, PROVIDERS, RUN_STATUSES, type Run } from '../domain/model.js';
import { userDataDir } from '../store/paths.js';
import { type ClassificationRule, DEFAULT_RULES, type JobContext, type RunContext } from './classify.js';
import { compilePattern, PatternError, type TextPattern } from './pattern.js';

export class RulesError extends Error {
  override name = 'RulesError';
}

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const text = z.string().min(1);
const seconds = z.number().nonnegative();

const match = z
  .object({
    provider: oneOrMany(z.enum(PROVIDERS)).optional(),
    /** Project key or name (a job's: its run's). */
    project: oneOrMany(text).optional(),
    /** The run's workflow (a job's: its run's). */
    workflow: oneOrMany(text).optional(),
    /** A job's name (Bitrise workflow in a pipeline, Buildkite step label); jobs only. */
    job: oneOrMany(text).optional(),
    branch: oneOrMany(text).optional(),
    /** Normalized status (succeeded, failed, aborted, skipped). */
    status: oneOrMany(z.enum(RUN_STATUSES)).optional(),
    /** The provider's own value (Bitrise `2`, `4`, `succeeded_with_abort`; Buildkite `canceled`). */
    provider_status: oneOrMany(z.union([text, z.number().int()]).transform(String)).optional(),
    /** Regular expression (RE2 syntax) on the reason text, case-insensitive. */
    reason: text.optional(),
    duration_below_s: seconds.optional(),
    duration_above_s: seconds.optional(),
    /** Regular expression (RE2 syntax) on the build log (Bitrise runs only), case-insensitive. */
    log: text.optional(),
  })
  .strict();

const TARGETS = ['runs', 'jobs'] as const;
type Target = (typeof TARGETS)[number];

const rule = z
  .object({
    name: text.refine((n) => !n.startsWith('default:'), 'names starting with "default:" are reserved'),
    classification: z.enum(CLASSIFICATIONS),
    /** Default: jobs only with `match.job`, runs only with `match.log`, else both. */
    applies_to: oneOrMany(z.enum(TARGETS)).optional(),
    match: match.refine((m) => Object.keys(m).length > 0, 'needs at least one condition'),
  })
  .strict();

const rulesFile = z
  .object(
    { rules: z.array(z.unknown(), { error: 'expected a list of rules' }) },
    { error: 'expected a "rules:" list' },
  )
  .strict();

export type RuleSpec = z.output<typeof rule>;

export interface RuleSet {
  /** The file the user rules came from; null when only the defaults apply. */
  file: string | null;
  /** User rules first, then the defaults. */
  rules: ClassificationRule[];
}

export const DEFAULT_RULE_SET: RuleSet = { file: null, rules: [...DEFAULT_RULES] };

const RULE_FILES = ['rules.yaml', 'rules.yml', 'rules.json'];

/**
 * Which rules file applies: `--rules`, else $BUILDLENS_RULES (both must exist), else rules.yaml, rules.yml
 * or rules.json in `defaultDir` (beside the database), else none.
 */
export function locateRules(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  defaultDir: string,
): string | null {
  const given = flag ?? env.BUILDLENS_RULES;
  if (given) {
    if (!existsSync(given)) {
      throw new RulesError(
        `rules file ${given} does not exist (from ${flag ? '--rules' : '$BUILDLENS_RULES'})`,
      );
    }
    return given;
  }
  const found = RULE_FILES.map((name) => join(defaultDir, name)).find((path) => existsSync(path));
  return found ?? null;
}

/** Reads, validates and compiles a rules file; null means the defaults only. */
export function loadRules(file: string | null): RuleSet {
  if (file === null) return DEFAULT_RULE_SET;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RulesError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return { file, rules: [...parseRules(content, file), ...DEFAULT_RULES] };
}

/** Parses rules text (JSON for `.json` files, YAML otherwise); `file` names the source in errors. */
export function parseRules(content: string, file: string): ClassificationRule[] {
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(content) : parseYaml(content);
  } catch (error) {
    // The YAML parser's first line ends in a colon that introduces a code excerpt on the next lines.
    const first = (error instanceof Error ? error.message : String(error))
      .split('\n')[0]
      ?.replace(/:\s*$/, '');
    throw new RulesError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${first}`);
  }
  const top = rulesFile.safeParse(data);
  if (!top.success) throw new RulesError(`${file}: ${describe(top.error)}`);
  const names = new Set<string>();
  return top.data.rules.map((item, index) => {
    const label = ruleLabel(item, index);
    const parsed = rule.safeParse(item);
    if (!parsed.success) throw new RulesError(`${file}: ${label}: ${describe(parsed.error)}`);
    if (names.has(parsed.data.name)) throw new RulesError(`${file}: ${label}: the name is used twice`);
    names.add(parsed.data.name);
    return compileRule(parsed.data, (message) => new RulesError(`${file}: ${label}: ${message}`));
  });
}

function ruleLabel(item: unknown, index: number): string {
  const name = (item as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `rule ${index + 1} ("${name}")` : `rule ${index + 1}`;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  return path ? `${path}: ${message}` : message;
}

function regex(source: string, field: string, fail: (message: string) => Error): TextPattern {
  try {
    return compilePattern(source);
  } catch (error) {
    if (error instanceof PatternError) throw fail(`match.${field} ${error.message}`);
    throw error;
  }
}

/** Runs and jobs by default; a rule on a job name is for jobs, one on a log marker for runs. */
function targetsOf(spec: RuleSpec): ReadonlySet<Target> {
  if (spec.applies_to) return new Set(spec.applies_to);
  if (spec.match.job !== undefined) return new Set(['jobs']);
  if (spec.match.log !== undefined) return new Set(['runs']);
  return new Set(TARGETS);
}

export function compileRule(spec: RuleSpec, fail: (message: string) => Error): ClassificationRule {
  const m = spec.match;
  const reason = m.reason === undefined ? null : regex(m.reason, 'reason', fail);
  const logMarker = m.log === undefined ? undefined : regex(m.log, 'log', fail);
  if (m.log !== undefined && m.provider && !m.provider.includes('bitrise')) {
    throw fail('match.log works on Bitrise runs only, but the rule names no bitrise provider');
  }
  const targets = targetsOf(spec);
  if (m.log !== undefined && targets.has('jobs'))
    throw fail('match.log works on runs only, but the rule applies to jobs');
  if (m.job !== undefined && targets.has('runs'))
    throw fail('match.job works on jobs only, but the rule applies to runs');

  const within = (values: readonly string[] | undefined, value: string | null | undefined) =>
    values === undefined || (value != null && values.includes(value));
  // A job is matched on its run's provider, project, workflow and branch; without its run these never hold.
  const ofRun = (run: Run | null | undefined, context: RunContext): boolean =>
    within(m.provider, context.provider) &&
    (m.project === undefined ||
      (run != null &&
        (m.project.includes(run.projectKey) ||
          (context.projectName != null && m.project.includes(context.projectName))))) &&
    within(m.workflow, run?.workflow) &&
    within(m.branch, run?.branch);
  // …and on its own status, provider status, reason and duration.
  const ofItself = (item: Pick<Run, 'status' | 'providerStatus' | 'durationS'>, reasonText: string | null) =>
    within(m.status, item.status) &&
    within(m.provider_status, item.providerStatus) &&
    (reason === null || reason.test(reasonText ?? '')) &&
    (m.duration_below_s === undefined || (item.durationS !== null && item.durationS < m.duration_below_s)) &&
    (m.duration_above_s === undefined || (item.durationS !== null && item.durationS > m.duration_above_s));
  const matches = (run: Run, context: RunContext): boolean =>
    ofRun(run, context) &&
    ofItself(run, run.reason) &&
    // Logs exist only for Bitrise runs.
    (logMarker === undefined || context.provider === 'bitrise');
  // A job without a reason of its own (most are stopped with their run) is matched on its run's.
  const matchesJob = (job: Job, context: JobContext): boolean =>
    ofRun(context.run, context) &&
    within(m.job, job.name) &&
    ofItself(job, job.reason ?? context.run?.reason ?? null);
  return {
    name: spec.name,
    classification: spec.classification,
    ...(targets.has('runs') ? { matches } : {}),
    ...(targets.has('jobs') ? { matchesJob } : {}),
    ...(logMarker ? { logMarker } : {}),
  };
}

/**
 * The rules in force for a store: `flag`, else $BUILDLENS_RULES, else a rules file beside the SQLite file
 * (for PostgreSQL: in the user data directory), else the defaults.
 */
export function rulesForStore(
  store: { dialect: string; location: string },
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RuleSet {
  const dir = store.dialect === 'sqlite' ? dirname(store.location) : userDataDir(env);
  return loadRules(locateRules(flag, env, dir));
}
