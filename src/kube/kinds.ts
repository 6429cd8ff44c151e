/**
 * The kind registry: every kind kubegate knows, with all its facts in one entry (see
 * kinds/define.ts): group/version/resource, namespaced or not, the client calls that list
 * and get it, its trimming, its indexes, its filters, whether an informer mirrors it and
 * whether readiness waits for it. The client, the informers, the reader, the no-cache
 * path, readiness and the schema's kind lists derive from this table.
 *
 * Adding a kind: a file under kinds/ with its definition, one line in KIND_OBJECT and one
 * in KINDS below, a schema file, and the simulator's support (docs/ARCHITECTURE.md).
 *
 * Everything above `src/kube/` names kinds through `KindName` and gets the matching object
 * type through `KubeObjectOf<K>`, so a store, an event or a loader for `'Pod'` is typed
 * `V1Pod` without anyone importing `@kubernetes/client-node` outside this layer.
 */
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
import type { KindDefinition } from './kinds/define.js';
import { eventKind } from './kinds/event.js';
import { jobKind } from './kinds/job.js';
import { namespaceKind } from './kinds/namespace.js';
import { nodeKind } from './kinds/node.js';
import { podKind } from './kinds/pod.js';
import { clusterRoleBindingKind, clusterRoleKind, roleBindingKind, roleKind } from './kinds/rbac.js';

export { EVENT_MESSAGE_MAX } from './kinds/event.js';
export { type KeyedObject, keyOf, objectKey, splitObjectKey } from './object-keys.js';

/** Kind name → client-node model type (timestamps are `Date`s, as the reflector deserializes them). */
export type KIND_OBJECT = {
  Namespace: V1Namespace;
  Node: V1Node;
  Pod: V1Pod;
  Job: V1Job;
  Event: CoreV1Event;
  Role: V1Role;
  ClusterRole: V1ClusterRole;
  RoleBinding: V1RoleBinding;
  ClusterRoleBinding: V1ClusterRoleBinding;
};

export type KindName = keyof KIND_OBJECT;

export type KubeObjectOf<K extends KindName> = KIND_OBJECT[K];

/** The registry, in the order kinds are started and reported. */
export const KINDS: { readonly [K in KindName]: KindDefinition<KIND_OBJECT[K]> } = Object.freeze({
  Namespace: namespaceKind,
  Node: nodeKind,
  Pod: podKind,
  Job: jobKind,
  Event: eventKind,
  Role: roleKind,
  ClusterRole: clusterRoleKind,
  RoleBinding: roleBindingKind,
  ClusterRoleBinding: clusterRoleBindingKind,
});

/** The registry entry of a kind, typed by the kind. */
export function kindOf<K extends KindName>(kind: K): KindDefinition<KubeObjectOf<K>> {
  return KINDS[kind] as KindDefinition<KubeObjectOf<K>>;
}

/** Static REST facts of a kind (the registry entries are these and more). */
export type KindInfo = Pick<
  KindDefinition<unknown>,
  'kind' | 'apiVersion' | 'plural' | 'namespaced' | 'modelType' | 'group' | 'version' | 'access'
>;

/** The registry as facts only, for callers that need no more than names and scope. */
export const KIND_INFO: Readonly<Record<KindName, KindInfo>> = KINDS;

export const KIND_NAMES: readonly KindName[] = Object.freeze(Object.keys(KINDS) as KindName[]);

/** The kinds that decide access (RBAC): mirrored by clusters that authorise from RBAC, never shown. */
export const ACCESS_KINDS: readonly KindName[] = Object.freeze(KIND_NAMES.filter((k) => KINDS[k].access));

/** The kinds a page reads (the schema's kinds). */
export const DATA_KINDS: readonly KindName[] = Object.freeze(KIND_NAMES.filter((k) => !KINDS[k].access));

/** Kinds mirrored by an informer when a cluster has the cache (data) or authorises from RBAC (access). */
export const INFORMER_KINDS: readonly KindName[] = Object.freeze(KIND_NAMES.filter((k) => KINDS[k].informer));

/** The data kinds mirrored by a cluster with the cache (without RBAC: what it watches). */
export const CACHE_KINDS: readonly KindName[] = Object.freeze(INFORMER_KINDS.filter((k) => !KINDS[k].access));

/** Namespaced kinds: what a namespace filter and a namespace-limited principal apply to. */
export function isNamespaced(kind: KindName): boolean {
  return KINDS[kind].namespaced;
}

export function isKindName(value: unknown): value is KindName {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}
