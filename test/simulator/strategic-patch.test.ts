/**
 * Strategic merge patch against the semantics of Kubernetes' own implementation
 * (k8s.io/apimachinery/pkg/util/strategicpatch and its test cases): lists merged by their
 * patch-merge key, the directives, the order the server gives a merged list.
 */
import { describe, expect, it } from 'vitest';
import { StrategicPatchError, strategicMergePatch } from '../../src/simulator/strategic-patch.js';

type Obj = Record<string, unknown>;

function pod(spec: Obj, metadata: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...metadata }, spec };
}

const containers = (...cs: Obj[]) => ({ containers: cs });
const names = (list: unknown) => (list as Obj[]).map((c) => c.name);

describe('strategic merge patch', () => {
  it('merges containers by name: a patched container keeps its other fields, the others stay', () => {
    const live = pod(
      containers({ name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] }, { name: 'b', image: 'b:1' }),
    );
    const out = strategicMergePatch(live, { spec: { containers: [{ name: 'a', image: 'a:2' }] } }, 'Pod');
    expect((out.spec as Obj).containers).toEqual([
      { name: 'a', image: 'a:2', env: [{ name: 'X', value: '1' }] },
      { name: 'b', image: 'b:1' },
    ]);
    expect(live).toEqual(
      pod(
        containers(
          { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
          { name: 'b', image: 'b:1' },
        ),
      ),
    );
  });

  it('puts a new container first, as the server does (Kubernetes docs: patch-demo-ctr-2 comes first)', () => {
    const live = pod(containers({ name: 'patch-demo-ctr', image: 'nginx' }));
    const out = strategicMergePatch(
      live,
      { spec: { containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] } },
      'Pod',
    );
    expect(names((out.spec as Obj).containers)).toEqual(['patch-demo-ctr-2', 'patch-demo-ctr']);
  });

  it('merges env by name, ports by containerPort and volumeMounts by mountPath', () => {
    const live = pod(
      containers({
        name: 'a',
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
        ports: [{ containerPort: 80, name: 'http' }],
        volumeMounts: [{ name: 'v', mountPath: '/data' }],
      }),
    );
    const out = strategicMergePatch(
      live,
      {
        spec: {
          containers: [
            {
              name: 'a',
              env: [{ name: 'Y', value: '3' }],
              ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
              volumeMounts: [{ mountPath: '/data', readOnly: true }],
            },
          ],
        },
      },
      'Pod',
    );
    const c = ((out.spec as Obj).containers as Obj[])[0];
    expect(c.env).toEqual([
      { name: 'X', value: '1' },
      { name: 'Y', value: '3' },
    ]);
    expect(c.ports).toEqual([{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }]);
    expect(c.volumeMounts).toEqual([{ name: 'v', mountPath: '/data', readOnly: true }]);
  });

  it('$patch: delete removes a list item by its merge key; null removes a field', () => {
    const live = pod(
      containers({ name: 'a', image: 'a', env: [{ name: 'X' }, { name: 'Y' }] }, { name: 'b' }),
    );
    const out = strategicMergePatch(
      live,
      {
        spec: {
          containers: [
            { name: 'b', $patch: 'delete' },
            { name: 'a', image: null, env: [{ name: 'X', $patch: 'delete' }] },
          ],
        },
      },
      'Pod',
    );
    expect((out.spec as Obj).containers).toEqual([{ name: 'a', env: [{ name: 'Y' }] }]);
  });

  it('$patch: replace in a list replaces it; on a map replaces the map; $patch: delete on a map empties it', () => {
    const live = pod(
      { ...containers({ name: 'a', image: 'a' }, { name: 'b' }), nodeSelector: { x: '1', y: '2' } },
      { labels: { k: 'v' } },
    );
    const out = strategicMergePatch(
      live,
      {
        metadata: { labels: { $patch: 'delete' } },
        spec: {
          containers: [{ name: 'c' }, { $patch: 'replace' }],
          nodeSelector: { $patch: 'replace', z: '3' },
        },
      },
      'Pod',
    );
    expect((out.spec as Obj).containers).toEqual([{ name: 'c' }]);
    expect((out.spec as Obj).nodeSelector).toEqual({ z: '3' });
    expect((out.metadata as Obj).labels).toEqual({});
  });

  it('$patch: merge is refused as the server refuses it', () => {
    const live = pod(containers({ name: 'a' }));
    expect(() =>
      strategicMergePatch(live, { spec: { containers: [{ name: 'a', $patch: 'merge' }] } }, 'Pod'),
    ).toThrow(/merging lists cannot yet be specified/);
    expect(() => strategicMergePatch(live, { spec: { $patch: 'merge' } }, 'Pod')).toThrow(
      /unknown patch type/,
    );
  });

  it('$setElementOrder orders the merged list (the patch kubectl apply sends)', () => {
    const live = pod(containers({ name: 'a' }, { name: 'b' }, { name: 'c' }));
    const out = strategicMergePatch(
      live,
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }],
          containers: [{ name: 'a', image: 'new' }],
        },
      },
      'Pod',
    );
    expect((out.spec as Obj).containers).toEqual([{ name: 'c' }, { name: 'a', image: 'new' }, { name: 'b' }]);
    expect(() =>
      strategicMergePatch(
        live,
        { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b', image: 'x' }] } },
        'Pod',
      ),
    ).toThrow(StrategicPatchError);
  });

  it('merges finalizers as a set and removes values with $deleteFromPrimitiveList', () => {
    const live = pod(containers({ name: 'a' }), { finalizers: ['x/a', 'x/b'] });
    const added = strategicMergePatch(live, { metadata: { finalizers: ['x/c', 'x/a'] } }, 'Pod');
    expect((added.metadata as Obj).finalizers).toEqual(['x/c', 'x/a', 'x/b']);
    const removed = strategicMergePatch(
      live,
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['x/a'] } },
      'Pod',
    );
    expect((removed.metadata as Obj).finalizers).toEqual(['x/b']);
  });

  it('merges ownerReferences by uid and conditions by type (pod, node, namespace, job)', () => {
    const owner = (uid: string) => ({ apiVersion: 'batch/v1', kind: 'Job', name: uid, uid });
    const live = {
      ...pod(containers({ name: 'a' }), { ownerReferences: [owner('u1')] }),
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    };
    const out = strategicMergePatch(
      live,
      {
        metadata: { ownerReferences: [{ uid: 'u2', kind: 'Job', name: 'u2', apiVersion: 'batch/v1' }] },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
      'Pod',
    );
    expect(((out.metadata as Obj).ownerReferences as Obj[]).map((o) => o.uid)).toEqual(['u2', 'u1']);
    expect((out.status as Obj).conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ]);
    for (const kind of ['Node', 'Namespace', 'Job']) {
      const obj = {
        kind,
        metadata: { name: 'n' },
        status: { conditions: [{ type: 'A', status: 'False' }, { type: 'B' }] },
      };
      const patched = strategicMergePatch(
        obj,
        { status: { conditions: [{ type: 'A', status: 'True' }] } },
        kind,
      );
      expect((patched.status as Obj).conditions, kind).toEqual([
        { type: 'A', status: 'True' },
        { type: 'B' },
      ]);
    }
  });

  it('replaces lists without a patch strategy: tolerations, node taints, a job template’s containers merge', () => {
    const live = pod({ ...containers({ name: 'a' }), tolerations: [{ key: 'k1', operator: 'Exists' }] });
    const out = strategicMergePatch(
      live,
      { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } },
      'Pod',
    );
    expect((out.spec as Obj).tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]);
    const node = {
      kind: 'Node',
      metadata: { name: 'n' },
      spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
    };
    const tainted = strategicMergePatch(
      node,
      { spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] } },
      'Node',
    );
    expect((tainted.spec as Obj).taints).toEqual([{ key: 'b', effect: 'NoSchedule' }]);
    const job = {
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { template: { spec: containers({ name: 'a', image: 'a' }, { name: 'b', image: 'b' }) } },
    };
    const patchedJob = strategicMergePatch(
      job,
      { spec: { template: { spec: { containers: [{ name: 'b', image: 'b2' }] } } } },
      'Job',
    );
    expect(((patchedJob.spec as Obj).template as Obj).spec).toEqual(
      containers({ name: 'a', image: 'a' }, { name: 'b', image: 'b2' }),
    );
  });

  it('$retainKeys drops the live keys it omits (a volume changing source)', () => {
    const live = pod({ ...containers({ name: 'a' }), volumes: [{ name: 'v', emptyDir: {} }] });
    const out = strategicMergePatch(
      live,
      { spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } },
      'Pod',
    );
    expect((out.spec as Obj).volumes).toEqual([{ name: 'v', hostPath: { path: '/x' } }]);
    expect(() =>
      strategicMergePatch(
        live,
        { spec: { volumes: [{ name: 'v', $retainKeys: ['name'], hostPath: {} }] } },
        'Pod',
      ),
    ).toThrow(/invalid patch format of retainKeys/);
  });

  it('labels and annotations merge as maps, null deletes a key; directives in new values are dropped', () => {
    const live = pod(containers({ name: 'a' }), { labels: { a: '1', b: '2' } });
    const out = strategicMergePatch(
      live,
      {
        metadata: { labels: { a: null, c: '3' }, annotations: { x: 'y' } },
        spec: { hostAliases: [{ ip: '1.2.3.4', $patch: 'x' }] },
      },
      'Pod',
    );
    expect(out.metadata).toEqual({
      name: 'p',
      namespace: 'default',
      labels: { b: '2', c: '3' },
      annotations: { x: 'y' },
    });
    expect((out.spec as Obj).hostAliases).toEqual([{ ip: '1.2.3.4' }]);
  });
});
