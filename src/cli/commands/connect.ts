// `buildlens connect`: add, list, verify, re-enter the token of, and remove provider accounts.

import type { Command } from 'commander';
import { DEFAULT_BITRISE_URL } from '../../connectors/bitrise/connector.js';
import { DEFAULT_BUILDKITE_URL } from '../../connectors/buildkite/connector.js';
import type { Connection, Provider } from '../../domain/model.js';
import { rememberSecret, shortSecretProblem } from '../../domain/redaction.js';
import { recordAudit } from '../../store/audit.js';
import { listConnectionRecords } from '../../store/connection-records.js';
import {
  addConnection,
  connectionFootprint,
  getConnection,
  listConnections,
  readStoredToken,
  removeConnection,
  setToken,
} from '../../store/connections.js';
import { type Reclaimed, reclaimSpace } from '../../store/reclaim.js';
import { keyFileFor } from '../../store/secrets.js';
import { type CheckRecord, verifyConnection } from '../../sync/verify.js';
import { canAsk, confirm } from '../confirm.js';
import type { Cli } from '../context.js';
import { ConnectionFailure, UsageError } from '../errors.js';
import { type Column, renderTable } from '../format.js';
import { parseBaseUrl, parseProvider } from '../parse.js';
import { registerSteps } from './connect-steps.js';
import { PROJECT_UNIT } from './sync.js';
import { registerWebhook } from './webhook.js';

const DEFAULTS: Record<Provider, { url: string; tokenEnv: string }> = {
  bitrise: { url: DEFAULT_BITRISE_URL, tokenEnv: 'BITRISE_TOKEN' },
  buildkite: { url: DEFAULT_BUILDKITE_URL, tokenEnv: 'BUILDKITE_TOKEN' },
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function parseName(name: string): string {
  if (!NAME.test(name))
    throw new UsageError(`connection name must be 1-64 letters, digits, ".", "_" or "-", got "${name}"`);
  return name;
}

function failure(name: string, result: CheckRecord): ConnectionFailure {
  const hint = result.curl ? ` Try: ${result.curl}` : '';
  return new ConnectionFailure(
    `connection "${name}" failed verification (${result.code}): ${result.message}${hint}`,
  );
}

/** `abcd…wxyz` for tokens long enough that 8 characters give nothing away, else `****`. */
export function maskToken(token: string): string {
  return token.length >= 12 ? `${token.slice(0, 4)}…${token.slice(-4)}` : '****';
}

async function readStdin(cli: Cli): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of cli.io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').trim();
}

interface TokenOptions {
  tokenEnv?: string;
  tokenStdin?: boolean;
  verify: boolean;
}

interface AddOptions extends TokenOptions {
  provider: string;
  url?: string;
  org?: string;
}

async function readToken(cli: Cli, provider: Provider, options: TokenOptions): Promise<string> {
  if (options.tokenStdin && options.tokenEnv)
    throw new UsageError('use either --token-env or --token-stdin, not both');
  const variable = options.tokenEnv ?? DEFAULTS[provider].tokenEnv;
  const token = options.tokenStdin ? await readStdin(cli) : (cli.io.env[variable] ?? '').trim();
  if (token.length === 0) {
    throw new UsageError(
      options.tokenStdin
        ? 'no token on standard input'
        : `environment variable ${variable} is empty or not set: export the token there, or use --token-env VAR / --token-stdin`,
    );
  }
  const short = shortSecretProblem(token, options.tokenStdin ? 'the token on standard input' : `${variable}`);
  if (short) throw new UsageError(short);
  rememberSecret(token);
  return token;
}

