import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorText } from '../../src/cli/errors.js';
import { type Column, renderCsv, renderMarkdown, renderTable } from '../../src/cli/format.js';
import { rememberSecret } from '../../src/domain/redaction.js';

describe('renderTable', () => {
  const columns: Column[] = [
    { key: 'name', header: 'name' },
    { key: 'note', header: 'note' },
    { key: 'n', header: 'n', align: 'right' },
  ];

  it('aligns columns: text left, numbers right', () => {
    const out = renderTable(
      [
        { name: 'a', note: 'x', n: 5 },
        { name: 'bbb', note: null, n: 123 },
      ],
      columns,
    );
    assert.equal(out, ['name  note    n', 'a     x       5', 'bbb         123'].join('\n'));
  });

  it('fits the width by shortening the widest text column with an ellipsis', () => {
    const rows = [{ name: 'x'.repeat(60), note: 'y'.repeat(40), n: 1 }];
    const lines = renderTable(rows, columns, 80).split('\n');
    for (const line of lines) assert.ok([...line].length <= 80, `too wide: ${line.length}`);
    assert.match(lines[1] ?? '', /x…/);
    assert.match(lines[1] ?? '', /y…/);
  });

  it('keeps hostile text on its own line', () => {
    const out = renderTable([{ name: 'evil\n\x1b[2Jname', note: '', n: 1 }], columns);
    assert.equal(out.split('\n').length, 2);
    assert.ok(!out.includes('\x1b'));
  });
});

describe('renderCsv and renderMarkdown', () => {
  const columns: Column[] = [
    { key: 'name', header: 'Name' },
    { key: 'v', header: 'Value', align: 'right', display: (v) => `${v}s` },
  ];

  it('csv: header of field names, quoting per RFC 4180, raw values, empty for null', () => {
    const out = renderCsv(
      [
        { name: 'a,b', v: 1.5 },
        { name: 'say "hi"', v: null },
      ],
      columns,
    );
    assert.equal(out, ['name,v', '"a,b",1.5', '"say ""hi""",'].join('\n'));
  });

  it('md: a GitHub table with escaped pipes and display values', () => {
    const out = renderMarkdown([{ name: 'a|b', v: 2 }], columns);
    assert.equal(out, ['| Name | Value |', '| --- | ---: |', '| a\\|b | 2s |'].join('\n'));
  });
});

describe('errorText', () => {
  it('is one clean line without secrets, and has the stack only when verbose', () => {
    rememberSecret('abc123secret-of-sixteen');
    const error = new Error('provider said:\n\x1b[31mbad token abc123secret-of-sixteen\x1b[0m');
    assert.equal(errorText(error, false), 'buildlens: provider said: bad token ***');
    const verbose = errorText(error, true);
    assert.match(verbose, /^buildlens: provider said: bad token \*\*\*\nError: provider said:/);
    assert.ok(!verbose.includes('abc123secret-of-sixteen') && !verbose.includes('\x1b'));
  });
});
