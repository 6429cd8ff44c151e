/**
 * The DaemonSets that own the scenario's daemon pods (kube-proxy, cilium), derived from the
 * pods themselves so that nothing is drawn from the seed: same uid as the pods' owner
 * reference, the pods' labels without the per-revision ones as selector and template, the
 * template's spec without what the DaemonSet controller adds per node, and a status
 * counting the pods (one per node).
 */
import type { KubeObject } from '../types.js';
import type { Json } from './json.js';

const PER_REVISION = new Set(['controller-revision-hash', 'pod-template-generation']);

export function daemonSetsOf(pods: readonly KubeObject[]): { key: string; obj: KubeObject }[] {
  const byOwner = new Map<string, KubeObject[]>();
  for (const pod of pods) {
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'DaemonSet');
    if (!owner) continue;
    const key = `${pod.metadata.namespace}/${owner.name}/${owner.uid}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), pod]);
  }
  return [...byOwner.values()].map((owned) => {
    const first = owned[0];
    const owner = first.metadata.ownerReferences!.find((o) => o.kind === 'DaemonSet')!;
    const labels = Object.fromEntries(
      Object.entries(first.metadata.labels ?? {}).filter(([k]) => !PER_REVISION.has(k)),
    );
    const { nodeName: _node, affinity: _affinity, ...template } = (first.spec ?? {}) as Json;
    const created = owned
      .map((p) => p.metadata.creationTimestamp ?? '')
      .sort()
      .at(0);
    const ready = owned.filter((p) =>
      ((p.status?.conditions ?? []) as Json[]).some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    const obj: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name: owner.name,
        namespace: first.metadata.namespace,
        uid: owner.uid,
        generation: 1,
        ...(created ? { creationTimestamp: created } : {}),
        labels,
        annotations: { 'deprecated.daemonset.template.generation': '1' },
      },
      spec: {
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: template },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
      status: {
        currentNumberScheduled: owned.length,
        numberMisscheduled: 0,
        desiredNumberScheduled: owned.length,
        numberReady: ready,
        observedGeneration: 1,
        updatedNumberScheduled: owned.length,
        numberAvailable: ready,
        ...(owned.length > ready ? { numberUnavailable: owned.length - ready } : {}),
      },
    };
    return { key: `${first.metadata.namespace}/${owner.name}`, obj };
  });
}
