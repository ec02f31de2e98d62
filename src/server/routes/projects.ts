// Projects with their default branch, and setting the default branch of one (Bitrise apps carry none; a
// Buildkite pipeline's own can be overridden), as `buildlens projects` does.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { setDefaultBranch } from '../../store/default-branch.js';
import { listProjectRecords, projectRecord } from '../../store/run-records.js';
import type { ServerContext } from '../context.js';

const projectParams = z.object({
  connection: z.string().min(1).max(100),
  project: z.string().min(1).max(500).describe('the project’s name or id'),
});
const defaultBranchBody = z
  .object({
    branch: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .nullable()
      .describe('null removes the branch set here: the provider’s or the inferred one applies again'),
  })
  .strict();

export const projectRoutes: FastifyPluginAsync<ServerContext> = async (app, { store }) => {
  app.get(
    '/api/projects',
    {
      config: { access: 'viewer', cachedPerDataVersion: true },
      schema: {
        summary:
          'Every project (Bitrise app, Buildkite pipeline) of every connection, with its default branch',
        tags: ['runs'],
        response: { 200: projectRecord.array() },
      },
    },
    () => listProjectRecords(store),
  );

  app.put(
    '/api/projects/:connection/:project/default-branch',
    {
      config: { access: 'admin', action: 'project.default-branch' },
      schema: {
        summary: 'Set the default branch of a project (what `buildlens projects default-branch` does)',
        tags: ['runs'],
        params: projectParams,
        body: defaultBranchBody,
        response: { 200: projectRecord },
      },
    },
    async (request) => {
      const { connection, project } = request.params as z.infer<typeof projectParams>;
      const { branch } = request.body as z.infer<typeof defaultBranchBody>;
      await setDefaultBranch(store, { connection, project }, branch);
      const records = await listProjectRecords(store);
      const record = records.find(
        (r) => r.connection === connection && (r.name === project || r.key === project),
      );
      if (!record) throw new Error(`project "${project}" vanished while its default branch was set`);
      return record;
    },
  );
};
