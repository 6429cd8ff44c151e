import { describe, expect, it } from 'vitest';
import { SimStore, StoreError } from '../../src/simulator/store.js';
import type { KubeObject, ResourceName, StoredEvent } from '../../src/simulator/types.js';

const NOW = new Date('2025-06-01T12:00:00.123Z');

function newStore(options: { historyLimit?: number } = {}): SimStore {
  const store = new SimStore({ now: () => NOW, ...options });
  for (const name of ['a', 'a-b', 'ab', 'default']) {
    store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  return store;
}

function pod(namespace: string, name: string, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
}

function node(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} };
}

/** Runs `fn` and returns the StoreError it throws (failing when it does not). */
function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError, but the call succeeded');
}

const keys = (store: SimStore, resource: ResourceName, options = {}) =>
  [...store.scan(resource, options)].map((o) =>
    o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name,
  );

describe('SimStore: create', () => {
  it('assigns uid, resourceVersion and a second-precision creationTimestamp, and fills kind and apiVersion', () => {
    const store = newStore();
    const before = store.resourceVersion;
    const created = store.create('pods', { metadata: { name: 'p', namespace: 'a' } } as KubeObject);
    expect(created.kind).toBe('Pod');
    expect(created.apiVersion).toBe('v1');
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.resourceVersion).toBe(String(before + 1));
    expect(created.metadata.creationTimestamp).toBe('2025-06-01T12:00:00Z');
    expect(store.resourceVersion).toBe(before + 1);
    expect(store.get('pods', 'a', 'p')).toBe(created);
    const job = store.create('jobs', { metadata: { name: 'j', namespace: 'a' }, spec: {} } as KubeObject);
    expect(job).toMatchObject({ kind: 'Job', apiVersion: 'batch/v1', metadata: { generation: 1 } });
  });

  it('keeps a given uid and creationTimestamp', () => {
    const store = newStore();
    const created = store.create('nodes', {
      ...node('n'),
      metadata: { name: 'n', uid: 'u-1', creationTimestamp: '2020-01-01T00:00:00Z' },
    });
    expect(created.metadata).toMatchObject({ uid: 'u-1', creationTimestamp: '2020-01-01T00:00:00Z' });
  });

  it('puts namespaced objects without a namespace in default and drops the namespace of cluster-scoped ones', () => {
    const store = newStore();
    expect(store.create('pods', pod('', 'p')).metadata.namespace).toBe('default');
    const n = store.create('nodes', { ...node('n'), metadata: { name: 'n', namespace: 'a' } });
    expect(n.metadata.namespace).toBeUndefined();
    expect(store.get('nodes', undefined, 'n')).toBe(n);
  });

  it('generates a name from generateName', () => {
    const store = newStore();
    const created = store.create('pods', {
      ...pod('a', ''),
      metadata: { name: '', namespace: 'a', generateName: 'web-' },
    });
    expect(created.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(store.get('pods', 'a', created.metadata.name)).toBe(created);
  });

  it('refuses a duplicate with 409 AlreadyExists, a missing name with 422 Invalid, a missing namespace with 404', () => {
    const store = newStore();
    store.create('pods', pod('a', 'p'));
    const rv = store.resourceVersion;
    const duplicate = storeError(() => store.create('pods', pod('a', 'p')));
    expect(duplicate).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      details: { name: 'p', kind: 'pods' },
    });
    expect(duplicate.message).toBe('pods "p" already exists');
    // The same name in another namespace is another object.
    expect(() => store.create('pods', pod('ab', 'p'))).not.toThrow();

    const unnamed = storeError(() => store.create('pods', pod('a', '')));
    expect(unnamed).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(unnamed.details?.causes?.[0]).toMatchObject({
      field: 'metadata.name',
      reason: 'FieldValueRequired',
    });

    const orphan = storeError(() => store.create('pods', pod('nowhere', 'p')));
    expect(orphan).toMatchObject({
      code: 404,
      reason: 'NotFound',
      details: { kind: 'namespaces', name: 'nowhere' },
    });
    // Failed writes do not consume a resourceVersion (one successful create happened above).
    expect(store.resourceVersion).toBe(rv + 1);
  });

  it('stores frozen objects that the caller cannot change afterwards', () => {
    const store = newStore();
    const input = pod('a', 'p', { app: 'web' });
    const created = store.create('pods', input);
    expect(Object.isFrozen(created)).toBe(true);
    expect(Object.isFrozen(created.metadata.labels)).toBe(true);
    expect(() => {
      (created.metadata as { name: string }).name = 'other';
    }).toThrow(TypeError);
    expect(store.get('pods', 'a', 'p')?.metadata.name).toBe('p');
  });
});

