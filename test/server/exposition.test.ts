// Prometheus text format: names, help, types and label values escaped as the format requires.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderExposition } from '../../src/server/exposition.js';

test('renders families with escaped label values and special numbers', () => {
  const text = renderExposition([
    {
      name: 'buildlens_runs',
      help: 'Runs by class\nper workflow',
      type: 'gauge',
      samples: [
        { labels: { workflow: 'say "hi"\\now\nplease', class: 'success' }, value: 3 },
        { labels: {}, value: Number.NaN },
        { labels: { q: '0.5' }, value: Number.POSITIVE_INFINITY },
      ],
    },
    { name: 'buildlens_empty', help: 'nothing yet', type: 'counter', samples: [] },
  ]);
  assert.equal(
    text,
    [
      '# HELP buildlens_runs Runs by class\\nper workflow',
      '# TYPE buildlens_runs gauge',
      'buildlens_runs{workflow="say \\"hi\\"\\\\now\\nplease",class="success"} 3',
      'buildlens_runs NaN',
      'buildlens_runs{q="0.5"} +Inf',
      '# HELP buildlens_empty nothing yet',
      '# TYPE buildlens_empty counter',
      '',
    ].join('\n'),
  );
});
