/**
 * The gateway's own counters and histograms (src/server/metric-series.ts) print exactly as
 * prom-client's Counter and Histogram print the same observations: the same lines, label
 * order, escaping, cumulative buckets, `+Inf`, `_sum` and `_count`.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram } from '../../src/server/metric-series.js';

it('prints what prom-client prints for the same observations', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const names = ['operationName', 'operationType', 'method', 'statusCode'];
  const help = 'Time "spent" \\ in seconds';
  const h1 = new Histogram({ name: 'h', help, labelNames: names, registers: [theirs] });
  const h2 = new SeriesHistogram('h', help, names, ours);
  const counterNames = ['operationName', 'operationType', 'phase'];
  const c1 = new Counter({ name: 'c_total', help: 'c', labelNames: counterNames, registers: [theirs] });
  const c2 = new SeriesCounter('c_total', 'c', counterNames, ours);
  // On the bounds, between them, above the last one; names that need escaping.
  const values = [0.001, 0.005, 0.0051, 0.2, 3, 11, 0.5, 10, 10.5, 0];
  for (const [i, value] of values.entries()) {
    const labels = {
      operationName: i % 2 ? 'Say"hi"' : 'back\\slash\nnewline',
      operationType: 'query',
      method: 'POST',
      statusCode: i % 3 ? 200 : 400,
    };
    h1.observe(labels, value);
    h2.series(labels).observe(value);
    const phase = { operationName: 'Q', operationType: 'query', phase: i % 2 ? 'parse' : 'execute' };
    c1.inc(phase, i);
    c2.series(phase).inc(i);
  }
  const text = await ours.metrics();
  expect(text).toBe(await theirs.metrics());
  expect(text).toContain(
    'h_bucket{le="0.005",operationName="Say\\"hi\\"",operationType="query",method="POST",statusCode="200"} 1',
  );
  expect(text).toContain('c_total{operationName="Q",operationType="query",phase="parse"} 25');
});

it('keeps one series per set of labels, whatever object carries them', () => {
  const h = new SeriesHistogram('h', 'h', ['a', 'b'], new Registry());
  const one = h.series({ a: 'x', b: 1 });
  expect(h.series({ b: 1, a: 'x' })).toBe(one);
  expect(h.series({ a: 'x', b: 2 })).not.toBe(one);
  one.observe(0.3);
  expect([one.count, one.sum]).toEqual([1, 0.3]);
});
