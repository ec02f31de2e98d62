import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineText, quoted, storedText } from '../../src/domain/text.js';

describe('lineText', () => {
  it('strips ANSI escapes, control characters and bidi overrides; line breaks become spaces', () => {
    assert.equal(lineText('\x1b[31mred\x1b[0m'), 'red');
    assert.equal(lineText('title\x1b]0;pwned\x07 ok'), 'title ok');
    assert.equal(lineText('a\nb\r\nc\td'), 'a b c d');
    assert.equal(lineText('bell\x07 nul\x00 del\x7f c1\x9b'), 'bell nul del c1');
    assert.equal(lineText('admin\u202Etxt.exe'), 'admintxt.exe');
    assert.equal(lineText('fix: café ✓ 日本'), 'fix: café ✓ 日本');
  });
});

describe('quoted', () => {
  it('puts provider text in quotes on one line, bounded', () => {
    assert.equal(quoted('Unauthorized\n\x1b[2Jnow'), '"Unauthorized now"');
    assert.equal(quoted('say "hi"'), '"say \\"hi\\""');
    assert.equal(quoted('x'.repeat(300), 10), `"${'x'.repeat(10)}…"`);
  });
});

describe('storedText', () => {
  it('keeps a commit message’s lines but no escapes or controls', () => {
    assert.equal(storedText('fix\r\n\nbody\x1b[31m red\x07\ttab', true), 'fix\n\nbody red\ttab');
  });
  it('makes other columns one line', () => {
    assert.equal(storedText('main\n\x1b]0;title\x07branch'), 'main branch');
    assert.equal(storedText('ok\u202e'), 'ok');
  });
});
