// Duration axes tick at human units: every tick a multiple of 1/5/10/30 s, 1/5/10/30 m or whole hours,
// the highest value inside the axis, at most six steps; labels read `30s`, `5m`, `1h`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { durationTicks, TICK_STEPS, tickLabel } from '../../web/src/ticks.js';

test('duration ticks fall on human units and cover the data', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 200_000, noNaN: true }), (max) => {
      const ticks = durationTicks(max);
      assert.ok((TICK_STEPS as readonly number[]).includes(ticks.interval) || ticks.interval % 86400 === 0);
      assert.ok(ticks.max >= max, `axis end ${ticks.max} below ${max}`);
      assert.equal(ticks.max % ticks.interval, 0);
      assert.ok(ticks.max / ticks.interval <= 6, `${ticks.max / ticks.interval} steps`);
      const labels = Array.from({ length: ticks.max / ticks.interval + 1 }, (_, i) =>
        tickLabel(i * ticks.interval),
      );
      assert.equal(new Set(labels).size, labels.length, `labels tell every tick apart: ${labels.join(', ')}`);
    }),
    { numRuns: 2000 },
  );
  // The case: a p95 of 40 minutes ticked at 16m 40s; now every 10 minutes.
  assert.deepEqual(durationTicks(2400), { interval: 600, max: 2400 });
  assert.deepEqual(durationTicks(95), { interval: 30, max: 120 });
});

test('tick labels', () => {
  assert.deepEqual([30, 60, 90, 300, 1800, 3600, 5400, 7200].map(tickLabel), [
    '30s',
    '1m',
    '1m 30s',
    '5m',
    '30m',
    '1h',
    '1h 30m',
    '2h',
  ]);
});
