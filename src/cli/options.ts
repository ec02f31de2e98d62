// Options several commands share: the run filters and the output format.
import type { Command } from 'commander';
import type { RunFilter } from '../domain/model.js';
import { listConnections } from '../store/connections.js';
import { listProjects } from '../store/projects.js';
import type { Store } from '../store/store.js';
import type { Cli } from './context.js';
import { UsageError } from './errors.js';
import { collectList, parseChoice } from './parse.js';

export function addFilterOptions(command: Command): Command {
  return command
    .option('--connection <name>', 'only this connection (repeatable)', collectList)
    .option('--project <name>', 'only this app / pipeline, by name or id (repeatable)', collectList)
    .option('--workflow <name>', 'only this workflow / pipeline name (repeatable)', collectList)
    .option('--branch <name>', 'only this branch (repeatable)', collectList)
    .option('--default-branch', "only runs on their project's default branch (see `projects list`)")
    .option('--no-default-branch', "only runs on other branches than their project's default")
    .option(
      '--trigger <kind>',
      'only runs started by push, pull_request, tag, manual, schedule or api (repeatable)',
      collectList,
    )
    .option('--pr', 'only pull-request runs')
    .option('--no-pr', 'only runs without a pull request')
    .option('--machine <type>', 'only this machine type (repeatable)', collectList)
    .option('--stack <name>', 'only this stack (repeatable)', collectList)
    .option('--agent-queue <name>', 'only this Buildkite agent queue (repeatable)', collectList)
    .option('--since <date>', 'runs triggered at or after this ISO 8601 date/time (UTC)')
    .option('--until <date>', 'runs triggered before this ISO 8601 date/time (UTC)');
}

/** `--format`, where the global `--json` is a shorthand for `--format json`. */
export function formatFrom<T extends string>(cli: Cli, value: string | undefined, choices: readonly T[]): T {
  if (cli.options.json && value !== undefined && value !== 'json')
    throw new UsageError(`--json and --format ${value} contradict each other`);
  return parseChoice(cli.options.json ? 'json' : (value ?? 'table'), '--format', choices);
}

/**
 * A `--connection` that names no connection, or a `--project` no project has as its name or id, is a typo,
 * not a wish for an empty answer.
 */
export async function checkFilterNames(store: Store, filter: RunFilter): Promise<void> {
  if (filter.connection?.length) {
    const known = new Set((await listConnections(store)).map((c) => c.name));
    const unknown = filter.connection.find((name) => !known.has(name));
    if (unknown !== undefined) throw new UsageError(`unknown connection "${unknown}"`);
  }
  if (filter.project?.length) {
    const known = new Set((await listProjects(store)).flatMap((p) => [p.key, p.name]));
    const unknown = filter.project.find((name) => !known.has(name));
    if (unknown !== undefined)
      throw new UsageError(`unknown project "${unknown}" (neither a name nor an id)`);
  }
}
