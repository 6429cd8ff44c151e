import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  INDEX_LABEL,
  INDEX_NAMESPACE,
  INDEX_OWNER_UID,
  Indexer,
  type IndexFunc,
  labelIndexFunc,
} from '../../src/kube/indexer.js';
import { jobIndexers } from '../../src/kube/kinds/job.js';
import { INDEX_JOB_NAME, INDEX_NODE_NAME, podIndexers } from '../../src/kube/kinds/pod.js';
import { KINDS } from '../../src/kube/kinds.js';
import { jobNameOfPod } from '../../src/kube/rules.js';
import { transformObject } from '../../src/kube/transform.js';
import { job, namespace, node, pod } from './object-fixtures.js';

interface Obj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  color?: string;
}

const byColor: IndexFunc<Obj> = (o) => (o.color ? [o.color] : []);
const byLabel: IndexFunc<Obj> = (o) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);

function obj(ns: string | undefined, name: string, color?: string, labels?: Record<string, string>): Obj {
  return { metadata: { name, namespace: ns, labels }, color };
}

function names(objs: readonly Obj[]): string[] {
  return objs.map((o) => o.metadata.name).sort();
}

describe('Indexer', () => {
  it('stores by client-go key and returns the stored instances as-is', () => {
    const ix = new Indexer<Obj>({ color: byColor });
    const a = obj('ns1', 'a', 'red');
    const n = obj(undefined, 'n', 'red');
    ix.add(a);
    ix.add(n);
    expect(ix.size).toBe(2);
    expect(ix.get('ns1/a')).toBe(a);
    expect(ix.get('n')).toBe(n);
    expect(ix.get('a')).toBeUndefined();
    expect(ix.keys().sort()).toEqual(['n', 'ns1/a']);
    expect(ix.list()).toContain(a);
    expect(ix.byIndex('color', 'red')[0]).toBeOneOf([a, n]);
  });

  it('update upserts, returns the previous object and moves index entries', () => {
    const ix = new Indexer<Obj>({ color: byColor, label: byLabel });
    expect(ix.update(obj('ns', 'a', 'red', { app: 'web' }))).toBeUndefined();
    const first = ix.get('ns/a');
    const second = obj('ns', 'a', 'blue', { app: 'web', tier: 'fe' });
    expect(ix.update(second)).toBe(first);
    expect(ix.size).toBe(1);
    expect(ix.byIndex('color', 'red')).toEqual([]);
    expect(ix.byIndex('color', 'blue')).toEqual([second]);
    expect(ix.byIndex('label', 'app=web')).toEqual([second]);
    expect(ix.byIndex('label', 'tier=fe')).toEqual([second]);
    // The emptied value is gone from the index, not left as an empty bucket.
    expect(ix.indexValues('color')).toEqual(['blue']);
  });

  it('add behaves like update for an existing key (client-go semantics)', () => {
    const ix = new Indexer<Obj>({ color: byColor });
    ix.add(obj('ns', 'a', 'red'));
    ix.add(obj('ns', 'a', 'green'));
    expect(ix.size).toBe(1);
    expect(ix.countByIndex('color', 'red')).toBe(0);
    expect(ix.countByIndex('color', 'green')).toBe(1);
  });

  it('delete by object or key returns what was stored and unindexes the stored version', () => {
    const ix = new Indexer<Obj>({ color: byColor });
    const stored = obj('ns', 'a', 'red');
    ix.add(stored);
    ix.add(obj('ns', 'b', 'red'));
    // A tombstone with stale fields must still remove the stored object's index entries.
    expect(ix.delete(obj('ns', 'a', 'purple'))).toBe(stored);
    expect(names(ix.byIndex('color', 'red'))).toEqual(['b']);
    expect(ix.delete('ns/b')?.metadata.name).toBe('b');
    expect(ix.delete('ns/b')).toBeUndefined();
    expect(ix.size).toBe(0);
    expect(ix.indexValues('color')).toEqual([]);
  });

  it('replace makes the store hold exactly the given objects, last duplicate winning', () => {
    const ix = new Indexer<Obj>({ color: byColor });
    ix.add(obj('ns', 'old', 'red'));
    ix.replace([obj('ns', 'a', 'blue'), obj('ns', 'b', 'blue'), obj('ns', 'a', 'green')]);
    expect(ix.keys().sort()).toEqual(['ns/a', 'ns/b']);
    expect(ix.byIndex('color', 'red')).toEqual([]);
    expect(names(ix.byIndex('color', 'blue'))).toEqual(['b']);
    expect(names(ix.byIndex('color', 'green'))).toEqual(['a']);
    expect(ix.indexValues('color').sort()).toEqual(['blue', 'green']);
  });

  it('tolerates index functions that repeat a value', () => {
    const ix = new Indexer<Obj>({ twice: (o) => [o.color ?? '', o.color ?? ''] });
    ix.add(obj('ns', 'a', 'red'));
    expect(ix.byIndex('twice', 'red')).toHaveLength(1);
    ix.delete('ns/a');
    expect(ix.indexValues('twice')).toEqual([]);
  });

  it('returns an empty result for an unknown value, and throws naming the known indexes for an unknown index', () => {
    const ix = new Indexer<Obj>({ color: byColor, label: byLabel });
    expect(ix.byIndex('color', 'nope')).toEqual([]);
    expect(ix.indexKeys('color', 'nope')).toEqual([]);
    expect(ix.hasIndex('color')).toBe(true);
    expect(ix.hasIndex('size')).toBe(false);
    for (const call of [
      () => ix.byIndex('size', 'x'),
      () => ix.indexValues('size'),
      () => ix.countByIndex('size', 'x'),
      () => ix.indexKeys('size', 'x'),
    ]) {
      expect(call).toThrow(/unknown index "size"; known indexes: "color", "label"/);
    }
  });

  it('stays equal to a naive scan over random operations', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const colors = ['red', 'green', 'blue', undefined];
    const ix = new Indexer<Obj>({ color: byColor, label: byLabel });
    const model = new Map<string, Obj>();
    for (let step = 0; step < 3000; step++) {
      const name = `p${rand(40)}`;
      const ns = `ns${rand(3)}`;
      const op = rand(10);
      if (op < 6) {
        const o = obj(ns, name, colors[rand(4)], rand(2) ? { app: `a${rand(3)}` } : undefined);
        ix.update(o);
        model.set(`${ns}/${name}`, o);
      } else if (op < 9) {
        ix.delete(`${ns}/${name}`);
        model.delete(`${ns}/${name}`);
      } else {
        const all = [...model.values()].filter(() => rand(2) === 0);
        ix.replace(all);
        model.clear();
        for (const o of all) model.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
      }
    }
    expect(ix.size).toBe(model.size);
    const all = [...model.values()];
    for (const c of ['red', 'green', 'blue']) {
      expect(names(ix.byIndex('color', c))).toEqual(names(all.filter((o) => o.color === c)));
    }
    for (const a of ['a0', 'a1', 'a2']) {
      expect(ix.countByIndex('label', `app=${a}`)).toBe(
        all.filter((o) => o.metadata.labels?.app === a).length,
      );
    }
    expect(ix.indexValues('color').sort()).toEqual(
      [...new Set(all.map((o) => o.color).filter((c) => c !== undefined))].sort(),
    );
  });

  it('answers as a scan, in insertion order, while buckets move between one key, a few and many', () => {
    // Values held by 1, 2–8 and more objects: a bare key, an exact array and a Set inside.
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ix = new Indexer<Obj>({ color: byColor });
    const model = new Map<string, Obj>(); // a Map keeps insertion order, as the buckets must
    const sizes = new Set<number>();
    for (let step = 0; step < 4000; step++) {
      const key = `ns/p${rand(60)}`;
      const [ns, name] = key.split('/');
      // Few colours at first (big buckets), then many (buckets of 1–3), then few again.
      const palette = step < 1000 ? 3 : step < 2500 ? 40 : 5;
      if (rand(10) < 7) {
        const o = obj(ns, name, `c${rand(palette)}`);
        const old = model.get(key);
        // An object whose colour changes leaves its bucket and joins the other's end.
        if (old && old.color !== o.color) model.delete(key);
        ix.update(o);
        model.set(key, o);
      } else {
        ix.delete(key);
        model.delete(key);
      }
      if (step % 4 !== 0) continue;
      for (let c = 0; c < 40; c++) {
        const want = [...model.values()].filter((o) => o.color === `c${c}`).map((o) => o.metadata.name);
        expect(ix.byIndex('color', `c${c}`).map((o) => o.metadata.name)).toEqual(want);
        expect(ix.indexKeys('color', `c${c}`)).toEqual(want.map((n) => `ns/${n}`));
        expect(ix.countByIndex('color', `c${c}`)).toBe(want.length);
        sizes.add(Math.min(want.length, 10));
      }
    }
    // Every form was held at some point: none, one key, 2–8 keys, over 8.
    expect([...sizes].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a pair index (labels stored as their own key and value) answers as the key=value index does', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const plain = new Indexer<Obj>({ label: byLabel });
    const pairs = new Indexer<Obj>({ label: labelIndexFunc });
    for (let step = 0; step < 3000; step++) {
      const name = `p${rand(40)}`;
      const op = rand(10);
      if (op < 7) {
        const labels: Record<string, string> = {};
        for (const k of ['app', 'tier', 'example.com/team']) if (rand(2)) labels[k] = `v${rand(4)}`;
        const o = obj('ns', name, undefined, rand(5) ? labels : undefined);
        plain.update(o);
        pairs.update(o);
      } else {
        plain.delete(`ns/${name}`);
        pairs.delete(`ns/${name}`);
      }
    }
    expect(pairs.indexValues('label').sort()).toEqual(plain.indexValues('label').sort());
    for (const value of [...plain.indexValues('label'), 'app=none', 'app', '=v1', 'example.com/team=v2']) {
      expect(names(pairs.byIndex('label', value)), value).toEqual(names(plain.byIndex('label', value)));
      expect(pairs.countByIndex('label', value)).toBe(plain.countByIndex('label', value));
    }
    // Emptied buckets go, at both levels.
    for (let i = 0; i < 40; i++) pairs.delete(`ns/p${i}`);
    expect(pairs.indexValues('label')).toEqual([]);
  });
});

