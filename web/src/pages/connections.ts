// Connections: when each last synced and how it went, its webhook's health, a verify button that explains
// the outcome, and syncs started from here with their progress.
import { api, type ConnectionRecord, type SyncStatus } from '../api.js';
import { empty, failure, fill, h } from '../dom.js';
import type { Page } from '../page.js';
import { globalParams } from '../state.js';
import { breakdownChart } from '../views.js';

const POLL_MS = 1000;
/** A sync page left open does not poll forever. */
const MAX_POLLS = 1800;

const when = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : 'never');

function lastSync(connection: ConnectionRecord): HTMLElement {
  const { last_sync_at: finished, last_sync_error: error, last_sync_summary: summary } = connection;
  switch (connection.last_sync_result) {
    case 'never':
      return h('span', {}, 'Not synced yet');
    case 'running':
      return h('span', {}, `Running since ${when(connection.last_sync_started_at)}`);
    case 'interrupted':
      return h(
        'span',
        { class: 'bad' },
        `Interrupted: started ${when(connection.last_sync_started_at)} and never finished; the next sync carries on`,
      );
    case 'failed':
      return h('span', { class: 'bad' }, `Failed ${when(finished)}: ${error}`);
    case 'ok': {
      const runs = summary as { runs_new?: number; runs_updated?: number } | null;
      return h(
        'span',
        {},
        `OK ${when(finished)}`,
        runs
          ? h('span', { class: 'sub' }, `${runs.runs_new ?? 0} new, ${runs.runs_updated ?? 0} updated runs`)
          : null,
      );
    }
  }
}

/** Webhook health: last delivery, accepted and refused deliveries, the inbox, and the runs missed. */
function webhookHealth(connection: ConnectionRecord): HTMLElement {
  const health = connection.webhook;
  if (health === null) return h('span', { class: 'muted' }, 'Not set up');
  const refused = h(
    'span',
    { class: `sub${health.refused > 0 ? ' bad' : ''}` },
    `${health.refused} refused`,
    health.last_refusal_reason
      ? ` (last ${when(health.last_refused_at)}: ${health.last_refusal_reason})`
      : '',
  );
  const missedLast = health.missed_at_last_reconciliation;
  return h(
    'div',
    { class: 'webhook-health' },
    h('span', {}, `Last delivery ${when(health.last_delivery_at)}`),
    h('span', { class: 'sub' }, `${health.accepted} accepted`),
    refused,
    h(
      'span',
      { class: `sub${health.failed > 0 ? ' bad' : ''}` },
      `${health.pending} pending, ${health.failed} failed`,
    ),
    h(
      'span',
      { class: `sub${(missedLast ?? 0) > 0 ? ' bad' : ''}` },
      missedLast === null
        ? `${health.missed_runs} runs missed (no reconciliation yet)`
        : `${missedLast} runs missed at the last reconciliation, ${health.missed_runs} in all`,
    ),
  );
}

function verifyButton(name: string): HTMLElement {
  const result = h('div', { class: 'verify-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button' }, 'Verify');
  button.addEventListener('click', async () => {
    button.disabled = true;
    fill(result, h('span', { class: 'muted' }, 'Checking…'));
    try {
      const check = await api.verify(name);
      fill(
        result,
        h(
          'span',
          { class: `badge ${check.code === 'ok' ? 'success' : 'failure'}`, 'data-code': check.code },
          check.code,
        ),
        ...(check.code === 'ok'
          ? [h('ul', { class: 'checked' }, ...check.checked.map((line) => h('li', {}, line)))]
          : [
              h('p', {}, check.explanation),
              h('p', { class: 'sub' }, check.message),
              check.curl ? h('p', {}, 'Reproduce with: ', h('code', {}, check.curl)) : null,
            ]),
      );
    } catch (error) {
      fill(result, failure('the verification', error));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', {}, button, result);
}

function progressText(status: SyncStatus): string {
  if (status.connections.length === 0) return 'No sync has run since the server started.';
  const parts = status.connections.map((c) => {
    const projects = c.projects_total > 0 ? ` ${c.projects_done}/${c.projects_total} projects,` : '';
    return `${c.connection}: ${c.state},${projects} ${c.runs_done} runs${c.error ? ` (${c.error})` : ''}`;
  });
  return `${status.running ? 'Syncing' : `Last sync (${status.trigger ?? ''}) finished ${when(status.finished_at)}`} — ${parts.join('; ')}`;
}

export const connectionsPage: Page = async (context) => {
  const [connections, status, byConnection] = await Promise.all([
    api.connections(),
    api.syncStatus(),
    api.report({ ...globalParams(context.global), by: ['connection'] }),
  ]);
  if (context.stale()) return;
  const progress = h('p', { class: 'note', role: 'status', 'aria-live': 'polite' }, progressText(status));
  const syncButtons: HTMLButtonElement[] = [];

  const watch = async () => {
    for (let i = 0; i < MAX_POLLS && !context.stale(); i++) {
      const now = await api.syncStatus().catch(() => null);
      if (!now) break;
      fill(progress, progressText(now));
      if (!now.running) {
        if (!context.stale()) await connectionsPage(context);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  const startSync = async (names: string[]) => {
    for (const b of syncButtons) b.disabled = true;
    try {
      fill(progress, progressText(await api.startSync(names)));
      await watch();
    } catch (error) {
      fill(progress, failure('a new sync', error));
    } finally {
      for (const b of syncButtons) b.disabled = false;
    }
  };
  const syncButton = (label: string, names: string[]) => {
    const button = h('button', { type: 'button' }, label);
    button.addEventListener('click', () => void startSync(names));
    syncButtons.push(button);
    return button;
  };

  fill(
    context.main,
    h('h1', {}, 'Connections'),
    connections.length === 0
      ? empty('No connections yet. Add one with: buildlens connect add <name> --provider bitrise|buildkite')
      : [
          h('p', {}, syncButton('Sync all now', [])),
          progress,
          h(
            'div',
            { class: 'table-wrap card' },
            h(
              'table',
              { class: 'data' },
              h('caption', { class: 'visually-hidden' }, 'Connections'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Name', 'Provider', 'API', 'Last sync', 'Webhook', 'Check', 'Sync'].map((t) =>
                    h('th', { scope: 'col' }, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                connections.map((c) =>
                  h(
                    'tr',
                    { 'data-connection': c.name },
                    h('th', { scope: 'row' }, c.name),
                    h('td', {}, c.provider, c.org ? h('span', { class: 'sub' }, c.org) : null),
                    h('td', { class: 'url' }, c.url),
                    h('td', {}, lastSync(c)),
                    h('td', {}, webhookHealth(c)),
                    h('td', {}, verifyButton(c.name)),
                    h('td', {}, syncButton('Sync now', [c.name])),
                  ),
                ),
              ),
            ),
          ),
          breakdownChart(byConnection.rows, 'connection'),
        ],
  );
  if (status.running) void watch();
};
