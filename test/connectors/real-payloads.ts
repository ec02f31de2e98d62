// The real provider payloads of ../shared/reference/real-payloads (see its README), read as they are: tests
// use them unchanged. Bitrise: responses captured from a live account (April 2026); Buildkite: the example
// bodies of its REST API documentation (August 2026).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const REFERENCE = '/work/shared/reference/real-payloads';

export const REAL_BITRISE = process.env.BITRISE_REAL_PAYLOADS ?? join(REFERENCE, 'bitrise-2026-04');
export const REAL_BUILDKITE =
  process.env.BUILDKITE_REAL_PAYLOADS ?? join(REFERENCE, 'buildkite-docs-2026-08');

/** One file of a capture, parsed; the Bitrise capture unless another folder is named. */
export function realPayload(file: string, folder: string = REAL_BITRISE): unknown {
  return JSON.parse(readFileSync(join(folder, file), 'utf8'));
}
