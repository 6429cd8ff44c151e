/**
 * Nodes under churn: the kubelet's heartbeat moves a timestamp; now and then a node stops
 * reporting (Ready Unknown, tainted unreachable) and comes back some ticks later.
 */

import { nodeConditions, randomInt, readinessTaints } from '../scenario/index.js';
import type { KubeObject } from '../types.js';
import type { ChurnContext, Json } from './state.js';

/** A random node that `accept`s, trying at most 20 from a random start. */
function pickNode(ctx: ChurnContext, accept: (node: KubeObject) => boolean): KubeObject | undefined {
  const { nodes } = ctx.index;
  if (nodes.length === 0) return undefined;
  const start = randomInt(ctx.random, nodes.length);
  for (let k = 0; k < Math.min(nodes.length, 20); k++) {
    const node = ctx.store.get('nodes', undefined, nodes[(start + k) % nodes.length]);
    if (node && accept(node)) return node;
  }
  return undefined;
}

/** The kubelet's status update: only the heartbeat times move. */
export function heartbeat(ctx: ChurnContext): boolean {
  const node = pickNode(ctx, (n) => !ctx.index.downUntil.has(n.metadata.name));
  if (!node) return false;
  const now = ctx.nowIso();
  const conditions = ((node.status?.conditions ?? []) as Json[]).map((c) => ({
    ...c,
    lastHeartbeatTime: now,
  }));
  writeNode(ctx, node, node.spec, { ...node.status, conditions }, now);
  return true;
}

/**
 * A node stops posting status: the node lifecycle controller marks it Unknown and taints
 * it. It comes back (see recoverDueNode) 20 to 60 ticks after `tick`.
 */
export function nodeFlip(ctx: ChurnContext, tick: number): boolean {
  const { downUntil } = ctx.index;
  const node = pickNode(
    ctx,
    (n) =>
      !downUntil.has(n.metadata.name) &&
      ((n.status?.conditions ?? []) as Json[]).some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (!node) return false;
  const now = ctx.nowIso();
  const ready = ((node.status?.conditions ?? []) as Json[]).find((c) => c.type === 'Ready')!;
  const conditions = nodeConditions(
    'Unknown',
    String(ready.lastHeartbeatTime ?? now),
    String(ready.lastTransitionTime ?? now),
    now,
  );
  const taints = [...((node.spec?.taints ?? []) as Json[]), ...readinessTaints('Unknown', now)];
  downUntil.set(node.metadata.name, tick + 20 + randomInt(ctx.random, 40));
  writeNode(ctx, node, { ...node.spec, taints }, { ...node.status, conditions }, undefined);
  return true;
}

/** Brings back one node whose time is up at `tick` (Ready, untainted); false when none is due. */
export function recoverDueNode(ctx: ChurnContext, tick: number): boolean {
  const { downUntil } = ctx.index;
  for (const [name, due] of downUntil) {
    if (due > tick) continue;
    downUntil.delete(name);
    const node = ctx.store.get('nodes', undefined, name);
    if (!node) continue;
    const now = ctx.nowIso();
    const taints = ((node.spec?.taints ?? []) as Json[]).filter(
      (t) => t.key !== 'node.kubernetes.io/unreachable' && t.key !== 'node.kubernetes.io/not-ready',
    );
    const { taints: _old, ...spec } = node.spec as Json;
    writeNode(
      ctx,
      node,
      taints.length > 0 ? { ...spec, taints } : spec,
      { ...node.status, conditions: nodeConditions('True', now, now, now) },
      now,
    );
    return true;
  }
  return false;
}

/** Writes a node; with `kubeletTime`, the kubelet's status managedFields entry moves to it. */
function writeNode(
  ctx: ChurnContext,
  node: KubeObject,
  spec: unknown,
  status: unknown,
  kubeletTime: string | undefined,
): void {
  const managedFields = kubeletTime
    ? ((node.metadata.managedFields ?? []) as Json[]).map((m) =>
        m.manager === 'kubelet' && m.subresource === 'status' ? { ...m, time: kubeletTime } : m,
      )
    : node.metadata.managedFields;
  ctx.store.update('nodes', { ...node, metadata: { ...node.metadata, managedFields }, spec, status });
}
