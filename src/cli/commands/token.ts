// `buildlens token`: named API tokens for the server, each with a role (DESIGN.md "Server access"). A token
// is printed once, when it is made; the store keeps only its digest. Making and revoking are audited.
import type { Command } from 'commander';
import { ROLES } from '../../domain/roles.js';
import { createApiToken, listApiTokens, parseTokenName, revokeApiToken } from '../../store/api-tokens.js';
import { recordAudit } from '../../store/audit.js';
import type { Cli } from '../context.js';
import { type Column, renderTable } from '../format.js';
import { formatFrom } from '../options.js';
import { parseChoice } from '../parse.js';

const FORMATS = ['table', 'json'] as const;
const COLUMNS: Column[] = [
  { key: 'name', header: 'name' },
  { key: 'role', header: 'role', fixed: true },
  { key: 'created_at', header: 'created', fixed: true },
];

export function registerToken(program: Command, cli: Cli): void {
  const token = program
    .command('token')
    .description(
      'named API tokens for the server: viewer reads, admin also manages connections, webhooks and syncs',
    );

  token
    .command('create <name>')
    .description('make a token and print it once (the store keeps only its digest)')
    .requiredOption('--role <role>', `what it may do: ${ROLES.join(' or ')}`)
    .action(async (name: string, options: { role: string }) => {
      const role = parseChoice(options.role, '--role', ROLES);
      parseTokenName(name);
      const secret = await cli.withStore(async (store) => {
        const made = await createApiToken(store, name, role);
        await recordAudit(store, { actor: cli.actor(), action: 'token.create', target: name, outcome: 'ok' });
        return made;
      });
      // The one time the token is printed unredacted: it exists nowhere else.
      if (cli.options.json) cli.printSecretText(JSON.stringify({ name, role, token: secret }, null, 2));
      else {
        cli.printSecretText(secret);
        cli.info(
          `token "${name}" (${role}) made; it is shown this once: send it as Authorization: Bearer <token>`,
        );
      }
    });

  token
    .command('list')
    .description('tokens by name and role (never the tokens themselves)')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .action(async (options: { format?: string }) => {
      const format = formatFrom(cli, options.format, FORMATS);
      const records = await cli.withStore((store) => listApiTokens(store));
      if (format === 'json') return cli.print(JSON.stringify(records, null, 2));
      if (records.length === 0)
        return cli.info('no tokens yet: buildlens token create NAME --role viewer|admin');
      cli.print(renderTable(records, COLUMNS, cli.tableWidth()));
    });

  token
    .command('revoke <name>')
    .description('revoke a token: it is refused from the next request on')
    .action(async (name: string) => {
      await cli.withStore(async (store) => {
        await revokeApiToken(store, name);
        await recordAudit(store, { actor: cli.actor(), action: 'token.revoke', target: name, outcome: 'ok' });
      });
      cli.info(`token "${name}" revoked`);
    });
}
