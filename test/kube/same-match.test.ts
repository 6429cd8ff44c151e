/**
 * compileSameMatch (kube/query.ts) lets a live subscription skip its filter for a change
 * that moves nothing the filter reads. Its one duty: whenever it says "same", the query
 * answers alike for both versions. Checked over generated pairs of pods (labels, node,
 * job, phase and namespace moved at random) against every kind of query, and shown not to
 * be vacuous (it says "same" for most pairs that move nothing the query reads).
 */
import { describe, expect, it } from 'vitest';
import type { KubeObjectOf } from '../../src/kube/kinds.js';
import { compileQuery, compileSameMatch, type ObjectQuery } from '../../src/kube/query.js';

type Pod = KubeObjectOf<'Pod'>;

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, values: readonly T[]): T => values[Math.floor(r() * values.length)];

function pod(r: () => number): Pod {
  const labels: Record<string, string> = {};
  for (const key of ['tier', 'app', 'other', 'job-name'])
    if (r() < 0.6) labels[key] = pick(r, ['hot', 'cold', 'x', 'batch-a', 'batch-b']);
  return {
    metadata: {
      name: pick(r, ['web-1', 'web-2', 'batch-a-xyz']),
      namespace: pick(r, ['a', 'b']),
      labels: r() < 0.1 ? undefined : Object.freeze(labels),
    },
    spec: r() < 0.3 ? {} : { nodeName: pick(r, ['n0', 'n1']) },
    status: { phase: pick(r, ['Pending', 'Running', 'Succeeded']) },
  } as unknown as Pod;
}

/** The same pod with one or two things moved (or nothing: the labels as a new equal object). */
function moved(r: () => number, p: Pod): Pod {
  const next = structuredClone(p) as Pod & { metadata: { labels?: Record<string, string> } };
  const moves = 1 + Math.floor(r() * 2);
  for (let i = 0; i < moves; i++) {
    switch (pick(r, ['label', 'label', 'node', 'phase', 'namespace', 'name', 'nothing'] as const)) {
      case 'label': {
        const labels = { ...(next.metadata.labels ?? {}) };
        const key = pick(r, ['tier', 'app', 'other', 'job-name']);
        if (r() < 0.3) delete labels[key];
        else labels[key] = pick(r, ['hot', 'cold', 'x', 'batch-a', 'batch-b']);
        next.metadata.labels = labels;
        break;
      }
      case 'node':
        (next as { spec: { nodeName?: string } }).spec = { nodeName: pick(r, ['n0', 'n1', '']) };
        break;
      case 'phase':
        (next as { status: { phase: string } }).status = { phase: pick(r, ['Pending', 'Running', 'Failed']) };
        break;
      case 'namespace':
        next.metadata.namespace = pick(r, ['a', 'b']);
        break;
      case 'name':
        next.metadata.name = pick(r, ['web-1', 'web-2', 'batch-a-xyz']);
        break;
      case 'nothing':
        break;
    }
  }
  return next;
}

const QUERIES: ObjectQuery[] = [
  {},
  { namespace: 'a' },
  { labelSelector: 'tier=hot' },
  { labelSelector: 'tier=hot,!other' },
  { labelSelector: 'tier in (hot,cold),app!=x' },
  { labelSelector: 'app', namespace: 'b' },
  { search: 'web' },
  { nodeName: 'n0' },
  { nodeName: '' },
  { jobName: 'batch-a', namespace: 'a' },
  { phase: 'Running', labelSelector: 'tier=hot' },
];

describe('compileSameMatch', () => {
  it.each(QUERIES.map((q) => [JSON.stringify(q), q] as const))(
    'never says "same" where the query answers differently: %s',
    (_, query) => {
      const match = compileQuery('Pod', query);
      const same = compileSameMatch('Pod', query);
      const r = random(7);
      let said = 0;
      for (let i = 0; i < 5_000; i++) {
        const a = pod(r);
        const b = moved(r, a);
        if (!same(a, b)) continue;
        said += 1;
        expect(match(b), `seed 7, pair ${i}: ${JSON.stringify([a, b])}`).toBe(match(a));
      }
      // Not vacuous: many pairs move nothing a given query reads.
      expect(said).toBeGreaterThan(500);
    },
  );

  it('says "same" for a change to what the query does not read, and not for what it does', () => {
    const base = pod(random(1));
    const withLabels = (labels: Record<string, string>) =>
      ({ ...base, metadata: { ...base.metadata, labels } }) as Pod;
    const a = withLabels({ tier: 'hot', other: 'x' });
    const same = compileSameMatch('Pod', { labelSelector: 'tier=hot' });
    expect(same(a, withLabels({ tier: 'hot', other: 'y' }))).toBe(true);
    expect(same(a, withLabels({ tier: 'hot' }))).toBe(true);
    expect(same(a, withLabels({ tier: 'cold', other: 'x' }))).toBe(false);
    expect(same(a, withLabels({ other: 'x' }))).toBe(false);
    const byNode = compileSameMatch('Pod', { nodeName: 'n0' });
    const bound = { ...base, spec: { nodeName: 'n0' } } as Pod;
    const unbound = { ...base, spec: {} } as Pod;
    expect(byNode(unbound, bound)).toBe(false);
    expect(byNode(bound, { ...bound, status: { phase: 'Failed' } } as Pod)).toBe(true);
    // A namespace or a name never moves under a MODIFIED, but two objects that differ there are not "same".
    expect(same(a, { ...a, metadata: { ...a.metadata, namespace: 'elsewhere' } } as Pod)).toBe(false);
  });
});