describe('SimStore: update, patch, mutate', () => {
  it('replaces an object with a new resourceVersion, keeping uid, namespace and creationTimestamp', () => {
    const store = newStore();
    const created = store.create('pods', pod('a', 'p'));
    const updated = store.update('pods', {
      ...pod('a', 'p', { app: 'web' }),
      metadata: { ...created.metadata, labels: { app: 'web' }, uid: 'forged', creationTimestamp: 'x' },
    });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    expect(updated.metadata).toMatchObject({
      uid: created.metadata.uid,
      namespace: 'a',
      creationTimestamp: created.metadata.creationTimestamp,
      labels: { app: 'web' },
    });
  });

  it('answers a stale resourceVersion with 409 Conflict and a missing object with 404', () => {
    const store = newStore();
    const created = store.create('pods', pod('a', 'p'));
    store.update('pods', { ...created, status: { phase: 'Running' } });
    const conflict = storeError(() => store.update('pods', { ...created, status: { phase: 'Failed' } }));
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict', details: { name: 'p', kind: 'pods' } });
    expect(conflict.message).toMatch(/the object has been modified/);
    expect(store.get('pods', 'a', 'p')?.status.phase).toBe('Running');
    expect(storeError(() => store.update('pods', pod('a', 'nope')))).toMatchObject({
      code: 404,
      reason: 'NotFound',
    });
  });

  it('applies an update without a resourceVersion unconditionally', () => {
    const store = newStore();
    store.create('pods', pod('a', 'p'));
    store.update('pods', { ...pod('a', 'p'), status: { phase: 'Running' } });
    expect(store.update('pods', { ...pod('a', 'p'), status: { phase: 'Succeeded' } }).status.phase).toBe(
      'Succeeded',
    );
  });

  it('bumps a job generation only when its spec changes', () => {
    const store = newStore();
    const job = store.create('jobs', {
      metadata: { name: 'j', namespace: 'a' },
      spec: { parallelism: 1 },
    } as KubeObject);
    const statusOnly = store.update('jobs', { ...job, status: { active: 1 } });
    expect(statusOnly.metadata.generation).toBe(1);
    const specChange = store.update('jobs', { ...statusOnly, spec: { parallelism: 2 } });
    expect(specChange.metadata.generation).toBe(2);
  });

  it('merge-patches: objects merge, null deletes, scalars and arrays replace; name and namespace stay', () => {
    const store = newStore();
    store.create('pods', pod('a', 'p', { app: 'web', tier: 'front' }));
    const patched = store.patch('pods', 'a', 'p', {
      metadata: { name: 'renamed', namespace: 'ab', labels: { tier: null, team: 'x' } },
      spec: { containers: [{ name: 'd', image: 'nginx' }] },
      status: { phase: 'Running' },
    });
    expect(patched.metadata.name).toBe('p');
    expect(patched.metadata.namespace).toBe('a');
    expect(patched.metadata.labels).toEqual({ app: 'web', team: 'x' });
    expect(patched.spec).toEqual({ nodeName: 'node-1', containers: [{ name: 'd', image: 'nginx' }] });
    expect(patched.status.phase).toBe('Running');
  });

  it('checks a resourceVersion given in a patch (409 when stale) and refuses a patch that is not an object', () => {
    const store = newStore();
    const created = store.create('pods', pod('a', 'p'));
    const current = store.patch('pods', 'a', 'p', {
      metadata: { resourceVersion: created.metadata.resourceVersion, labels: { a: '1' } },
    });
    expect(
      storeError(() =>
        store.patch('pods', 'a', 'p', { metadata: { resourceVersion: created.metadata.resourceVersion } }),
      ),
    ).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(storeError(() => store.patch('pods', 'a', 'p', [1]))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
    });
    expect(storeError(() => store.patch('pods', 'a', 'nope', {}))).toMatchObject({ code: 404 });
    expect(store.get('pods', 'a', 'p')).toBe(current);
  });

  it('mutate changes a draft copy and writes it as one update', () => {
    const store = newStore();
    const created = store.create('pods', pod('a', 'p'));
    const after = store.mutate('pods', 'a', 'p', (draft) => {
      draft.status.phase = 'Running';
      return undefined;
    });
    expect(after?.status.phase).toBe('Running');
    expect(created.status.phase).toBe('Pending');
    expect(store.mutate('pods', 'a', 'nope', (d) => d)).toBeUndefined();
  });
});

