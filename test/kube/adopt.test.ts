/**
 * A new version of a mirrored object shares the stored version's unchanged parts
 * (src/kube/adopt.ts): equal to what the trim alone gives, with the old instances where
 * nothing changed. First `adopt` itself, then through an informer on the simulator: a pod
 * whose status moves and a node whose heartbeat moves, as their watch events bring them.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adopt } from '../../src/kube/adopt.js';
import { ClusterClient } from '../../src/kube/client.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { Informer } from '../../src/kube/informer.js';
import { type KindName, objectKey } from '../../src/kube/kinds.js';
import { transformObject } from '../../src/kube/transform.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { pod } from './object-fixtures.js';
import { RESOURCE_OF, type StillCluster, stillCluster } from './sim-helpers.js';

describe('adopt', () => {
  it('keeps the previous instance of every equal part, the new one where it changed', () => {
    const before = transformObject('Pod', pod({ name: 'web-1', phase: 'Pending' }));
    const trimmed = transformObject('Pod', pod({ name: 'web-1', phase: 'Running' }));
    // What the informer does: the trim, not yet frozen, then adopt.
    const next = adopt(structuredCloneTrimmed(trimmed), before);
    expect(next).toStrictEqual(trimmed);
    expect(next).not.toBe(before);
    expect(next.spec).toBe(before.spec);
    expect(next.metadata).toBe(before.metadata);
    expect(next.status).not.toBe(before.status);
    expect(next.status?.phase).toBe('Running');
  });

  it('compares Dates by time, arrays by element, objects by member names', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const previous = {
      when: Object.freeze(new Date(at.getTime())),
      list: Object.freeze(['a', 'b']),
      longer: Object.freeze(['a']),
      members: Object.freeze({ a: 1 }),
      more: Object.freeze({ a: 1, b: 2 }),
      undefinedMember: Object.freeze({ a: 1 }),
    };
    const next = {
      when: new Date(at.getTime()),
      list: ['a', 'b'],
      longer: ['a', 'b'],
      members: { b: 1 },
      more: { a: 1 },
      undefinedMember: { a: 1, b: undefined },
    };
    const kept = adopt(next, previous as unknown as typeof next);
    expect(kept).toBe(next);
    expect(kept.when).toBe(previous.when);
    expect(kept.list).toBe(previous.list);
    expect(kept.longer).not.toBe(previous.longer);
    expect(kept.longer).toEqual(['a', 'b']);
    expect(kept.members).toEqual({ b: 1 });
    expect(kept.more).toEqual({ a: 1 });
    expect(kept.undefinedMember).not.toBe(previous.undefinedMember);
  });

  it('shares inside a changed part, and leaves a frozen one as it is', () => {
    const labels = Object.freeze({ app: 'web' });
    const previous = {
      meta: Object.freeze({ labels, rv: '1' }),
      shared: Object.freeze({ x: Object.freeze({ y: 1 }) }),
    };
    const frozenNext = Object.freeze({ x: Object.freeze({ y: 2 }) });
    const next = { meta: { labels: { app: 'web' }, rv: '2' }, shared: frozenNext };
    adopt(next, previous as unknown as typeof next);
    expect(next.meta).not.toBe(previous.meta);
    expect(next.meta.labels).toBe(labels);
    expect(next.shared).toBe(frozenNext);
    expect(next.shared.x.y).toBe(2);
  });

  it('does not take a class instance or an array for a plain object', () => {
    class Box {
      a = 1;
    }
    const previous = { box: new Box(), arr: Object.freeze([1]) as unknown };
    const next = { box: { a: 1 }, arr: { 0: 1 } as unknown };
    adopt(next, previous as unknown as typeof next);
    expect(next.box).not.toBe(previous.box);
    expect(next.arr).not.toBe(previous.arr);
  });
});

/** A trimmed object's copy that is not frozen (the trim's output before its freeze). */
function structuredCloneTrimmed<T>(value: T): T {
  return structuredClone(value);
}

