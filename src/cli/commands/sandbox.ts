// `buildlens sandbox`: simulated Bitrise and Buildkite APIs on loopback, until interrupted.
import type { Command } from 'commander';
import { FaultSpecError } from '../../sandbox/faults.js';
import { startSandbox } from '../../sandbox/index.js';
import { SANDBOX_SIZES } from '../../sandbox/provider.js';
import type { Cli } from '../context.js';
import { UsageError } from '../errors.js';
import { parseChoice, parseInteger } from '../parse.js';
import { interrupted } from '../signals.js';

interface SandboxOptions {
  port?: string;
  seed?: string;
  size?: string;
  faults?: string;
}

/** Starts the sandbox; a bad fault spec or a busy port is the user's to fix (exit 2). */
async function start(options: SandboxOptions) {
  const port = options.port === undefined ? 0 : parseInteger(options.port, '--port', 0, 65535);
  try {
    return await startSandbox({
      port,
      seed: parseInteger(options.seed ?? '1', '--seed', 0, Number.MAX_SAFE_INTEGER),
      size: parseChoice(options.size ?? 'small', '--size', SANDBOX_SIZES),
      faults: options.faults ?? '',
    });
  } catch (error) {
    if (error instanceof FaultSpecError) throw new UsageError(`--faults: ${error.message}`);
    if ((error as { code?: unknown }).code === 'EADDRINUSE')
      throw new UsageError(`port ${port} is in use: choose another with --port`);
    throw error;
  }
}

export function registerSandbox(program: Command, cli: Cli): void {
  program
    .command('sandbox')
    .description('serve simulated Bitrise and Buildkite APIs on 127.0.0.1 until Ctrl-C')
    .option('--port <n>', 'port to listen on (default or 0: any free port)')
    .option('--seed <n>', 'seed of the generated data', '1')
    .option('--size <size>', `amount of data: ${SANDBOX_SIZES.join(', ')}`, 'small')
    .option('--faults <spec>', 'make the APIs fail like real ones, e.g. "503:rate=0.1;slow:ms=2000,every=5"')
    .action(async (options: SandboxOptions) => {
      const sandbox = await start(options);
      const stopped = interrupted();
      cli.print(
        JSON.stringify({
          bitrise: { url: sandbox.bitrise.url, token: sandbox.bitrise.token },
          buildkite: {
            url: sandbox.buildkite.url,
            token: sandbox.buildkite.token,
            org: sandbox.buildkite.org,
          },
        }),
      );
      cli.info('sandbox running; press Ctrl-C to stop');
      await stopped;
      await sandbox.close();
    });
}
