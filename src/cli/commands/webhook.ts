// `buildlens connect webhook NAME`: sets up the webhook of a connection (a secret, stored encrypted like
// tokens), prints the URL to configure and the steps for the provider, and for Bitrise can register the
// outgoing webhook on every app. The secret is printed when it is made, and later only when asked.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { redact, rememberSecret } from '../../domain/redaction.js';
import { recordAudit } from '../../store/audit.js';
import { getConnection } from '../../store/connections.js';
import { findWebhook, setWebhookSecret } from '../../store/webhooks.js';
import { BITRISE_EVENTS, type Registration, registerBitriseWebhooks } from '../../webhooks/register.js';
import { BITRISE_SECRET_HEADER } from '../../webhooks/verify.js';
import type { Cli } from '../context.js';
import { ConnectionFailure, UsageError } from '../errors.js';
import { parseBaseUrl } from '../parse.js';

interface WebhookOptions {
  url?: string;
  rotate?: boolean;
  showSecret?: boolean;
  register?: boolean;
}

const BUILDKITE_EVENTS = [
  'build.scheduled',
  'build.running',
  'build.failing',
  'build.finished',
  'build.skipped',
  'job.scheduled',
  'job.started',
  'job.finished',
];

function steps(provider: string, url: string, secretShown: boolean): string[] {
  const secret = secretShown
    ? 'the secret above'
    : 'the secret (buildlens connect webhook NAME --show-secret)';
  if (provider === 'buildkite')
    return [
      'Buildkite: Organization Settings → Notification Services → Add → Webhook.',
      `  Webhook URL: ${url}`,
      `  Token: ${secret}; choose "Send the token as X-Buildkite-Signature" (signature mode: the secret never travels)`,
      `  Events: ${BUILDKITE_EVENTS.join(', ')}`,
      '  Pipelines: the ones this connection syncs (all by default).',
    ];
  return [
    'Bitrise, for each app: App Settings → Integrations → Webhooks → Add webhook (or run this command with --register).',
    `  URL: ${url}`,
    `  Custom header: ${BITRISE_SECRET_HEADER}: ${secret}`,
    `  Events: build events (${BITRISE_EVENTS.join(', ')})`,
  ];
}

export function registerWebhook(connect: Command, cli: Cli): void {
  connect
    .command('webhook <name>')
    .description('set up webhooks for a connection: URL, secret and the steps to configure the provider')
    .option('--url <base>', 'the server’s public base URL, as the provider reaches it (https://…)')
    .option('--rotate', 'make a new secret (the old one stops working)')
    .option('--show-secret', 'print the stored secret again')
    .option('--register', 'Bitrise: create the outgoing webhook on every app the token can see')
    .action(async (name: string, options: WebhookOptions) => {
      const base = options.url === undefined ? null : parseBaseUrl(options.url).replace(/\/+$/, '');
      await cli.withStore(async (store) => {
        const { connection, token } = await getConnection(store, name);
        if (options.register && connection.provider !== 'bitrise')
          throw new UsageError(
            '--register is for Bitrise; a Buildkite webhook is set up once per organization (run without --register for the steps)',
          );
        if (options.register && base === null)
          throw new UsageError('--register needs --url: the address Bitrise will send to');
        let webhook = await findWebhook(store, name);
        const made = webhook === null || options.rotate === true;
        if (made) {
          const secret = randomBytes(24).toString('base64url');
          rememberSecret(secret);
          await setWebhookSecret(store, connection, secret);
          await recordAudit(store, {
            actor: cli.actor(),
            action: options.rotate ? 'webhook.rotate' : 'webhook.create',
            target: name,
            outcome: 'ok',
          });
          webhook = await findWebhook(store, name);
        }
        if (!webhook) throw new Error('the webhook secret was not saved');
        const url = `${base ?? 'https://<this server>'}/webhooks/${encodeURIComponent(name)}`;
        const showSecret = made || options.showSecret === true;
        let registration: Registration | null = null;
        if (options.register)
          registration = await registerBitriseWebhooks(connection, token, url, webhook.secret);

        // The secret is the one thing printed unredacted, and only when made or asked for.
        const SECRET = '@@buildlens-webhook-secret@@';
        let text: string;
        if (cli.options.json) {
          const document = {
            connection: name,
            provider: connection.provider,
            url,
            ...(showSecret ? { secret: SECRET } : {}),
            secret_header: connection.provider === 'bitrise' ? BITRISE_SECRET_HEADER : null,
            registered: registration?.registered ?? null,
            not_registered: registration?.failed ?? null,
          };
          text = JSON.stringify(document, null, 2);
        } else {
          const lines = [`webhook of "${name}" (${connection.provider})`, `URL: ${url}`];
          if (showSecret) lines.push(`secret: ${SECRET}`);
          else lines.push('secret: stored encrypted (--show-secret prints it, --rotate makes a new one)');
          if (made) lines.push('(the secret is shown now; later only with --show-secret)');
          lines.push('', ...steps(connection.provider, url, showSecret));
          if (registration) {
            lines.push('', `registered on ${registration.registered.length} apps`);
            for (const f of registration.failed) lines.push(`  not registered on app ${f.app}: ${f.reason}`);
          }
          lines.push('', 'Keep a periodic sync on as the safety net: buildlens serve --sync-every 15m');
          text = lines.join('\n');
        }
        cli.printSecretText(redact(text).replace(SECRET, webhook.secret));
        if (registration && registration.failed.length > 0)
          throw new ConnectionFailure(
            `the webhook could not be registered on ${registration.failed.length} of ${registration.failed.length + registration.registered.length} apps (listed above)`,
          );
      });
    });
}
