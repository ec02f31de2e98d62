// What both connectors' checks say about an answer they cannot read: the host answered, so it is not
// "unreachable"; the person needs the endpoint and the field to tell a wrong URL from a changed API.
import type { CheckResult } from './contract.js';
import { type InvalidResponseError, UnexpectedShapeError } from './http.js';

/** `api`: how the provider's API is named in messages; `root`: its public API root, as an example. */
export function unexpectedResponse(error: InvalidResponseError, api: string, root: string): CheckResult {
  const what =
    error instanceof UnexpectedShapeError
      ? `${error.endpoint} answered, but buildlens cannot read its field ${error.field} (${error.problem})`
      : error.message;
  return {
    code: 'unexpected_response',
    message: `${what}: check that the URL is the ${api} root (e.g. ${root}); if it is, its answer differs from what buildlens knows.`,
    curl: error.curl,
  };
}
