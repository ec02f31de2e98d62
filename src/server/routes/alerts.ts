// The alerts: rules in words, each subject's state (firing first) and the last failed delivery of each
// destination, as `buildlens alerts list --json` prints them; filtered to firing ones, or one project's, for
// the dashboard's overview and project pages. A broken alerts file is said in `problem`, not as an error:
// the states in the store are still worth showing.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { type AlertsDocument, alertsDocument } from '../../alerts/document.js';
import { ALERT_METRICS } from '../../alerts/metrics.js';
import { ALERT_GROUPINGS, AlertsFileError, alertsFileFor, alertsForStore } from '../../alerts/rules.js';
import { ALERT_STATES } from '../../store/alert-state.js';
import type { ServerContext } from '../context.js';

const alertsQuery = z
  .object({
    state: z.enum(ALERT_STATES).optional().describe('only subjects in this state'),
    connection: z.string().min(1).max(1000).optional().describe('only subjects of this connection'),
    project: z.string().min(1).max(1000).optional().describe('only subjects of this project (by name)'),
  })
  .strict();
type AlertsQuery = z.infer<typeof alertsQuery>;

const names = z.array(z.string()).optional();
const subject = z.object({
  connection: z.string().optional(),
  project: z.string().optional(),
  workflow: z.string().optional(),
});

export const alertsDocumentSchema = z.object({
  file: z.string().nullable(),
  problem: z.string().nullable().describe('why the alerts file cannot be used, in one line'),
  dashboard_url: z.string().nullable(),
  destinations: z.array(z.object({ name: z.string(), type: z.string(), problem: z.string().nullable() })),
  rules: z.array(
    z.object({
      name: z.string(),
      metric: z.enum(ALERT_METRICS),
      metric_label: z.string(),
      scope: z.object({ connection: names, project: names, workflow: names, branch: names }),
      scope_text: z.string(),
      per: z.enum(ALERT_GROUPINGS),
      window: z.string(),
      condition: z.string(),
      min_runs: z.number().int(),
      notify: z.array(z.string()),
    }),
  ),
  states: z.array(
    z.object({
      rule: z.string(),
      subject,
      state: z.enum(ALERT_STATES),
      since: z.string(),
      value: z.number().nullable(),
      value_text: z.string(),
      previous_text: z.string().nullable(),
      runs: z.number().int().nullable(),
      evaluated_at: z.string(),
      scope_text: z.string(),
    }),
  ),
  last_failures: z.array(
    z.object({
      destination: z.string(),
      rule: z.string(),
      event: z.string(),
      at: z.string().nullable(),
      attempts: z.number().int(),
      error: z.string().nullable(),
    }),
  ),
});

// Declared apart: the route's type parameter (which types `request.query` from the schema) would refuse
// the OpenAPI fields of an inline literal.
const schema = {
  summary:
    'Alert rules, the state of each subject (firing first) and the last failed delivery per destination',
  tags: ['alerts'],
  querystring: alertsQuery,
  response: { 200: alertsDocumentSchema },
};

export const alertRoutes: FastifyPluginAsync<ServerContext> = async (app, { store, alertsFile }) => {
  app.get<{ Querystring: AlertsQuery }>(
    '/api/alerts',
    { config: { access: 'viewer' }, schema },
    async (request): Promise<AlertsDocument> => {
      let document: AlertsDocument;
      try {
        document = await alertsDocument(store, alertsForStore(store, alertsFile));
      } catch (error) {
        if (!(error instanceof AlertsFileError)) throw error;
        const { path } = alertsFileFor(store, alertsFile);
        document = await alertsDocument(store, null, { file: path, message: error.message });
      }
      const { state, connection, project } = request.query;
      return {
        ...document,
        states: document.states.filter(
          (s) =>
            (state === undefined || s.state === state) &&
            (connection === undefined || s.subject.connection === connection) &&
            (project === undefined || s.subject.project === project),
        ),
      };
    },
  );
};
