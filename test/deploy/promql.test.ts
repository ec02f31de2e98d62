// The selector reader the deploy checks rely on: it must find every series a query reads and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectors } from './promql.js';

test('selectors: metric names and matchers, not functions, label lists, keywords, numbers or variables', () => {
  assert.deepEqual(
    selectors(
      'sum by (connection, project) (rate(up{job="x",instance=~"$host"}[$__rate_interval])) / on (job) group_left (team) ' +
        'max without (le) (other_metric offset 7d) > bool 1.2e3 and time() - last_seen unless {__name__="by_name",a!="b"}',
    ),
    [
      {
        metric: 'up',
        matchers: [
          { label: 'job', op: '=', value: 'x' },
          { label: 'instance', op: '=~', value: '$host' },
        ],
      },
      { metric: 'other_metric', matchers: [] },
      { metric: 'last_seen', matchers: [] },
      { metric: 'by_name', matchers: [{ label: 'a', op: '!=', value: 'b' }] },
    ],
  );
  assert.deepEqual(selectors('sort_desc(x{a="1"})'), [
    { metric: 'x', matchers: [{ label: 'a', op: '=', value: '1' }] },
  ]);
  assert.throws(() => selectors('{job="x"}'), /without a metric name/);
});