function registerAdd(connect: Command, cli: Cli): void {
  connect
    .command('add <name>')
    .description('add a Bitrise or Buildkite account (the token is read from the environment or stdin)')
    .requiredOption('--provider <provider>', 'bitrise or buildkite')
    .option('--url <url>', 'API base URL (default: the provider’s public API)')
    .option('--org <slug>', 'organization slug (Buildkite; default: every organization the token sees)')
    .option(
      '--token-env <var>',
      'environment variable holding the token (default: BITRISE_TOKEN / BUILDKITE_TOKEN)',
    )
    .option('--token-stdin', 'read the token from standard input')
    .option('--no-verify', 'save without checking the token against the provider')
    .action(async (rawName: string, options: AddOptions) => {
      const name = parseName(rawName);
      const provider = parseProvider(options.provider);
      // Bitrise has no organization filter: an --org there would be stored and silently ignored.
      if (provider === 'bitrise' && options.org !== undefined)
        throw new UsageError(
          '--org is for Buildkite: a Bitrise connection reads every app the token can see',
        );
      const baseUrl = parseBaseUrl(options.url ?? DEFAULTS[provider].url);
      const org = options.org?.trim() || null;
      const token = await readToken(cli, provider, options);
      await cli.withStore(async (store) => {
        const existing = await listConnections(store);
        if (existing.some((c) => c.name === name))
          throw new UsageError(`connection "${name}" already exists`);
        const draft: Connection = {
          id: 0,
          name,
          provider,
          baseUrl,
          org,
          createdAt: new Date().toISOString(),
          coveredFrom: null,
        };
        if (options.verify) {
          const result = await verifyConnection(draft, token);
          if (result.code !== 'ok') throw failure(name, result);
          cli.info(result.message);
        }
        await addConnection(store, { name, provider, baseUrl, org, token });
        await recordAudit(store, {
          actor: cli.actor(),
          action: 'connection.add',
          target: name,
          outcome: 'ok',
        });
        const added = (await listConnectionRecords(store)).find((c) => c.name === name);
        if (cli.options.json) cli.print(JSON.stringify(added));
        else cli.print(`added connection "${name}" (${provider}, ${baseUrl})`);
      });
    });
}

const LIST_COLUMNS: Column[] = [
  { key: 'name', header: 'name' },
  { key: 'provider', header: 'provider', fixed: true },
  { key: 'url', header: 'url' },
  { key: 'org', header: 'org' },
  { key: 'token', header: 'token', fixed: true },
  {
    key: 'last_sync_at',
    header: 'last sync (UTC)',
    fixed: true,
    display: (v) => (typeof v === 'string' ? v.slice(0, 16).replace('T', ' ') : '-'),
  },
  { key: 'last_sync_result', header: 'result', fixed: true },
];

function registerList(connect: Command, cli: Cli): void {
  connect
    .command('list')
    .description('list connections (tokens masked)')
    .action(async () => {
      await cli.withStore(async (store) => {
        const rows = [];
        for (const record of await listConnectionRecords(store)) {
          const { token } = await readStoredToken(store, record.name);
          // The API's record plus the masked token, which only the CLI shows.
          rows.push({ ...record, token: token === null ? 'unreadable' : maskToken(token) });
        }
        const unreadable = rows.filter((r) => r.token_error !== null);
        if (unreadable.length > 0 && !cli.options.json)
          cli.warn(
            `cannot read the token of ${unreadable.map((r) => `"${r.name}"`).join(', ')}: ${unreadable[0]?.token_error}`,
          );
        if (cli.options.json) cli.print(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) cli.info('no connections yet: add one with "buildlens connect add"');
        else {
          const table = rows.map(
            ({ last_sync_summary: _summary, token_error: _error, webhook: _webhook, ...row }) => row,
          );
          cli.print(renderTable(table, LIST_COLUMNS, cli.tableWidth()));
        }
      });
    });
}

function registerVerify(connect: Command, cli: Cli): void {
  connect
    .command('verify <name>')
    .description('check a saved connection against its provider')
    .action(async (name: string) => {
      const result = await cli.withStore(async (store) => {
        const { connection, token } = await getConnection(store, name);
        return verifyConnection(connection, token, store);
      });
      if (cli.options.json) cli.print(JSON.stringify(result));
      else if (result.code === 'ok')
        cli.print(
          [`ok: connection "${name}" verified`, ...result.checked.map((line) => `  ${line}`)].join('\n'),
        );
      else
        cli.print(
          [
            `${result.code}: ${result.message}`,
            result.explanation,
            ...(result.curl ? [`try: ${result.curl}`] : []),
          ].join('\n'),
        );
      if (result.code !== 'ok') throw failure(name, result);
    });
}