describe('SimStore: delete', () => {
  it('removes the object and returns its last state with the deletion resourceVersion', () => {
    const store = newStore();
    const created = store.create('pods', pod('a', 'p'));
    const deleted = store.delete('pods', 'a', 'p');
    expect(deleted.metadata.uid).toBe(created.metadata.uid);
    expect(deleted.metadata.resourceVersion).toBe(String(store.resourceVersion));
    expect(store.get('pods', 'a', 'p')).toBeUndefined();
    expect(store.count('pods')).toBe(0);
    expect(keys(store, 'pods')).toEqual([]);
    expect(storeError(() => store.delete('pods', 'a', 'p'))).toMatchObject({ code: 404, reason: 'NotFound' });
    // The name can be used again, by a new object.
    expect(store.create('pods', pod('a', 'p')).metadata.uid).not.toBe(created.metadata.uid);
  });
});

describe('SimStore: resourceVersions', () => {
  it('are strictly increasing across resources and kinds of change, and the store reports the last', () => {
    const store = newStore();
    const seen: number[] = [];
    const remember = (o: KubeObject) => seen.push(Number(o.metadata.resourceVersion));
    remember(store.create('pods', pod('a', 'p1')));
    remember(store.create('nodes', node('n1')));
    remember(store.update('pods', { ...pod('a', 'p1'), status: { phase: 'Running' } }));
    remember(store.patch('nodes', undefined, 'n1', { spec: { unschedulable: true } }));
    remember(store.create('pods', pod('ab', 'p2')));
    remember(store.delete('pods', 'a', 'p1'));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(store.resourceVersion).toBe(seen[seen.length - 1]);
  });
});

