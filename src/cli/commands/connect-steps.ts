// `connect steps NAME on|off`: whether the connection's syncs fetch step lists (one request per finished
// Bitrise build); `sync --no-steps` skips them for one sync.
import type { Command } from 'commander';
import { setFetchSteps } from '../../store/step-settings.js';
import type { Cli } from '../context.js';
import { parseChoice } from '../parse.js';

export function registerSteps(connect: Command, cli: Cli): void {
  connect
    .command('steps <name> <on|off>')
    .description('fetch step lists (Bitrise log summaries) at each sync of this connection, or not')
    .action(async (name: string, value: string) => {
      const on = parseChoice(value, 'the setting', ['on', 'off'] as const) === 'on';
      await cli.withStore((store) => setFetchSteps(store, name, on));
      cli.info(`connection "${name}": steps ${on ? 'fetched at each sync' : 'not fetched'}`);
    });
}