function registerSetToken(connect: Command, cli: Cli): void {
  connect
    .command('set-token <name>')
    .description('re-enter the token of a connection, keeping everything imported through it')
    .option(
      '--token-env <var>',
      'environment variable holding the token (default: BITRISE_TOKEN / BUILDKITE_TOKEN)',
    )
    .option('--token-stdin', 'read the token from standard input')
    .option('--no-verify', 'save without checking the token against the provider')
    .action(async (name: string, options: TokenOptions) => {
      await cli.withStore(async (store) => {
        const connection = (await listConnections(store)).find((c) => c.name === name);
        if (!connection) throw new UsageError(`unknown connection "${name}"`);
        const token = await readToken(cli, connection.provider, options);
        if (options.verify) {
          const result = await verifyConnection(connection, token);
          if (result.code !== 'ok') throw failure(name, result);
          cli.info(result.message);
        }
        const { newKey } = await setToken(store, name, token);
        await recordAudit(store, {
          actor: cli.actor(),
          action: 'connection.set-token',
          target: name,
          outcome: 'ok',
        });
        cli.print(`saved the new token of "${name}"`);
        if (newKey)
          cli.warn(
            `created a new key file ${keyFileFor(store)}: tokens saved under the lost key cannot be read; ` +
              `re-enter them with "buildlens connect set-token NAME", and back the new key up with the database`,
          );
      });
    });
}

const count = (n: number, unit: string) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? unit.replace(/s$/, '') : unit}`;

const MB = 1024 * 1024;

function spaceText(reclaimed: Reclaimed): string {
  if (reclaimed.engine === 'postgres')
    return 'PostgreSQL reuses the space of the deleted rows once autovacuum has passed; run VACUUM FULL to return it to the operating system now (it locks the tables while it runs)';
  const freed = Math.max(0, reclaimed.bytesBefore - reclaimed.bytesAfter);
  const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
  return `VACUUM freed ${freed.toLocaleString('en-US')} bytes: the database file went from ${mb(reclaimed.bytesBefore)} to ${mb(reclaimed.bytesAfter)}`;
}

function registerRemove(connect: Command, cli: Cli): void {
  connect
    .command('remove <name>')
    .description(
      'remove a connection and everything imported through it, then free the space (asks first on a terminal)',
    )
    .option('-y, --yes', 'remove without asking (required when standard input is not a terminal)')
    .action(async (name: string, options: { yes?: boolean }) => {
      await cli.withStore(async (store) => {
        const connection = (await listConnections(store)).find((c) => c.name === name);
        if (!connection) throw new UsageError(`unknown connection "${name}"`);
        const { projects, runs } = await connectionFootprint(store, name);
        const what = `connection "${name}" with its ${count(projects, PROJECT_UNIT[connection.provider])} and ${count(runs, 'runs')}`;
        if (!options.yes) {
          if (!canAsk(cli))
            throw new UsageError(`removing ${what} cannot be undone: add --yes to confirm (nothing removed)`);
          if (!(await confirm(cli, `Remove ${what}? This cannot be undone.`))) {
            cli.info('nothing removed');
            return;
          }
        }
        await removeConnection(store, name);
        await recordAudit(store, {
          actor: cli.actor(),
          action: 'connection.remove',
          target: name,
          outcome: 'ok',
        });
        cli.info(`removed ${what}`);
        cli.info(spaceText(await reclaimSpace(store)));
      });
    });
}

export function registerConnect(program: Command, cli: Cli): void {
  const connect = program
    .command('connect')
    .description('manage connections to Bitrise and Buildkite accounts');
  registerAdd(connect, cli);
  registerList(connect, cli);
  registerVerify(connect, cli);
  registerSetToken(connect, cli);
  registerRemove(connect, cli);
  registerWebhook(connect, cli);
  registerSteps(connect, cli);
}
