import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoToMicros } from '../../src/store/time.js';

test('isoToMicros keeps microseconds, honours offsets and reads offset-less times as UTC', () => {
  const base = Date.UTC(2026, 1, 10, 9, 0, 0) * 1000;
  assert.equal(isoToMicros('2026-02-10T09:00:00Z'), base);
  assert.equal(isoToMicros('2026-02-10T09:00:00.123456Z'), base + 123456);
  assert.equal(isoToMicros('2026-02-10T09:00:00.1Z'), base + 100000);
  assert.equal(isoToMicros('2026-02-10T09:00:00.1234567Z'), base + 123456);
  assert.equal(isoToMicros('2026-02-10T10:00:00.000001+01:00'), base + 1);
  assert.equal(isoToMicros('2026-02-10T09:00'), base);
  assert.equal(isoToMicros('2026-02-10'), Date.UTC(2026, 1, 10) * 1000);
  for (const bad of ['', 'yesterday', '2026-13-40', '10/02/2026']) {
    assert.throws(() => isoToMicros(bad), { name: 'InvalidInputError' }, bad);
  }
});
