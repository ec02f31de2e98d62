// The real Bitrise responses of ../shared/reference/real-payloads/bitrise-2026-04 (see its README), read
// as they are: tests use them unchanged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REAL_BITRISE =
  process.env.BITRISE_REAL_PAYLOADS ?? '/work/shared/reference/real-payloads/bitrise-2026-04';

export function realPayload(file: string): unknown {
  return JSON.parse(readFileSync(join(REAL_BITRISE, file), 'utf8'));
}
