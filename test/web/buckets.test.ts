// The dashboard's time buckets must be labelled exactly as the database labels days and ISO weeks, or
// a chart would show empty buckets beside the data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { dayLabel, weekLabel } from '../../web/src/page.js';

test('day and ISO week labels match SQLite for every day of 2020-2027', () => {
  const db = new Database(':memory:');
  const query = db.prepare(
    "select strftime('%Y-%m-%d', ? , 'unixepoch') as day, strftime('%G-W%V', ?, 'unixepoch') as week",
  );
  const start = Date.UTC(2020, 0, 1);
  for (let ms = start; ms < Date.UTC(2028, 0, 1); ms += 86_400_000 + 3_600_000 * 5) {
    const seconds = Math.floor(ms / 1000);
    const expected = query.get(seconds, seconds) as { day: string; week: string };
    assert.equal(dayLabel(ms), expected.day, new Date(ms).toISOString());
    assert.equal(weekLabel(ms), expected.week, new Date(ms).toISOString());
  }
  db.close();
});
