// Projects and runs as the store holds them: runs filtered and paged newest first with a cursor.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CLASSIFICATIONS, PROVIDERS, RUN_STATUSES } from '../../domain/model.js';
import { listProjects } from '../../store/projects.js';
import { listRuns } from '../../store/runs.js';
import type { ServerContext } from '../context.js';
import { resolveFilter } from '../filter.js';
import { runQuery } from '../schema.js';

const text = z.string().nullable();
const seconds = z.number().nullable();

const project = z.object({
  connection: z.string(),
  provider: z.enum(PROVIDERS),
  key: z.string(),
  name: z.string(),
  owner: text,
  repoUrl: text,
  webUrl: text,
});

const run = z.object({
  connection: z.string(),
  provider: z.enum(PROVIDERS),
  key: z.string(),
  projectKey: z.string(),
  kind: z.enum(['build', 'pipeline']),
  number: z.number().nullable(),
  workflow: z.string(),
  branch: text,
  commitSha: text,
  message: text,
  trigger: z.string(),
  prId: text,
  tag: text,
  actor: text,
  status: z.enum(RUN_STATUSES),
  providerStatus: z.string(),
  classification: z.enum(CLASSIFICATIONS).nullable(),
  classifiedBy: text.describe('Name of the rule that set the classification'),
  reason: text,
  abortedBy: text,
  triggeredAt: z.string(),
  startedAt: text,
  finishedAt: text,
  queueS: seconds,
  durationS: seconds,
  setupS: seconds,
  cost: seconds,
  machine: text,
  stack: text,
  webUrl: text.describe('The run’s page on the provider’s website'),
});

const runPage = z.object({
  runs: z.array(run),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export const runRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/projects',
    {
      schema: {
        summary: 'Every project (Bitrise app, Buildkite pipeline) of every connection',
        tags: ['runs'],
        response: { 200: z.array(project) },
      },
    },
    () => listProjects(store),
  );

  app.get(
    '/api/runs',
    {
      schema: {
        summary: 'Runs, newest first, with their classification and the rule that set it',
        tags: ['runs'],
        querystring: runQuery,
        response: { 200: runPage },
      },
    },
    async (request) => {
      const { limit, cursor, status, classification, ...filters } = request.query as z.infer<typeof runQuery>;
      const filter = await resolveFilter(store, filters);
      return listRuns(store, { ...filter, status, classification }, { limit, cursor });
    },
  );
};
