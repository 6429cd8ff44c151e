/**
 * References to the object types, declared before they are implemented so that the type
 * files can point at each other (a pod has a node, a node has pods) without import cycles,
 * and the shared connection types (one PodConnection wherever pods are listed).
 */

import type { GatewayContext, KindName } from '../loaders/index.js';
import { builder } from './builder.js';
import {
  type ClusterShape,
  type JobShape,
  type KubeShape,
  type NamespaceShape,
  type NodeShape,
  type PodShape,
  parseLocalId,
  wrap,
} from './shapes.js';

export const ClusterRef = builder.objectRef<ClusterShape>('Cluster');
export const ClusterNodeRef = builder.objectRef<NodeShape>('ClusterNode');
export const PodRef = builder.objectRef<PodShape>('Pod');
export const JobRef = builder.objectRef<JobShape>('Job');
export const NamespaceRef = builder.objectRef<NamespaceShape>('Namespace');

export const PodConnection = builder.connectionObject(
  { type: PodRef, name: 'PodConnection' },
  { name: 'PodEdge' },
);
export const ClusterNodeConnection = builder.connectionObject(
  { type: ClusterNodeRef, name: 'ClusterNodeConnection' },
  { name: 'ClusterNodeEdge' },
);
export const JobConnection = builder.connectionObject(
  { type: JobRef, name: 'JobConnection' },
  { name: 'JobEdge' },
);
export const NamespaceConnection = builder.connectionObject(
  { type: NamespaceRef, name: 'NamespaceConnection' },
  { name: 'NamespaceEdge' },
);

/**
 * Relay `node(id:)` for a Kubernetes object: null for a cluster the principal may not see
 * (indistinguishable from one that does not exist), else the object loader's answer.
 */
export async function loadByGlobalId<K extends KindName>(
  ctx: GatewayContext,
  kind: K,
  namespaced: boolean,
  id: string,
): Promise<KubeShape<K> | null> {
  const key = parseLocalId(kind, namespaced, id);
  if (!ctx.clusters.sees(key.cluster)) return null;
  const obj = await ctx.loaders.object.load(key);
  return obj ? wrap(key.cluster, kind, obj) : null;
}

/** isTypeOf for the object types: the wrapper says which kind it holds. */
export const isKind = (kind: KindName) => (value: unknown) => (value as KubeShape<KindName>)?.kind === kind;
