// `buildlens projects`: the projects of every connection with their default branch and where it comes from,
// and setting the default branch of a project whose provider has none (Bitrise apps).
import type { Command } from 'commander';
import { setDefaultBranch } from '../../store/default-branch.js';
import { listProjectRecords } from '../../store/run-records.js';
import type { Cli } from '../context.js';
import { UsageError } from '../errors.js';
import { type Cell, type Column, renderCsv, renderTable } from '../format.js';
import { formatFrom } from '../options.js';

const FORMATS = ['table', 'json', 'csv'] as const;
const orDash = (value: Cell) => (value === null ? '-' : String(value));
const COLUMNS: Column[] = [
  { key: 'connection', header: 'connection' },
  { key: 'name', header: 'project' },
  { key: 'key', header: 'id' },
  { key: 'default_branch', header: 'default branch', display: orDash },
  { key: 'default_branch_source', header: 'from', fixed: true, display: orDash },
];

export function registerProjects(program: Command, cli: Cli): void {
  const projects = program
    .command('projects')
    .description('list projects with their default branch; set the default branch of one');

  projects
    .command('list')
    .description('projects of every connection, with the default branch and where it comes from')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(async (options: { format?: string }) => {
      const format = formatFrom(cli, options.format, FORMATS);
      const records = await cli.withStore((store) => listProjectRecords(store));
      if (format === 'json') return cli.print(JSON.stringify(records, null, 2));
      if (format === 'csv')
        return cli.print(
          renderCsv(
            records,
            Object.keys(records[0] ?? { connection: '' }).map((key) => ({ key, header: key })),
          ),
        );
      if (records.length === 0) return cli.info('no projects yet: sync a connection first');
      cli.print(renderTable(records, COLUMNS, cli.tableWidth()));
      cli.info(
        "from: setting (projects default-branch), provider (the pipeline's), inferred (most-built of main, master, develop, trunk on push runs)",
      );
    });

  projects
    .command('default-branch <project> [branch]')
    .description(
      "set the branch default-branch views select for a project (by name or id); --unset goes back to the provider's or the inferred one",
    )
    .option('--connection <name>', 'the connection, when several have a project of that name')
    .option('--unset', 'remove the branch set here')
    .action(
      async (
        project: string,
        branch: string | undefined,
        options: { connection?: string; unset?: boolean },
      ) => {
        if (options.unset && branch !== undefined) throw new UsageError('give a branch or --unset, not both');
        if (!options.unset && branch === undefined) throw new UsageError('give the branch, or --unset');
        await cli.withStore((store) =>
          setDefaultBranch(
            store,
            { project, connection: options.connection },
            options.unset ? null : (branch ?? null),
          ),
        );
        cli.info(
          options.unset ? `default branch of ${project} unset` : `default branch of ${project}: ${branch}`,
        );
      },
    );
}
