// The one duration format: fixed examples at each unit boundary, and properties over many values that it
// never shows 60 of a unit, reads back within its rounding, and keeps the order of the values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatSeconds } from '../../src/cli/format.js';
import { formatDuration } from '../../src/domain/duration.js';

const SHAPE = /^(?:(\d)\.(\d)s|(\d+)s|(\d+)m ([0-5]\d)s|(\d+)h ([0-5]\d)m)$/;

/** The seconds a formatted duration stands for, and how far from the value it may be (half its last unit). */
function readBack(text: string): { seconds: number; tolerance: number } {
  const m = SHAPE.exec(text);
  assert.ok(m, `unexpected shape "${text}"`);
  if (m[1] !== undefined) return { seconds: Number(`${m[1]}.${m[2]}`), tolerance: 0.05 };
  if (m[3] !== undefined) return { seconds: Number(m[3]), tolerance: 0.5 };
  if (m[4] !== undefined) return { seconds: Number(m[4]) * 60 + Number(m[5]), tolerance: 0.5 };
  return { seconds: Number(m[6]) * 3600 + Number(m[7]) * 60, tolerance: 30 };
}

const durations = fc.oneof(
  fc.double({ min: 0, max: 400_000, noNaN: true }),
  // Close to every boundary, where rounding must carry.
  fc
    .tuple(fc.constantFrom(10, 60, 3600, 7200, 36_000), fc.double({ min: -0.6, max: 0.6, noNaN: true }))
    .map(([edge, offset]) => Math.max(0, edge + offset)),
  fc
    .tuple(fc.integer({ min: 0, max: 50 }), fc.double({ min: 29, max: 31, noNaN: true }))
    .map(([minutes, seconds]) => minutes * 60 + seconds),
);

describe('formatDuration', () => {
  it('carries at every boundary', () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [0.44, '0.4s'],
      [4.25, '4.3s'],
      [7, '7s'],
      [9.96, '10s'],
      [42, '42s'],
      [59.4, '59s'],
      [59.6, '1m 00s'],
      [60, '1m 00s'],
      [119.5, '2m 00s'],
      [245, '4m 05s'],
      [1319.6, '22m 00s'],
      [3570, '59m 30s'],
      [3599.4, '59m 59s'],
      [3599.6, '1h 00m'],
      [3780, '1h 03m'],
      [7169, '1h 59m'],
      [7170, '2h 00m'],
      [200_000, '55h 33m'],
      [-90, '−1m 30s'],
    ];
    assert.deepEqual(
      cases.map(([seconds]) => formatDuration(seconds)),
      cases.map(([, text]) => text),
    );
  });

  it('never shows 60 seconds or 60 minutes, and reads back within half its last unit', () => {
    fc.assert(
      fc.property(durations, (seconds) => {
        const text = formatDuration(seconds);
        assert.doesNotMatch(text, /(^|\D)60[sm]/);
        const { seconds: read, tolerance } = readBack(text);
        assert.ok(Math.abs(read - seconds) <= tolerance + 1e-9, `${seconds} read as ${text}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps the order of the values', () => {
    fc.assert(
      fc.property(durations, durations, (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        assert.ok(readBack(formatDuration(low)).seconds <= readBack(formatDuration(high)).seconds);
      }),
      { numRuns: 20_000 },
    );
  });

  it('is what the CLI prints; a missing value reads "-"', () => {
    assert.equal(formatSeconds(3780), '1h 03m');
    assert.equal(formatSeconds(null), '-');
  });
});
