/**
 * What resolvers pass around. Stored objects are frozen and do not know their cluster, so
 * every Kubernetes object travels wrapped with the cluster it came from; the wrapper is
 * also what Relay's Node interface resolves (`kind` tells the type).
 */
import { badUserInput, quote } from '../errors.js';
import type { AnyObject, KindName, KubeObjectOf, ObjectKey } from '../loaders/index.js';

export interface ClusterShape {
  name: string;
}

export interface KubeShape<K extends KindName> {
  cluster: string;
  kind: K;
  object: KubeObjectOf<K>;
}

export type PodShape = KubeShape<'Pod'>;
export type NodeShape = KubeShape<'Node'>;
export type JobShape = KubeShape<'Job'>;
export type NamespaceShape = KubeShape<'Namespace'>;

export function wrap<K extends KindName>(cluster: string, kind: K, object: AnyObject): KubeShape<K> {
  return { cluster, kind, object: object as KubeObjectOf<K> };
}

/** The local part of a global ID: JSON ["cluster", "namespace", "name"] (no namespace for cluster-scoped kinds). */
export function localId(shape: KubeShape<KindName>): string {
  const meta = shape.object.metadata;
  return JSON.stringify(
    meta?.namespace ? [shape.cluster, meta.namespace, meta.name] : [shape.cluster, meta?.name],
  );
}

export function parseLocalId(kind: KindName, namespaced: boolean, id: string): ObjectKey {
  let parts: unknown;
  try {
    parts = JSON.parse(id);
  } catch {
    parts = undefined;
  }
  const width = namespaced ? 3 : 2;
  if (!Array.isArray(parts) || parts.length !== width || !parts.every((p) => typeof p === 'string' && p)) {
    throw badUserInput(
      `expected a global ID of a ${kind} returned by this gateway, received one holding ${quote(id)}`,
    );
  }
  const [cluster, ...rest] = parts as string[];
  return namespaced ? { cluster, kind, namespace: rest[0], name: rest[1] } : { cluster, kind, name: rest[0] };
}
