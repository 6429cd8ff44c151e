import type {
  CoreV1Event,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Job,
  V1Namespace,
  V1Node,
  V1Pod,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ACCESS_KINDS,
  isKindName,
  KIND_INFO,
  KIND_NAMES,
  type KindName,
  type KubeObjectOf,
  keyOf,
  objectKey,
  splitObjectKey,
} from '../../src/kube/kinds.js';

describe('kinds', () => {
  it('maps each kind name to its client-node model type', () => {
    expectTypeOf<KubeObjectOf<'Pod'>>().toEqualTypeOf<V1Pod>();
    expectTypeOf<KubeObjectOf<'Node'>>().toEqualTypeOf<V1Node>();
    expectTypeOf<KubeObjectOf<'Job'>>().toEqualTypeOf<V1Job>();
    expectTypeOf<KubeObjectOf<'Namespace'>>().toEqualTypeOf<V1Namespace>();
    expectTypeOf<KubeObjectOf<'Event'>>().toEqualTypeOf<CoreV1Event>();
    expectTypeOf<KubeObjectOf<KindName>>().toEqualTypeOf<
      | V1Pod
      | V1Node
      | V1Job
      | V1Namespace
      | CoreV1Event
      | V1Role
      | V1ClusterRole
      | V1RoleBinding
      | V1ClusterRoleBinding
    >();
  });

  it('lists every kind once, with its REST facts', () => {
    expect([...KIND_NAMES].sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Event',
      'Job',
      'Namespace',
      'Node',
      'Pod',
      'Role',
      'RoleBinding',
    ]);
    expect([...ACCESS_KINDS].sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    for (const k of KIND_NAMES) expect(KIND_INFO[k].kind).toBe(k);
    expect(KIND_INFO.Pod).toMatchObject({
      apiVersion: 'v1',
      plural: 'pods',
      namespaced: true,
      modelType: 'V1Pod',
    });
    expect(KIND_INFO.Job).toMatchObject({ apiVersion: 'batch/v1', plural: 'jobs', namespaced: true });
    expect(KIND_INFO.Node.namespaced).toBe(false);
    expect(KIND_INFO.Namespace.namespaced).toBe(false);
    expect(Object.isFrozen(KIND_INFO.Pod)).toBe(true);
  });

  it('recognises kind names and nothing else', () => {
    expect(isKindName('Pod')).toBe(true);
    expect(isKindName('pod')).toBe(false);
    expect(isKindName('toString')).toBe(false);
    expect(isKindName(undefined)).toBe(false);
  });
});

describe('objectKey (client-go MetaNamespaceKeyFunc)', () => {
  it('is namespace/name for namespaced objects', () => {
    expect(objectKey({ metadata: { namespace: 'shop', name: 'web-1' } })).toBe('shop/web-1');
  });

  it('is the bare name for cluster-scoped objects (no or empty namespace)', () => {
    expect(objectKey({ metadata: { name: 'node-a' } })).toBe('node-a');
    expect(objectKey({ metadata: { name: 'node-a', namespace: '' } })).toBe('node-a');
  });

  it('throws, saying what it got, when there is no name', () => {
    expect(() => objectKey({ metadata: { namespace: 'shop' } })).toThrow(
      /expected an object with metadata\.name.*shop/,
    );
    expect(() => objectKey({})).toThrow(/without metadata/);
  });

  it('agrees with keyOf and round-trips through splitObjectKey', () => {
    expect(keyOf('shop', 'web-1')).toBe('shop/web-1');
    expect(keyOf(undefined, 'node-a')).toBe('node-a');
    expect(splitObjectKey('shop/web-1')).toEqual({ namespace: 'shop', name: 'web-1' });
    expect(splitObjectKey('node-a')).toEqual({ name: 'node-a' });
    for (const bad of ['/x', 'x/', 'a/b/c']) expect(() => splitObjectKey(bad)).toThrow(/namespace\/name/);
  });
});
