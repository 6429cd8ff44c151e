/**
 * kube-system: the control plane's static pods, CoreDNS and metrics-server, and the
 * kube-proxy and Cilium pods on every node, in that order of priority.
 */
import { corednsSpec, metricsServerSpec } from './addons.js';
import { staticPods } from './control-plane.js';
import { deepFreeze, type Json } from './json.js';
import { ciliumSpec, kubeProxySpec } from './node-agents.js';
import type { NodeSlot } from './nodes.js';
import { apiAccess } from './pod-spec.js';
import {
  type BuildContext,
  makePod,
  ownerRef,
  pickWorker,
  rolloutTime,
  uniqueName,
  type Workload,
  workloadTimes,
} from './pods.js';
import { DAY, randomInt, randomSuffix, randomUid } from './random.js';

function systemDeployment(
  ctx: BuildContext,
  name: string,
  labels: Record<string, string>,
  spec: Json,
): { w: Workload; rs: string } {
  const hash = randomSuffix(ctx.random, 10);
  const rs = `${name}-${hash}`;
  return {
    rs,
    w: {
      ownerKind: 'ReplicaSet',
      namespace: 'kube-system',
      generateName: `${rs}-`,
      labels: deepFreeze({ ...labels, 'pod-template-hash': hash }),
      ownerReferences: deepFreeze([ownerRef('apps/v1', 'ReplicaSet', rs, randomUid(ctx.random))]),
      spec,
      manager: 'kube-controller-manager',
      ...workloadTimes(ctx, rolloutTime(ctx, 60 * DAY)),
      hostNetwork: false,
    },
  };
}

function daemonSet(ctx: BuildContext, name: string, labels: Record<string, string>, spec: Json): Workload {
  return {
    ownerKind: 'DaemonSet',
    namespace: 'kube-system',
    generateName: `${name}-`,
    labels: deepFreeze({
      ...labels,
      'controller-revision-hash': randomSuffix(ctx.random, 10),
      'pod-template-generation': '1',
    }),
    ownerReferences: deepFreeze([ownerRef('apps/v1', 'DaemonSet', name, randomUid(ctx.random))]),
    spec,
    manager: 'kube-controller-manager',
    ...workloadTimes(ctx, rolloutTime(ctx, 60 * DAY)),
    hostNetwork: true,
  };
}

function daemonAffinity(node: NodeSlot): Json {
  node.daemonAffinity ??= deepFreeze({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node.name] }] }],
      },
    },
  });
  return node.daemonAffinity;
}

/** kube-system's pods, in priority order, at most `budget` of them. */
export function buildSystemPods(ctx: BuildContext, budget: number, clusterBorn: number): number {
  const { random } = ctx;
  const before = ctx.pods.length;
  const room = () => ctx.pods.length - before < budget;
  for (const node of ctx.nodes.filter((n) => n.controlPlane)) {
    for (const w of staticPods(ctx, node, clusterBorn)) {
      if (!room()) return ctx.pods.length - before;
      makePod(ctx, w, `${w.labels.component}-${node.name}`, node, 'running');
    }
  }
  const access = apiAccess(random);
  const coredns = systemDeployment(ctx, 'coredns', { 'k8s-app': 'kube-dns' }, corednsSpec(access));
  for (let i = 0; i < 2 && room(); i++) {
    makePod(
      ctx,
      coredns.w,
      uniqueName(ctx, 'kube-system', () => `${coredns.rs}-${randomSuffix(random)}`),
      pickWorker(ctx),
      'running',
    );
  }
  const metrics = systemDeployment(
    ctx,
    'metrics-server',
    { 'k8s-app': 'metrics-server' },
    metricsServerSpec(access),
  );
  if (room())
    makePod(
      ctx,
      metrics.w,
      uniqueName(ctx, 'kube-system', () => `${metrics.rs}-${randomSuffix(random)}`),
      pickWorker(ctx),
      'running',
    );

  const proxy = daemonSet(ctx, 'kube-proxy', { 'k8s-app': 'kube-proxy' }, kubeProxySpec(access));
  const cilium = daemonSet(
    ctx,
    'cilium',
    { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent', 'app.kubernetes.io/part-of': 'cilium' },
    ciliumSpec(access),
  );
  for (const ds of [proxy, cilium]) {
    for (const node of ctx.nodes) {
      if (!room()) return ctx.pods.length - before;
      const name = uniqueName(ctx, 'kube-system', () => `${ds.generateName}${randomSuffix(random)}`);
      const crash = random() < 0.01;
      makePod(ctx, ds, name, node, crash ? 'crashLoop' : 'running', {
        spec: { ...ds.spec, affinity: daemonAffinity(node) },
        restartCount: crash ? 7 + randomInt(random, 50) : undefined,
      });
    }
  }
  return ctx.pods.length - before;
}
