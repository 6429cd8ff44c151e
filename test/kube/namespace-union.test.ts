/**
 * A list over a caller's granted namespaces (ClusterReader.listNowIn) reads the smallest
 * index: the namespaces' buckets together, or one of the query's own (a node's pods). The
 * union is counted bucket by bucket only while it can still be the smallest: a nodes page
 * with each node's pods, for a caller bound in 1,000 namespaces, counted all 1,000 buckets
 * for every node. (Here some forty namespaces of a few pods, and a node with a third of them.)
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterReader } from '../../src/kube/reader.js';
import { type Harness, startHarness } from '../helpers/harness.js';

describe('a list over many granted namespaces', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      simulator: { churnPerSecond: 0, scenario: { nodes: 3, pods: 600, jobs: 6, namespaces: 60 } },
    });
  });
  afterAll(() => h.close());

  it('reads a node’s pods from the node’s index, counting few of the namespaces’ buckets', () => {
    const cluster = h.registry.get('sim')!;
    const reader = new ClusterReader(cluster);
    const pods = reader.snapshot('Pod')!;
    const real = [...new Set(pods.map((p) => p.metadata?.namespace ?? ''))].sort();
    expect(real.length).toBeGreaterThanOrEqual(30);
    // Every namespace but one granted (as a RoleBinding in each would grant).
    const granted = Object.freeze(real.slice(1));
    const nodeName = pods.find((p) => p.spec?.nodeName)!.spec!.nodeName!;
    const expected = pods
      .filter((p) => p.spec?.nodeName === nodeName && granted.includes(p.metadata?.namespace ?? ''))
      .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)
      .sort();
    expect(expected.length).toBeGreaterThan(0);

    const store = cluster.informers!.Pod!.store;
    const counted = vi.spyOn(store, 'countByIndex');
    const answer = reader.listNowIn('Pod', { nodeName }, granted)!;
    expect(answer.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort()).toEqual(expected);
    // The node's bucket (a third of the pods), then the namespaces' (a sixtieth each) until
    // their sum passes it: about twenty, not every one of them.
    expect(counted.mock.calls.length).toBeLessThan(granted.length / 2);
    counted.mockRestore();

    // Without a smaller index of its own, the union is read whole: the granted namespaces' pods.
    const all = reader.listNowIn('Pod', {}, granted)!;
    expect(all.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort()).toEqual(
      pods
        .filter((p) => granted.includes(p.metadata?.namespace ?? ''))
        .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)
        .sort(),
    );
  });
});
