// `buildlens renormalize`: reads every stored raw payload again through this version's normalizer and
// classifier (no API calls) and prints what changed.
import type { Command } from 'commander';
import { rulesForStore } from '../../classify/rules.js';
import { type RenormalizeSummary, renormalize } from '../../sync/renormalize.js';
import type { Cli } from '../context.js';

export function renderRenormalize(s: RenormalizeSummary): string {
  return [
    `runs: ${s.checked} read again, ${s.runs_changed} changed; jobs: ${s.jobs_new_or_changed}, steps: ${s.steps_new_or_changed} new or changed`,
    ...s.status_changes.map((t) => `  status ${t.from} → ${t.to}  ${t.count}`),
    ...(s.now_refused > 0
      ? [`  ${s.now_refused} payloads this version refuses: their runs are left as they are`]
      : []),
    s.dry_run ? 'dry run: nothing was written' : 'saved',
  ].join('\n');
}

export function registerRenormalize(program: Command, cli: Cli): void {
  program
    .command('renormalize')
    .description('read every stored raw payload again with this version (no API calls) and show what changed')
    .option('--rules <file>', 'rules file (default: $BUILDLENS_RULES, else rules.yaml beside the database)')
    .option('--dry-run', 'show what would change without saving it')
    .action(async (options: { rules?: string; dryRun?: boolean }) => {
      const summary = await cli.withStore((store) =>
        renormalize(store, rulesForStore(store, options.rules, cli.io.env), {
          dryRun: options.dryRun === true,
        }),
      );
      cli.print(cli.options.json ? JSON.stringify(summary, null, 2) : renderRenormalize(summary));
    });
}
