/**
 * `queryKey` (kube/query.ts) names a query in memos and batches: equal queries must get
 * equal keys whatever the order of their fields, and different queries different keys,
 * whatever their values hold (selectors and searches are client input).
 */
import { describe, expect, it } from 'vitest';
import type { ObjectQuery } from '../../src/kube/query.js';
import { queryKey } from '../../src/kube/query.js';

describe('queryKey', () => {
  it('is the same for the same fields in any order, and ignores undefined, cluster and kind', () => {
    const a = queryKey('Pod', { namespace: 'ns', labelSelector: 'app=x', jobName: 'j' });
    const b = queryKey('Pod', { jobName: 'j', search: undefined, labelSelector: 'app=x', namespace: 'ns' });
    const c = queryKey('Pod', {
      cluster: 'c1',
      kind: 'Pod',
      namespace: 'ns',
      labelSelector: 'app=x',
      jobName: 'j',
    } as ObjectQuery);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(queryKey('Job', { namespace: 'ns', labelSelector: 'app=x', jobName: 'j' })).not.toBe(a);
  });

  it('tells apart queries whose values would run into each other', () => {
    // Each pair would collide under a naive "key=value" join with a separator.
    const pairs: [ObjectQuery, ObjectQuery][] = [
      [{ labelSelector: 'a\u0000namespace=b' }, { labelSelector: 'a', namespace: 'b' }],
      [{ labelSelector: 'a\u0000namespace=1:b' }, { labelSelector: 'a', namespace: 'b' }],
      [{ labelSelector: 'a', namespace: 'b' }, { labelSelector: 'a\u0000namespace=1:b' }],
      [{ namespace: '' }, {}],
      [{ namespace: '1:a' }, { namespace: 'a' }],
      [{ labelSelector: 'x', search: '' }, { labelSelector: 'x' }],
      [
        { search: 'a', namespace: 'b' },
        { search: 'b', namespace: 'a' },
      ],
    ];
    for (const [x, y] of pairs)
      expect(queryKey('Pod', x), JSON.stringify([x, y])).not.toBe(queryKey('Pod', y));
    // And randomly: distinct queries over a small alphabet that includes the separators.
    const alphabet = ['', 'a', '=', ':', '\u0000', '1', '1:', 'a=1:'];
    const seen = new Map<string, string>();
    for (let i = 0; i < 3_000; i++) {
      const q: ObjectQuery = {};
      for (const field of ['namespace', 'labelSelector', 'search', 'phase']) {
        if ((i * 7 + field.length) % 3 === 0) continue;
        let v = '';
        for (let k = 0; k < ((i >> field.length) % 3) + 1; k++)
          v += alphabet[(i * 31 + k * 17 + field.length) % 8];
        q[field] = v;
      }
      const canonical = JSON.stringify(Object.entries(q).sort());
      const key = queryKey('Pod', q);
      const before = seen.get(key);
      if (before !== undefined) expect(before).toBe(canonical);
      seen.set(key, canonical);
    }
    expect(seen.size).toBeGreaterThan(50);
  });
});