describe('an informer stores new versions with the stored version’s unchanged parts', () => {
  let cluster: StillCluster;

  beforeAll(async () => {
    cluster = await stillCluster({ nodes: 3, pods: 20, jobs: 2, namespaces: 2, seed: 11 }, 'adopt');
  });

  afterAll(() => cluster?.close());

  async function informerOf<K extends KindName>(kind: K) {
    const informer = new Informer({ cluster: 'adopt', kind, hub: new EventHub(), client: cluster.client });
    informer.start();
    await informer.waitForSync();
    return informer;
  }

  /** The simulator's object as the model path trims it, without any previous version. */
  function trimmedAlone(kind: KindName, obj: KubeObject) {
    return transformObject(kind, ClusterClient.deserialize(kind, JSON.parse(JSON.stringify(obj))));
  }

  it('a pod whose status moved keeps its spec, metadata parts and unchanged conditions', async () => {
    const informer = await informerOf('Pod');
    try {
      const target = [...cluster.sim.store.scan('pods')].find(
        (p) => (p.status as V1Pod['status'])?.conditions?.length,
      );
      expect(target).toBeDefined();
      const key = objectKey(target!);
      const before = informer.store.get(key)!;
      const changed = cluster.sim.store.mutate(
        'pods',
        target!.metadata.namespace,
        target!.metadata.name,
        (o) => {
          const status = o.status as NonNullable<V1Pod['status']>;
          status.message = 'status moved';
          return o;
        },
      );
      await vi.waitFor(() => expect(informer.store.get(key)?.status?.message).toBe('status moved'), {
        timeout: 10_000,
      });
      const after = informer.store.get(key)!;
      expect(after).toStrictEqual(trimmedAlone('Pod', changed!));
      expect(after).not.toBe(before);
      expect(after.spec).toBe(before.spec);
      expect(after.metadata).not.toBe(before.metadata); // its resourceVersion moved
      expect(after.metadata?.labels).toBe(before.metadata?.labels);
      expect(after.metadata?.creationTimestamp).toBe(before.metadata?.creationTimestamp);
      expect(after.status).not.toBe(before.status);
      expect(after.status?.conditions).toBe(before.status?.conditions);
      expect(Object.isFrozen(after) && Object.isFrozen(after.status)).toBe(true);
    } finally {
      await informer.stop();
    }
  });

  it('a node whose heartbeat moved keeps its info, capacity, addresses and other conditions', async () => {
    const informer = await informerOf('Node');
    try {
      const target = [...cluster.sim.store.scan('nodes')][0];
      const key = objectKey(target);
      const before = informer.store.get(key)!;
      const beat = '2031-05-06T07:08:09Z';
      const changed = cluster.sim.store.mutate('nodes', undefined, target.metadata.name, (o) => {
        const status = o.status as NonNullable<V1Node['status']>;
        const ready = status.conditions?.find((c) => c.type === 'Ready');
        if (ready) (ready as { lastHeartbeatTime?: unknown }).lastHeartbeatTime = beat;
        return o;
      });
      await vi.waitFor(
        () =>
          expect(
            informer.store.get(key)?.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime,
          ).toEqual(new Date(beat)),
        { timeout: 10_000 },
      );
      const after = informer.store.get(key)!;
      expect(after).toStrictEqual(trimmedAlone('Node', changed!));
      expect(after.status).not.toBe(before.status);
      expect(after.status?.nodeInfo).toBe(before.status?.nodeInfo);
      expect(after.status?.capacity).toBe(before.status?.capacity);
      expect(after.status?.allocatable).toBe(before.status?.allocatable);
      expect(after.status?.addresses).toBe(before.status?.addresses);
      expect(after.spec).toBe(before.spec);
      const conditions = (n: V1Node) => n.status?.conditions ?? [];
      expect(conditions(after)).not.toBe(conditions(before));
      for (const [i, c] of conditions(after).entries()) {
        if (c.type === 'Ready') expect(c).not.toBe(conditions(before)[i]);
        else expect(c).toBe(conditions(before)[i]);
      }
    } finally {
      await informer.stop();
    }
  });

  it('a deletion’s last state shares the removed version’s parts; a re-created object is trimmed whole', async () => {
    const hub = new EventHub();
    const informer = new Informer({ cluster: 'adopt', kind: 'Pod', hub, client: cluster.client });
    informer.start();
    await informer.waitForSync();
    const deleted: { object: V1Pod; previous?: V1Pod }[] = [];
    hub.subscribe({ kind: 'Pod' }, (event) => {
      if (event.type === 'DELETED')
        deleted.push({ object: event.object as V1Pod, previous: event.previous as V1Pod });
    });
    try {
      const target = [...cluster.sim.store.scan(RESOURCE_OF.Pod)].at(-1)!;
      const key = objectKey(target);
      const removed = informer.store.get(key)!;
      cluster.sim.store.delete('pods', target.metadata.namespace, target.metadata.name);
      await vi.waitFor(() => expect(informer.store.get(key)).toBeUndefined(), { timeout: 10_000 });
      // The tombstone is the removed version's last state: its unchanged parts are the removed one's.
      expect(deleted).toHaveLength(1);
      expect(deleted[0].previous).toBe(removed);
      expect(deleted[0].object.spec).toBe(removed.spec);
      expect(deleted[0].object.metadata?.labels).toBe(removed.metadata?.labels);
      const { uid: _uid, resourceVersion: _rv, creationTimestamp: _created, ...meta } = target.metadata;
      const again = cluster.sim.store.create('pods', { ...target, metadata: meta });
      await vi.waitFor(() => expect(informer.store.get(key)).toBeDefined(), { timeout: 10_000 });
      expect(informer.store.get(key)).toStrictEqual(trimmedAlone('Pod', again));
    } finally {
      await informer.stop();
    }
  });
});
