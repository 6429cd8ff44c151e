import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { EventHub, type HubEvent, type KubeEvent } from '../../src/kube/event-hub.js';

const podObj = (name: string): V1Pod => ({ metadata: { name, namespace: 'ns', resourceVersion: '1' } });
const nodeObj = (name: string): V1Node => ({ metadata: { name, resourceVersion: '1' } });

function podEvent(cluster: string, name = 'p', type: KubeEvent['type'] = 'ADDED'): KubeEvent<'Pod'> {
  return { cluster, kind: 'Pod', type, object: podObj(name), resourceVersion: '1' };
}
function nodeEvent(cluster: string, name = 'n'): KubeEvent<'Node'> {
  return {
    cluster,
    kind: 'Node',
    type: 'MODIFIED',
    object: nodeObj(name),
    previous: nodeObj(name),
    resourceVersion: '2',
  };
}

describe('EventHub', () => {
  it('delivers by cluster and kind, with either or both omitted as wildcards', () => {
    const hub = new EventHub();
    const seen: Record<string, string[]> = { exact: [], cluster: [], kind: [], all: [], other: [] };
    const tag = (k: string) => (ev: HubEvent) => seen[k].push(`${ev.cluster}:${ev.kind}`);
    hub.subscribe({ cluster: 'c1', kind: 'Pod' }, tag('exact'));
    hub.subscribe({ cluster: 'c1' }, tag('cluster'));
    hub.subscribe({ kind: 'Pod' }, tag('kind'));
    hub.subscribe({}, tag('all'));
    hub.subscribe({ cluster: 'c2', kind: 'Node' }, tag('other'));
    hub.publish(podEvent('c1'));
    hub.publish(nodeEvent('c1'));
    hub.publish(podEvent('c2'));
    expect(seen).toEqual({
      exact: ['c1:Pod'],
      cluster: ['c1:Pod', 'c1:Node'],
      kind: ['c1:Pod', 'c2:Pod'],
      all: ['c1:Pod', 'c1:Node', 'c2:Pod'],
      other: [],
    });
  });

  it("delivers to a namespace's listeners only that namespace's changes, with or without a cluster", () => {
    const hub = new EventHub();
    const seen: Record<string, string[]> = { ns: [], other: [], anyCluster: [], kind: [] };
    const tag = (k: string) => (ev: HubEvent) =>
      seen[k].push(`${ev.cluster}:${ev.object.metadata?.namespace ?? '-'}:${ev.type}`);
    hub.subscribe({ cluster: 'c1', kind: 'Pod', namespace: 'ns' }, tag('ns'));
    hub.subscribe({ cluster: 'c1', kind: 'Pod', namespace: 'elsewhere' }, tag('other'));
    const stopAny = hub.subscribe({ kind: 'Pod', namespace: 'ns' }, tag('anyCluster'));
    hub.subscribe({ kind: 'Pod' }, tag('kind'));
    const inOther: KubeEvent<'Pod'> = {
      ...podEvent('c1'),
      object: { metadata: { name: 'q', namespace: 'elsewhere', resourceVersion: '2' } },
    };
    hub.publish(podEvent('c1'));
    hub.publish(podEvent('c1', 'p', 'DELETED'));
    hub.publish(inOther);
    hub.publish(podEvent('c2'));
    // A node has no namespace: only listeners without one hear it.
    hub.publish(nodeEvent('c1'));
    expect(seen).toEqual({
      ns: ['c1:ns:ADDED', 'c1:ns:DELETED'],
      other: ['c1:elsewhere:ADDED'],
      anyCluster: ['c1:ns:ADDED', 'c1:ns:DELETED', 'c2:ns:ADDED'],
      kind: ['c1:ns:ADDED', 'c1:ns:DELETED', 'c1:elsewhere:ADDED', 'c2:ns:ADDED'],
    });
    expect(hub.listenerCount()).toBe(4);
    stopAny();
    stopAny();
    hub.publish(podEvent('c2'));
    expect(seen.anyCluster).toHaveLength(3);
    expect(hub.listenerCount()).toBe(3);
    expect(() => hub.subscribe({ namespace: 'ns' }, () => {})).toThrow(/needs a kind/);
  });

  it('passes the event object itself, previous included', () => {
    const hub = new EventHub();
    const got: HubEvent[] = [];
    hub.subscribe({ kind: 'Node' }, (ev) => {
      got.push(ev);
    });
    const ev = nodeEvent('c1', 'n1');
    hub.publish(ev);
    expect(got).toEqual([ev]);
    expect(got[0]).toBe(ev);
    expect(got[0].previous?.metadata?.name).toBe('n1');
  });

  it('types the listener by the filter kind', () => {
    const hub = new EventHub();
    hub.subscribe({ kind: 'Pod' }, (ev) => {
      expectTypeOf(ev.object).toEqualTypeOf<V1Pod>();
    });
    hub.subscribe({}, (ev) => {
      if (ev.kind === 'Node') expectTypeOf(ev.object).toEqualTypeOf<V1Node>();
    });
  });

  it('keeps delivering to the other listeners when one throws or rejects, and reports both', async () => {
    const errors: unknown[] = [];
    const hub = new EventHub({
      onListenerError: (err, ev) => errors.push([(err as Error).message, ev.kind]),
    });
    const after = vi.fn();
    hub.subscribe({}, () => {
      throw new Error('boom');
    });
    hub.subscribe({ kind: 'Pod' }, async () => {
      throw new Error('async boom');
    });
    hub.subscribe({ cluster: 'c1', kind: 'Pod' }, after);
    hub.subscribe({}, after);
    expect(() => hub.publish(podEvent('c1'))).not.toThrow();
    expect(after).toHaveBeenCalledTimes(2);
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toEqual([
      ['boom', 'Pod'],
      ['async boom', 'Pod'],
    ]);
  });

  it('survives an error reporter that throws', () => {
    const hub = new EventHub({
      onListenerError: () => {
        throw new Error('reporter broken');
      },
    });
    const after = vi.fn();
    hub.subscribe({}, () => {
      throw new Error('boom');
    });
    hub.subscribe({}, after);
    hub.publish(podEvent('c1'));
    expect(after).toHaveBeenCalledOnce();
  });

  it('reports to console.error by default', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const hub = new EventHub();
      hub.subscribe({}, () => {
        throw new Error('boom');
      });
      hub.publish(podEvent('c1'));
      expect(spy).toHaveBeenCalledOnce();
    } finally {
      spy.mockRestore();
    }
  });

  it('unsubscribes idempotently and counts listeners', () => {
    const hub = new EventHub();
    const a = vi.fn();
    const b = vi.fn();
    const offA = hub.subscribe({ cluster: 'c1', kind: 'Pod' }, a);
    const offB = hub.subscribe({ cluster: 'c1', kind: 'Pod' }, b);
    hub.subscribe({}, () => {});
    expect(hub.listenerCount()).toBe(3);
    offA();
    offA();
    expect(hub.listenerCount()).toBe(2);
    hub.publish(podEvent('c1'));
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledOnce();
    offB();
    expect(hub.listenerCount()).toBe(1);
  });

  it('lets a listener subscribe the same listener twice, as two subscriptions', () => {
    const hub = new EventHub();
    const l = vi.fn();
    const off1 = hub.subscribe({}, l);
    hub.subscribe({}, l);
    hub.publish(podEvent('c1'));
    expect(l).toHaveBeenCalledTimes(2);
    off1();
    hub.publish(podEvent('c1'));
    expect(l).toHaveBeenCalledTimes(3);
  });

  it('is stable under (un)subscription during a publish', () => {
    const hub = new EventHub();
    const calls: string[] = [];
    let offLater = (): void => {};
    hub.subscribe({}, () => {
      calls.push('first');
      offLater(); // unsubscribing a later listener stops this very delivery to it
      hub.subscribe({}, () => calls.push('added')); // a new listener starts with the next event
    });
    offLater = hub.subscribe({}, () => calls.push('later'));
    hub.publish(podEvent('c1'));
    expect(calls).toEqual(['first']);
    hub.publish(podEvent('c1'));
    expect(calls).toEqual(['first', 'first', 'added']);
  });

  it('does not deliver to the many listeners of other clusters and kinds', () => {
    const hub = new EventHub();
    const others = Array.from({ length: 1000 }, (_, i) => vi.fn(() => void i));
    for (const [i, l] of others.entries()) hub.subscribe({ cluster: `c${i}`, kind: 'Node' }, l);
    const mine = vi.fn();
    hub.subscribe({ cluster: 'target', kind: 'Pod' }, mine);
    hub.publish(podEvent('target'));
    expect(mine).toHaveBeenCalledOnce();
    expect(others.every((l) => l.mock.calls.length === 0)).toBe(true);
  });
});
