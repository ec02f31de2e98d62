// The shape comparison the sandbox-versus-real tests rely on: it must see every kind of difference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareEndpoint, shapeDifferences, shapeOf } from './shapes.js';

const diff = (real: unknown, sandbox: unknown[]) =>
  shapeDifferences(shapeOf([real]), shapeOf(sandbox)).map((d) => `${d.kind} ${d.path}`);

test('identical shapes have no difference, whatever the values', () => {
  const real = { data: [{ id: 'a', n: 1, tags: ['x'], at: null }], paging: { next: 't' } };
  const sandbox = {
    data: [{ id: 'b', n: 7, tags: ['y', 'z'], at: '2026-01-01T00:00:00Z' }],
    paging: { next: 'u' },
  };
  assert.deepEqual(diff(real, [sandbox]), []);
});

test('missing, extra and retyped fields are found at any depth', () => {
  const real = { data: [{ id: 'a', cost: 1, inner: { deep: 'x' } }] };
  const sandbox = { data: [{ id: 'a', cost: '1', inner: { deeper: 'x' }, surprise: true }] };
  assert.deepEqual(diff(real, [sandbox]).sort(), [
    'extra data[].inner.deeper',
    'extra data[].surprise',
    'missing data[].inner.deep',
    'type data[].cost',
  ]);
});

test('samples merge: a field any item has is present, every type any item gave counts', () => {
  const real = { data: [{ pr: '' }, { pr: 19170 }, { opt: 1 }] };
  assert.deepEqual(diff(real, [{ data: [{ pr: 'x' }, { opt: 2 }] }]), ['type data[].pr']);
  assert.deepEqual(diff(real, [{ data: [{ pr: 'x' }] }, { data: [{ pr: 3, opt: 2 }] }]), []);
});

test('null says nothing about a type, but a sandbox that is only ever null differs', () => {
  assert.deepEqual(diff({ tag: null }, [{ tag: 'v1' }]), []);
  assert.deepEqual(diff({ tag: 'v1' }, [{ tag: null }]), ['type tag']);
  assert.deepEqual(diff({ tag: 'v1' }, [{ tag: null }, { tag: 'v2' }]), []);
});

test('arrays the sandbox always leaves empty hide the real items: reported once', () => {
  assert.deepEqual(diff({ envs: [{ key: 'k' }] }, [{ envs: [] }]), ['missing envs[]']);
  assert.deepEqual(diff({ envs: [] }, [{ envs: [{ key: 'k' }] }]), []);
});

test('deliberate differences excuse only what they name, and stale ones are reported', () => {
  const deliberate = [
    { endpoint: 'e', path: 'a', kind: 'missing' as const, reason: 'not simulated' },
    { endpoint: 'e', path: 'gone', kind: 'extra' as const, reason: 'was once' },
    { endpoint: 'other', path: 'b', kind: 'missing' as const, reason: 'another endpoint' },
  ];
  const result = compareEndpoint('e', { a: 1, b: 2 }, [{}], deliberate);
  assert.deepEqual(
    result.unexplained.map((d) => d.path),
    ['b'],
  );
  assert.deepEqual(
    result.stale.map((d) => d.path),
    ['gone'],
  );
});
