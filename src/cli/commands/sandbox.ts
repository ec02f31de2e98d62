// `buildlens sandbox`: simulated Bitrise and Buildkite APIs on loopback, until interrupted.
import type { Command } from 'commander';
import { startSandbox } from '../../sandbox/index.js';
import { SANDBOX_SIZES } from '../../sandbox/provider.js';
import type { Cli } from '../context.js';
import { parseChoice, parseInteger } from '../parse.js';
import { interrupted } from '../signals.js';

interface SandboxOptions {
  port?: string;
  seed?: string;
  size?: string;
}

export function registerSandbox(program: Command, cli: Cli): void {
  program
    .command('sandbox')
    .description('serve simulated Bitrise and Buildkite APIs on 127.0.0.1 until Ctrl-C')
    .option('--port <n>', 'port to listen on (default: any free port)')
    .option('--seed <n>', 'seed of the generated data', '1')
    .option('--size <size>', `amount of data: ${SANDBOX_SIZES.join(', ')}`, 'small')
    .action(async (options: SandboxOptions) => {
      const sandbox = await startSandbox({
        port: options.port === undefined ? 0 : parseInteger(options.port, '--port', 1, 65535),
        seed: parseInteger(options.seed ?? '1', '--seed', 0, Number.MAX_SAFE_INTEGER),
        size: parseChoice(options.size ?? 'small', '--size', SANDBOX_SIZES),
      });
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
