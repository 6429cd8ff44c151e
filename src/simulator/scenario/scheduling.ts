/**
 * What the job controller and the churn need to place a new pod on a live cluster, read
 * from the node objects in the store (the scenario itself places pods on its node slots).
 */
import type { SimStore } from '../store.js';
import type { KubeObject } from '../types.js';
import type { Json } from './json.js';
import { type RandomFn, randomInt } from './random.js';

/**
 * Nodes a new pod may go to, as the scheduler sees them: Ready, not cordoned, no
 * NoSchedule/NoExecute taint (pods the simulator creates tolerate none).
 */
export function schedulableNodes(store: SimStore): KubeObject[] {
  const out: KubeObject[] = [];
  for (const node of store.scan('nodes')) {
    if (node.spec?.unschedulable) continue;
    const taints = (node.spec?.taints ?? []) as Json[];
    if (taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) continue;
    const ready = ((node.status?.conditions ?? []) as Json[]).find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') continue;
    out.push(node);
  }
  return out;
}

export function nodeInternalIP(node: KubeObject): string | undefined {
  const address = ((node.status?.addresses ?? []) as Json[]).find((a) => a.type === 'InternalIP');
  return address?.address as string | undefined;
}

/** A pod IP inside the node's podCIDR (random host part: unique enough for live changes). */
export function randomPodIP(node: KubeObject, random: RandomFn): string {
  const cidr = String(node.spec?.podCIDR ?? '10.244.0.0/24');
  const prefix = cidr.slice(0, cidr.lastIndexOf('.') + 1);
  return `${prefix}${4 + randomInt(random, 250)}`;
}
