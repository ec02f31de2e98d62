// The `buildlens` command line: global options, commands, and the mapping of failures to exit codes.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAlerts } from './commands/alerts.js';
import { registerAudit } from './commands/audit.js';
import { registerClassify } from './commands/classify.js';
import { registerConnect } from './commands/connect.js';
import { registerDemo } from './commands/demo.js';
import { registerFlaky } from './commands/flaky.js';
import { registerLevels } from './commands/levels.js';
import { registerProjects } from './commands/projects.js';
import { registerRefused } from './commands/refused.js';
import { registerRenormalize } from './commands/renormalize.js';
import { registerReport } from './commands/report.js';
import { registerRuns } from './commands/runs.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerServe } from './commands/serve.js';
import { registerSync } from './commands/sync.js';
import { registerToken } from './commands/token.js';
import { registerWorker } from './commands/worker.js';
import { Cli, type GlobalOptions, type Io } from './context.js';
import { EXIT_OK, EXIT_USAGE, errorText, exitCodeFor, UsageError } from './errors.js';

// The same relative path from src/cli and from dist/cli.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function buildProgram(cli: Cli): Command {
  const program = new Command('buildlens')
    .description('Build metrics you can trust for Bitrise and Buildkite')
    .version(version)
    .option(
      '--db <path|url>',
      'SQLite file or postgres:// URL (default: $BUILDLENS_DB, else the user data dir)',
    )
    .option('--json', 'print data as JSON')
    .option('-q, --quiet', 'no progress or status messages')
    .option('-v, --verbose', 'diagnostics, and stack traces on errors')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => cli.io.stdout.write(text),
      writeErr: (text) => cli.io.stderr.write(text),
      // Usage errors are printed once, in our own one-line form, by runCli.
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .hook('preAction', (_program, action) => {
      Object.assign(cli.options, action.optsWithGlobals<GlobalOptions>());
    });
  registerSandbox(program, cli);
  registerConnect(program, cli);
  registerSync(program, cli);
  registerRuns(program, cli);
  registerRefused(program, cli);
  registerLevels(program, cli);
  registerClassify(program, cli);
  registerRenormalize(program, cli);
  registerFlaky(program, cli);
  registerReport(program, cli);
  registerProjects(program, cli);
  registerAlerts(program, cli);
  registerServe(program, cli);
  registerToken(program, cli);
  registerAudit(program, cli);
  registerWorker(program, cli);
  registerDemo(program, cli);
  return program;
}

// Asked-for help and version; help shown because a command is missing is a usage error.
const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.version']);

/** Runs one command line to completion and returns the exit code; never throws. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const cli = new Cli(io, { verbose: argv.includes('-v') || argv.includes('--verbose') });
  try {
    // Refused before parsing, so that no message can echo the value.
    if (argv.some((arg) => arg === '--token' || arg.startsWith('--token='))) {
      throw new UsageError('a token is never a command-line argument: use --token-env VAR or --token-stdin');
    }
    await buildProgram(cli).parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (HELP_CODES.has(error.code)) return EXIT_OK;
      const message = error.code === 'commander.help' ? 'a command is missing (usage above)' : error.message;
      cli.io.stderr.write(`${errorText(new Error(message.replace(/^error: /, '')), false)}\n`);
      return EXIT_USAGE;
    }
    cli.io.stderr.write(`${errorText(error, cli.options.verbose === true)}\n`);
    return exitCodeFor(error);
  }
}
