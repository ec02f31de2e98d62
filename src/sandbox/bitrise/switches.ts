// Behaviours the reference (ci-apis.md) marks *unconfirmed*: each one is a switch so a client can be
// tested against every plausible answer. Defaults follow the reference's best guess.

export interface BitriseSwitches {
  /** Accept `Authorization: Bearer X`. The reference warns clients not to send it: rejected (401) by default. */
  acceptBearer: boolean;
  /** Pipeline show wrapped as `{"data": {...}}`; the spec shows it unwrapped (default false). */
  wrapPipelineShow: boolean;
  /** `paging.total_item_count` of a filtered list: `unfiltered` (legacy examples, default) or `filtered`. */
  totalItemCount: 'unfiltered' | 'filtered';
  /** `limit` above the maximum (or below 1): `clamp` to the allowed range (default) or answer 400. */
  limitOutOfRange: 'clamp' | 'error';
  /** Maximum pipeline-list `limit` (unconfirmed; builds and apps are documented at 50). */
  pipelineLimitMax: number;
  /** Status for an app that exists but the token cannot see: 404 (default) or 403. */
  inaccessibleAppStatus: 404 | 403;
  /** Status for aborting a build that already finished (message `Build already finished, can't abort it.`). */
  abortFinishedStatus: number;
  /** `pipeline_workflow_id` of a standalone build: `empty` string (default, as in the example) or `absent`. */
  standalonePipelineWorkflowId: 'empty' | 'absent';
  /** The `noPipelines` token is also refused (403) on build endpoints, not only on pipelines. */
  noPipelinesForbidsBuilds: boolean;
  /** Status of the trailing-slash redirect (`/x/` to `/x`). */
  trailingSlashRedirect: 301 | 302 | 307 | 308;
  /** `commit_message` list filter: `substring` (default) or `exact` match. */
  commitMessageMatch: 'substring' | 'exact';
  /** Status of the artifact `?download=1` redirect to the download link. */
  artifactDownloadRedirect: 301 | 302 | 303 | 307;
  /** Serve the legacy `GET /me/apps` (default true). */
  legacyMeApps: boolean;
  /**
   * Whether the pipelines list's `before` cursor includes a run triggered at exactly that time: the live
   * `next` is the last item's `triggered_at`, so `inclusive` repeats it on the next page (default `exclusive`).
   */
  pipelinesBefore: 'exclusive' | 'inclusive';
  /** The pipelines list's `paging` counts: `zero` as live answers give them (default), or `filled`. */
  pipelinesPagingCounts: 'zero' | 'filled';
  /** Apps whose outgoing webhooks the main token may not create (403: not an admin there). */
  webhookForbiddenApps: readonly string[];
}

export const DEFAULT_SWITCHES: BitriseSwitches = {
  acceptBearer: false,
  wrapPipelineShow: false,
  totalItemCount: 'unfiltered',
  limitOutOfRange: 'clamp',
  pipelineLimitMax: 50,
  inaccessibleAppStatus: 404,
  abortFinishedStatus: 400,
  standalonePipelineWorkflowId: 'empty',
  noPipelinesForbidsBuilds: false,
  trailingSlashRedirect: 301,
  commitMessageMatch: 'substring',
  artifactDownloadRedirect: 302,
  legacyMeApps: true,
  pipelinesBefore: 'exclusive',
  pipelinesPagingCounts: 'zero',
  webhookForbiddenApps: [],
};