describe('SimStore: history and watch resumption', () => {
  it('eventsSince gives the changes of one resource newer than a resourceVersion, in order', () => {
    const store = newStore();
    const from = store.resourceVersion;
    store.create('pods', pod('a', 'p'));
    store.create('nodes', node('n'));
    const middle = store.resourceVersion;
    store.patch('pods', 'a', 'p', { status: { phase: 'Running' } });
    store.delete('pods', 'a', 'p');

    const all = store.eventsSince('pods', from);
    expect(all.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(all.map((e) => e.rv)).toEqual([from + 1, from + 3, from + 4]);
    for (const e of all) expect(e.object.metadata.resourceVersion).toBe(String(e.rv));
    expect(all[1].previous?.status.phase).toBe('Pending');
    expect(store.eventsSince('pods', middle).map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(store.eventsSince('nodes', from).map((e) => e.object.metadata.name)).toEqual(['n']);
    expect(store.eventsSince('pods', store.resourceVersion)).toEqual([]);
  });

  it('answers 410 Expired for a resourceVersion older than a compaction, never for the current one', () => {
    const store = newStore();
    const old = store.resourceVersion;
    store.create('pods', pod('a', 'p'));
    store.compact();
    expect(store.oldestResourceVersion).toBe(store.resourceVersion);
    const expired = storeError(() => store.eventsSince('pods', old));
    expect(expired).toMatchObject({ code: 410, reason: 'Expired' });
    expect(expired.message).toMatch(/too old resource version/);
    // What a list returns right now stays resumable.
    expect(store.eventsSince('pods', store.resourceVersion)).toEqual([]);
    store.create('pods', pod('a', 'q'));
    expect(store.eventsSince('pods', store.oldestResourceVersion).map((e) => e.object.metadata.name)).toEqual(
      ['q'],
    );
  });

  it('keeps only historyLimit changes: resuming just before the oldest kept change works, earlier is 410', () => {
    const store = newStore({ historyLimit: 5 });
    const start = store.resourceVersion;
    for (let i = 0; i < 12; i++) store.create('nodes', node(`n${i}`));
    const oldest = store.oldestResourceVersion;
    expect(oldest).toBeGreaterThan(start);
    const kept = store.eventsSince('nodes', oldest);
    expect(kept).toHaveLength(5);
    expect(kept[0].rv).toBe(oldest + 1);
    expect(kept[4].rv).toBe(store.resourceVersion);
    expect(storeError(() => store.eventsSince('nodes', oldest - 1)).code).toBe(410);
    expect(storeError(() => store.eventsSince('nodes', start)).code).toBe(410);
  });

  it('keeps the history window right over many chunked trims', () => {
    const store = newStore({ historyLimit: 100 });
    for (let i = 0; i < 10_000; i++) store.create('nodes', node(`n${String(i).padStart(5, '0')}`));
    const kept = store.eventsSince('nodes', store.oldestResourceVersion);
    expect(kept).toHaveLength(100);
    expect(kept.map((e) => e.rv)).toEqual(
      Array.from({ length: 100 }, (_, i) => store.resourceVersion - 99 + i),
    );
  });

  it('calls subscribers synchronously for their resource only, until they unsubscribe', () => {
    const store = newStore();
    const got: StoredEvent[] = [];
    const off = store.subscribe('pods', (e) => got.push(e));
    expect(store.listenerCount('pods')).toBe(1);
    store.create('pods', pod('a', 'p'));
    expect(got.map((e) => e.type)).toEqual(['ADDED']);
    store.create('nodes', node('n'));
    store.patch('pods', 'a', 'p', { status: { phase: 'Running' } });
    expect(got.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
    off();
    expect(store.listenerCount('pods')).toBe(0);
    store.delete('pods', 'a', 'p');
    expect(got).toHaveLength(2);
  });
});

describe('SimStore: scan', () => {
  function filled(): SimStore {
    const store = newStore();
    // Created out of order, in namespaces whose names are prefixes of each other.
    for (const [ns, name] of [
      ['default', 'z'],
      ['ab', 'x'],
      ['a', 'm'],
      ['a-b', 'y'],
      ['a', 'b'],
      ['ab', 'a'],
      ['a', 'z'],
    ]) {
      store.create('pods', pod(ns, name));
    }
    return store;
  }

  it('yields objects in key order (namespace/name, as etcd orders keys)', () => {
    const store = filled();
    expect(keys(store, 'pods')).toEqual(['a-b/y', 'a/b', 'a/m', 'a/z', 'ab/a', 'ab/x', 'default/z']);
    expect(keys(store, 'namespaces')).toEqual(['a', 'a-b', 'ab', 'default']);
  });

  it('restricts a namespace exactly, not to namespaces it is a prefix of', () => {
    const store = filled();
    expect(keys(store, 'pods', { namespace: 'a' })).toEqual(['a/b', 'a/m', 'a/z']);
    expect(keys(store, 'pods', { namespace: 'ab' })).toEqual(['ab/a', 'ab/x']);
    expect(keys(store, 'pods', { namespace: 'a-b' })).toEqual(['a-b/y']);
    expect(keys(store, 'pods', { namespace: 'none' })).toEqual([]);
  });

  it('starts after a key, also when that key no longer exists, and within a namespace', () => {
    const store = filled();
    expect(keys(store, 'pods', { afterKey: 'a/m' })).toEqual(['a/z', 'ab/a', 'ab/x', 'default/z']);
    store.delete('pods', 'a', 'm');
    expect(keys(store, 'pods', { afterKey: 'a/m' })).toEqual(['a/z', 'ab/a', 'ab/x', 'default/z']);
    expect(keys(store, 'pods', { namespace: 'a', afterKey: 'a/b' })).toEqual(['a/z']);
    expect(keys(store, 'pods', { namespace: 'ab', afterKey: 'a/b' })).toEqual(['ab/a', 'ab/x']);
    expect(keys(store, 'pods', { afterKey: 'zzz' })).toEqual([]);
  });

  it('stays stable while the store changes under a paused scan', () => {
    const store = newStore();
    const names = Array.from({ length: 40 }, (_, i) => `p${String(i * 10).padStart(4, '0')}`);
    for (const n of names) store.create('pods', pod('a', n));
    const present = new Set(names);
    const deletedUnseen = new Set<string>();
    const seen: string[] = [];
    let step = 0;
    for (const obj of store.scan('pods', { namespace: 'a' })) {
      seen.push(obj.metadata.name);
      step += 1;
      // Between two items: delete the one just read, delete one ahead, insert before and after the cursor.
      store.delete('pods', 'a', obj.metadata.name);
      present.delete(obj.metadata.name);
      const ahead = names.find((n) => present.has(n) && n > obj.metadata.name && !seen.includes(n));
      if (ahead && step % 3 === 0) {
        store.delete('pods', 'a', ahead);
        present.delete(ahead);
        deletedUnseen.add(ahead);
      }
      store.create('pods', pod('a', `${obj.metadata.name}-behind`.replace('p', 'a')));
      if (step % 4 === 0) store.create('pods', pod('ab', `after-${step}`));
    }
    // Every object present for the whole scan was seen exactly once; deleted ones never;
    // objects inserted behind the cursor or outside the namespace never.
    const expected = names.filter((n) => !deletedUnseen.has(n));
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('sees objects inserted ahead of the cursor', () => {
    const store = newStore();
    for (const n of ['b', 'd', 'f']) store.create('pods', pod('a', n));
    const seen: string[] = [];
    for (const obj of store.scan('pods', { namespace: 'a' })) {
      seen.push(obj.metadata.name);
      if (obj.metadata.name === 'b') {
        store.create('pods', pod('a', 'c'));
        store.create('pods', pod('a', 'a0'));
        store.create('pods', pod('a', 'e'));
      }
    }
    expect(seen).toEqual(['b', 'c', 'd', 'e', 'f']);
  });
});

describe('SimStore: ownedBy', () => {
  const owner = (uid: string) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: `job-${uid}`,
    uid,
    controller: true,
  });
  const owned = (namespace: string, name: string, uids: string[]): KubeObject => ({
    ...pod(namespace, name),
    metadata: { name, namespace, ownerReferences: uids.map(owner) },
  });
  /** What the controllers did before the index: every object of the namespace, filtered. */
  const scanned = (store: SimStore, namespace: string, uid: string) =>
    [...store.scan('pods', { namespace })]
      .filter((p) => (p.metadata.ownerReferences ?? []).some((o) => o.uid === uid))
      .map((p) => p.metadata.name);
  const names = (objects: KubeObject[]) => objects.map((o) => o.metadata.name);

  it('finds an owner’s objects in its namespace, in key order, through creates, updates and deletes', () => {
    const store = newStore();
    store.create('pods', owned('a', 'z', ['x']));
    store.create('pods', owned('a', 'b', ['x', 'y']));
    store.create('pods', owned('a-b', 'c', ['x']));
    store.create('pods', owned('a', 'm', ['y']));
    store.create('pods', pod('a', 'free'));
    expect(names(store.ownedBy('pods', 'a', 'x'))).toEqual(['b', 'z']);
    expect(names(store.ownedBy('pods', 'a-b', 'x'))).toEqual(['c']);
    expect(names(store.ownedBy('pods', 'a', 'y'))).toEqual(['b', 'm']);
    expect(store.ownedBy('pods', 'a', 'nobody')).toEqual([]);
    // An update that changes the owners moves the object; one that keeps them does not.
    const b = store.get('pods', 'a', 'b')!;
    store.update('pods', { ...b, metadata: { ...b.metadata, ownerReferences: [owner('y')] } });
    const z = store.get('pods', 'a', 'z')!;
    store.update('pods', { ...z, status: { phase: 'Running' } });
    expect(names(store.ownedBy('pods', 'a', 'x'))).toEqual(['z']);
    store.delete('pods', 'a', 'm');
    expect(names(store.ownedBy('pods', 'a', 'y'))).toEqual(['b']);
    // What it answers is what comes from the store now, not an earlier version.
    expect(store.ownedBy('pods', 'a', 'x')[0].status?.phase).toBe('Running');
  });

  it('answers as a scan of the namespace would, over many random changes', () => {
    const store = newStore();
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const namespaces = ['a', 'a-b', 'ab'];
    const uids = ['u1', 'u2', 'u3', 'u4'];
    for (let step = 0; step < 2_000; step++) {
      const namespace = namespaces[random(3)];
      const name = `p${random(40)}`;
      const current = store.get('pods', namespace, name);
      const refs = uids.filter(() => random(3) === 0);
      if (!current) store.create('pods', owned(namespace, name, refs));
      else if (random(3) === 0) store.delete('pods', namespace, name);
      else
        store.update('pods', {
          ...current,
          metadata: { ...current.metadata, ownerReferences: refs.map(owner) },
        });
      if (step % 50 === 0)
        for (const ns of namespaces)
          for (const uid of uids)
            expect(names(store.ownedBy('pods', ns, uid))).toEqual(scanned(store, ns, uid));
    }
  });
});
