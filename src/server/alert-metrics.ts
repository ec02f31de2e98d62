// Alerts for /metrics: which are firing (per rule), and the deliveries to each destination by state, so a
// destination that stopped taking messages shows as a rising failed count.
import { deliveryCounts, listAlertStates } from '../store/alert-state.js';
import type { Store } from '../store/store.js';
import type { Family } from './exposition.js';

export async function alertFamilies(store: Store): Promise<Family[]> {
  const states = await listAlertStates(store);
  const firing = new Map<string, number>();
  for (const s of states) firing.set(s.rule, (firing.get(s.rule) ?? 0) + (s.state === 'firing' ? 1 : 0));
  return [
    {
      name: 'buildlens_alerts_firing',
      help: 'Subjects (projects, workflows or whole scopes) each alert rule is firing for',
      type: 'gauge',
      samples: [...firing].map(([rule, value]) => ({ labels: { rule }, value })),
    },
    {
      name: 'buildlens_alert_deliveries',
      help: 'Alert messages per destination: sent, failed after their retries, or pending',
      type: 'gauge',
      samples: (await deliveryCounts(store)).map((d) => ({
        labels: { destination: d.destination, state: d.state },
        value: d.count,
      })),
    },
  ];
}
