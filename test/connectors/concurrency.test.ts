import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mergeLimited } from '../../src/connectors/concurrency.js';

test('runs at most `limit` sources at once and yields every value of every source', async () => {
  let active = 0;
  let peak = 0;
  const source = (name: string, count: number) =>
    async function* () {
      active++;
      peak = Math.max(peak, active);
      try {
        for (let i = 0; i < count; i++) {
          await sleep(1 + ((i * 7) % 3));
          yield `${name}${i}`;
        }
      } finally {
        active--;
      }
    };
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const seen: string[] = [];
  for await (const value of mergeLimited(
    names.map((n) => source(n, 3)),
    2,
  ))
    seen.push(value);
  assert.equal(peak, 2);
  assert.deepEqual(seen.toSorted(), names.flatMap((n) => [0, 1, 2].map((i) => `${n}${i}`)).toSorted());
  for (const n of names) {
    assert.deepEqual(
      seen.filter((v) => v.startsWith(n)),
      [`${n}0`, `${n}1`, `${n}2`],
      'each source keeps its order',
    );
  }
});

test('a source resumes only after its previous value was consumed', async () => {
  const log: string[] = [];
  const source = (name: string) =>
    async function* () {
      log.push(`${name}:work1`);
      yield `${name}:1`;
      log.push(`${name}:work2`);
      yield `${name}:2`;
    };
  for await (const value of mergeLimited([source('a'), source('b')], 2)) {
    log.push(`consumed ${value}`);
    await sleep(2);
  }
  for (const name of ['a', 'b']) {
    assert.ok(log.indexOf(`consumed ${name}:1`) < log.indexOf(`${name}:work2`), log.join(' | '));
  }
});

test('the first error stops the merge and closes the other sources', async () => {
  let closed = false;
  const slow = async function* () {
    try {
      for (let i = 0; i < 1000; i++) {
        await sleep(1);
        yield i;
      }
    } finally {
      closed = true;
    }
  };
  const failing = async function* () {
    await sleep(5);
    yield -1;
    throw new Error('page 2 failed');
  };
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const value of mergeLimited<number>([slow, failing], 2)) seen.push(value);
  }, /page 2 failed/);
  assert.equal(closed, true);
  assert.ok(seen.length < 1000);
});