describe('standard index functions', () => {
  const stored = (p: V1Pod): V1Pod => transformObject('Pod', p);

  it('index pods by namespace, node, owner uid, job and label', () => {
    const ix = new Indexer(podIndexers);
    const web = stored(pod({ name: 'web-1', namespace: 'shop', nodeName: 'node-a' }));
    const worker = stored(
      pod({ name: 'backup-x1', namespace: 'ops', nodeName: 'node-b', jobName: 'backup', labels: {} }),
    );
    ix.replace([web, worker]);
    expect(ix.byIndex(INDEX_NAMESPACE, 'shop')).toEqual([web]);
    expect(ix.byIndex(INDEX_NODE_NAME, 'node-b')).toEqual([worker]);
    expect(ix.byIndex(INDEX_OWNER_UID, 'a1b2c3d4-e5f6-4789-8abc-def012345678')).toEqual([web]);
    expect(ix.byIndex(INDEX_JOB_NAME, 'ops/backup')).toEqual([worker]);
    expect(ix.byIndex(INDEX_LABEL, 'app=web')).toEqual([web]);
    expect(ix.byIndex(INDEX_LABEL, 'tier=frontend')).toEqual([web]);
    expect(ix.indexValues(INDEX_JOB_NAME)).toEqual(['ops/backup']);
  });

  it('leave unbound pods out of the node index', () => {
    const ix = new Indexer(podIndexers);
    ix.add({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [] } });
    expect(ix.indexValues(INDEX_NODE_NAME)).toEqual([]);
    expect(ix.indexValues(INDEX_LABEL)).toEqual([]);
  });

  it('find a pod job by controller ownerReference first, then the new label, then the legacy label', () => {
    const meta = (
      labels: Record<string, string>,
      owner?: { kind: string; name: string; controller?: boolean },
    ) => ({
      metadata: {
        name: 'p',
        namespace: 'ns',
        labels,
        ownerReferences: owner ? [{ apiVersion: 'batch/v1', uid: 'u', ...owner }] : undefined,
      },
    });
    expect(jobNameOfPod(meta({ 'job-name': 'legacy' }))).toBe('legacy');
    expect(jobNameOfPod(meta({ 'job-name': 'legacy', 'batch.kubernetes.io/job-name': 'new' }))).toBe('new');
    expect(
      jobNameOfPod(meta({ 'job-name': 'legacy' }, { kind: 'Job', name: 'owner', controller: true })),
    ).toBe('owner');
    // A non-controller or non-Job owner does not make a pod a Job's.
    expect(jobNameOfPod(meta({}, { kind: 'Job', name: 'owner' }))).toBeUndefined();
    expect(jobNameOfPod(meta({}, { kind: 'CronJob', name: 'cj', controller: true }))).toBeUndefined();
    expect(jobNameOfPod({})).toBeUndefined();
  });

  it('index jobs, nodes and namespaces by what their pages filter on', () => {
    const jobs = new Indexer(jobIndexers);
    const j = transformObject('Job', job('backup'));
    jobs.add(j);
    expect(jobs.byIndex(INDEX_NAMESPACE, 'ops')).toEqual([j]);
    expect(jobs.byIndex(INDEX_LABEL, 'app=backup')).toEqual([j]);
    expect(jobs.hasIndex(INDEX_OWNER_UID)).toBe(true);

    const nodes = new Indexer(KINDS.Node.indexers);
    const n = transformObject('Node', node('node-a'));
    nodes.add(n);
    expect(nodes.get('node-a')).toBe(n);
    expect(nodes.byIndex(INDEX_LABEL, 'node-role.kubernetes.io/worker=')).toEqual([n]);

    const namespaces = new Indexer(KINDS.Namespace.indexers);
    const ns = transformObject('Namespace', namespace('shop'));
    namespaces.add(ns);
    expect(namespaces.byIndex(INDEX_LABEL, 'kubernetes.io/metadata.name=shop')).toEqual([ns]);
    expect(namespaces.hasIndex(INDEX_NAMESPACE)).toBe(false);
  });
});
