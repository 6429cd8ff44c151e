/**
 * The kinds kubegate mirrors, their client-node model types, and client-go's object keys.
 *
 * Everything above `src/kube/` names kinds through `KindName` and gets the matching object
 * type through `KubeObjectOf<K>`, so a store, an event or a loader for `'Pod'` is typed
 * `V1Pod` without anyone importing `@kubernetes/client-node` outside this layer.
 */
import type { V1Job, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';

export type KindName = 'Namespace' | 'Node' | 'Pod' | 'Job';

/** Kind name → client-node model type (timestamps are `Date`s, as the reflector deserializes them). */
export type KIND_OBJECT = {
  Namespace: V1Namespace;
  Node: V1Node;
  Pod: V1Pod;
  Job: V1Job;
};

export type KubeObjectOf<K extends KindName> = KIND_OBJECT[K];

/** Any object that has the metadata a key is made from. */
export interface KeyedObject {
  metadata?: { name?: string; namespace?: string };
}

/** Static facts about a kind that the reflector and the transform need. */
export interface KindInfo {
  readonly kind: KindName;
  readonly apiVersion: string;
  /** Lower-case plural as it appears in REST paths. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** The client-node model name `ObjectSerializer.deserialize(raw, modelType)` expects. */
  readonly modelType: 'V1Namespace' | 'V1Node' | 'V1Pod' | 'V1Job';
}

export const KIND_INFO: Readonly<Record<KindName, KindInfo>> = Object.freeze({
  Namespace: Object.freeze({
    kind: 'Namespace',
    apiVersion: 'v1',
    plural: 'namespaces',
    namespaced: false,
    modelType: 'V1Namespace',
  }),
  Node: Object.freeze({
    kind: 'Node',
    apiVersion: 'v1',
    plural: 'nodes',
    namespaced: false,
    modelType: 'V1Node',
  }),
  Pod: Object.freeze({ kind: 'Pod', apiVersion: 'v1', plural: 'pods', namespaced: true, modelType: 'V1Pod' }),
  Job: Object.freeze({
    kind: 'Job',
    apiVersion: 'batch/v1',
    plural: 'jobs',
    namespaced: true,
    modelType: 'V1Job',
  }),
} satisfies Record<KindName, KindInfo>);

export const KIND_NAMES: readonly KindName[] = Object.freeze(['Namespace', 'Node', 'Pod', 'Job']);

export function isKindName(value: unknown): value is KindName {
  return typeof value === 'string' && Object.hasOwn(KIND_INFO, value);
}

/**
 * client-go's MetaNamespaceKeyFunc: `namespace/name`, or `name` for a cluster-scoped object
 * (no or empty namespace). Throws when the object has no name, because a store keyed by ''
 * would silently merge unrelated objects.
 */
export function objectKey(obj: KeyedObject): string {
  const name = obj.metadata?.name;
  if (!name) {
    throw new Error(`objectKey: expected an object with metadata.name, received ${describe(obj)}`);
  }
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** The key `objectKey` would give an object with this namespace and name. */
export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** client-go's SplitMetaNamespaceKey: the inverse of `objectKey`. */
export function splitObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  if (slash === 0 || slash === key.length - 1 || key.indexOf('/', slash + 1) >= 0) {
    throw new Error(`splitObjectKey: expected "name" or "namespace/name", received ${JSON.stringify(key)}`);
  }
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function describe(obj: unknown): string {
  if (obj === null || typeof obj !== 'object') return String(obj);
  const meta = (obj as KeyedObject).metadata;
  return meta === undefined ? 'an object without metadata' : `metadata ${JSON.stringify(meta).slice(0, 200)}`;
}
