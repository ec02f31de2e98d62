// `buildlens classify`: re-applies the classification rules to the stored runs and jobs, with no API call,
// and prints what changed counted by class (from → to).
import type { Command } from 'commander';
import { type ChangeCount, type ReapplySummary, reapplyRules } from '../../classify/reapply.js';
import { rulesForStore } from '../../classify/rules.js';
import type { Cli } from '../context.js';

function section(title: string, count: ChangeCount): string[] {
  const lines = [`${title}: ${count.checked} checked, ${count.changed} changed class`];
  const width = Math.max(0, ...count.transitions.map((t) => `${t.from} → ${t.to}`.length));
  for (const t of count.transitions) lines.push(`  ${`${t.from} → ${t.to}`.padEnd(width)}  ${t.count}`);
  if (count.rule_changed > 0) lines.push(`  same class, another rule  ${count.rule_changed}`);
  return lines;
}

export function renderClassify(summary: ReapplySummary): string {
  return [
    `rules: ${summary.rules_file ?? 'built-in defaults only'}`,
    ...section('runs', summary.runs),
    ...section('jobs', summary.jobs),
    summary.dry_run ? 'dry run: nothing was written' : 'saved',
  ].join('\n');
}

export function registerClassify(program: Command, cli: Cli): void {
  program
    .command('classify')
    .description(
      're-apply the classification rules to stored runs and jobs (no API calls) and show what changed',
    )
    .option('--rules <file>', 'rules file (default: $BUILDLENS_RULES, else rules.yaml beside the database)')
    .option('--dry-run', 'show what would change without saving it')
    .action(async (options: { rules?: string; dryRun?: boolean }) => {
      const summary = await cli.withStore((store) =>
        reapplyRules(store, rulesForStore(store, options.rules, cli.io.env), {
          dryRun: options.dryRun === true,
        }),
      );
      cli.print(cli.options.json ? JSON.stringify(summary, null, 2) : renderClassify(summary));
    });
}
