/**
 * Node Leases (coordination.k8s.io/v1) in `kube-node-lease`, as the kubelet keeps them:
 * one per node, named as the node, held by it, owned by the Node object, renewed on
 * every heartbeat (node-lease.ts). `kubectl describe node` reads HolderIdentity and
 * RenewTime from here.
 */
import type { KubeObject } from '../types.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The kubelet's nodeLeaseDurationSeconds default. */
export const NODE_LEASE_DURATION_SECONDS = 40;

/** A metav1.MicroTime: RFC 3339 with six fractional digits, as the API server writes it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Whether the node's Ready condition is True (a node that is not stops renewing its lease). */
export function nodeIsReady(node: KubeObject): boolean {
  const conditions: { type?: string; status?: string }[] = node.status?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The Lease the kubelet of `node` creates, renewed at `renewMs`. */
export function nodeLeaseObject(
  node: KubeObject,
  renewMs: number,
  created: string,
  uid?: string,
): KubeObject {
  const name = node.metadata.name;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ...(uid ? { uid } : {}),
      creationTimestamp: created,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
    },
    spec: {
      holderIdentity: name,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      renewTime: microTime(renewMs),
    },
  };
}

/**
 * When the scenario's node last renewed: at its Ready condition's last heartbeat (recent
 * for a Ready node, long ago for one whose kubelet stopped posting), else `nowMs`.
 */
export function lastRenewal(node: KubeObject, nowMs: number): number {
  const conditions: { type?: string; lastHeartbeatTime?: string }[] = node.status?.conditions ?? [];
  const beat = Date.parse(conditions.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '');
  return Number.isFinite(beat) ? Math.min(beat, nowMs) : nowMs;
}
