/**
 * Live usage (metrics.k8s.io, read on demand: one fetch per cluster and window, shared by
 * every request) on nodes, pods, containers, the cluster summary, and an hour of history.
 *
 * Every usage field is nullable and fails softly: without rights or without a metrics API
 * the field is null, with ONE error per cluster and code for the whole operation (not one
 * per node or pod), and the rest of the answer is intact.
 */
import type {
  GatewayContext,
  PodUsage,
  PodUsageRef,
  PodUtilization,
  ClusterSummary as Summary,
  Usage,
} from '../loaders/index.js';
import { podUtilization, type UsageSample } from '../loaders/index.js';
import { checkCount } from './args.js';
import { builder } from './builder.js';
import { nodeUtilization } from './cluster-node.js';
import { ClusterSummary } from './cluster-summary.js';
import { Container } from './container.js';
import { ClusterNodeRef, ClusterRef, PodRef } from './refs.js';
import { DateTime } from './scalars.js';
import type { NodeShape, PodShape } from './shapes.js';

/** Runs a usage read; its error is thrown for the first field of its cluster and code, null for the rest. */
function softly<T>(ctx: GatewayContext, read: () => Promise<T>): Promise<T | null> {
  return read().catch((err: unknown) => {
    const first = ctx.loaders.usage.once(err);
    if (first) throw first;
    return null;
  });
}

/** `softly` for a value read now: an error is thrown for the first field of its cluster and code, null for the rest. */
function softlyNow<T>(ctx: GatewayContext, value: T | Error): T | null {
  if (!(value instanceof Error)) return value;
  const first = ctx.loaders.usage.once(value);
  if (first) throw first;
  return null;
}

/**
 * A usage read: synchronous when the request's window answer is in memory (the usual case
 * once a cluster's metrics were read this window: a page of 1,000 nodes then costs no
 * promise per node), else the DataLoader's batch; errors reported once per cluster and code.
 */
function usageRead<R, T>(
  ctx: GatewayContext,
  now: (ref: R) => T | null | Error | undefined,
  load: (ref: R) => Promise<T | null>,
  ref: R,
): T | null | Promise<T | null> {
  const value = now(ref);
  return value === undefined ? softly(ctx, () => load(ref)) : softlyNow(ctx, value);
}

function nodeUsage(n: NodeShape, ctx: GatewayContext): Usage | null | Promise<Usage | null> {
  const { usage } = ctx.loaders;
  return usageRead(ctx, usage.nodeNow, (ref) => usage.node.load(ref), {
    cluster: n.cluster,
    name: n.object.metadata?.name ?? '',
  });
}

function podUsage(ctx: GatewayContext, ref: PodUsageRef): PodUsage | null | Promise<PodUsage | null> {
  const { usage } = ctx.loaders;
  return usageRead(ctx, usage.podNow, (r) => usage.pod.load(r), ref);
}

function podRef(p: PodShape): PodUsageRef {
  return {
    cluster: p.cluster,
    namespace: p.object.metadata?.namespace ?? '',
    name: p.object.metadata?.name ?? '',
  };
}

/** `f(value)` now, or once the promise settles. */
function then<T, U>(value: T | Promise<T>, f: (v: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

export const UsageType = builder.objectRef<Usage>('Usage').implement({
  description:
    'CPU and memory in use over one metrics window, as the metrics API (metrics-server, `kubectl top`) reports them.',
  fields: (t) => ({
    cpuMillis: t.float({
      description: 'Millicores (not rounded: `kubectl top` shows them rounded up to whole millicores).',
      resolve: (u) => u.cpuMillis,
    }),
    memoryBytes: t.float({
      description: 'Working set bytes (`kubectl top` shows them in Mi, rounded down).',
      resolve: (u) => u.memoryBytes,
    }),
    timestamp: t.field({
      type: DateTime,
      nullable: true,
      description: 'When the sample was taken.',
      resolve: (u) => u.timestampText, // canonical ISO text, passed through by DateTime
    }),
    window: t.int({
      nullable: true,
      description: 'The sample’s window, in seconds (rounded).',
      resolve: (u) => Math.round(u.windowSeconds),
    }),
  }),
});

const NodeUtilization = builder
  .objectRef<{ cpu: number | null; memory: number | null }>('NodeUtilization')
  .implement({
    description: 'Usage over allocatable resources, as fractions (0.5 is half).',
    fields: (t) => ({
      cpu: t.float({ nullable: true, resolve: (u) => u.cpu }),
      memory: t.float({ nullable: true, resolve: (u) => u.memory }),
    }),
  });

const PodUtilizationType = builder.objectRef<PodUtilization>('PodUtilization').implement({
  description:
    'Usage over what the pod requests (its effective requests, as the scheduler counts them) and over its limits, as fractions; null where it has no request or no limit.',
  fields: (t) => ({
    cpuOfRequest: t.float({ nullable: true, resolve: (u) => u.cpuOfRequest }),
    memoryOfRequest: t.float({ nullable: true, resolve: (u) => u.memoryOfRequest }),
    cpuOfLimit: t.float({ nullable: true, resolve: (u) => u.cpuOfLimit }),
    memoryOfLimit: t.float({
      nullable: true,
      description: 'At or above 0.9: near the OOM killer (see `pods(memoryNearLimit: true)`).',
      resolve: (u) => u.memoryOfLimit,
    }),
  }),
});

const UsageSampleType = builder.objectRef<UsageSample>('UsageSample').implement({
  fields: (t) => ({
    timestamp: t.field({ type: DateTime, resolve: (s) => new Date(s.timestamp) }),
    cpuMillis: t.float({ resolve: (s) => s.cpuMillis }),
    memoryBytes: t.float({ resolve: (s) => s.memoryBytes }),
  }),
});

const LAST_DESCRIPTION =
  'The newest samples to return (default all: an hour at the metrics window, 240 at 15 s), oldest first.';

const RIGHTS_NODE = 'RBAC: `get` on `nodes` in API group `metrics.k8s.io` (cluster scope).';
const RIGHTS_POD = 'RBAC: `get` on `pods` in API group `metrics.k8s.io` in the pod’s namespace.';

builder.objectFields(ClusterNodeRef, (t) => ({
  usage: t.field({
    type: UsageType,
    nullable: true,
    description: `Live usage (\`kubectl top node\`), from the cluster's metrics API, read at most once per window. ${RIGHTS_NODE}`,
    resolve: (n, _args, ctx) => nodeUsage(n, ctx),
  }),
  utilization: t.field({
    type: NodeUtilization,
    nullable: true,
    description: `Usage over allocatable (\`kubectl top node\`'s CPU% and MEMORY%, as fractions). ${RIGHTS_NODE}`,
    resolve: (n, _args, ctx) =>
      then(nodeUsage(n, ctx), (usage) => (usage ? nodeUtilization(n.object, usage) : null)),
  }),
  usageHistory: t.field({
    type: [UsageSampleType],
    nullable: true,
    description: `The node's usage over the last hour, one sample per metrics window the gateway read (pages and live subscriptions read every window while open). ${RIGHTS_NODE}`,
    args: { last: t.arg.int({ description: LAST_DESCRIPTION }) },
    resolve: (n, args, ctx) => {
      const last = checkCount('last', args.last, 1);
      return softly(ctx, () =>
        ctx.loaders.usage.history(n.cluster, n.object.metadata?.name ?? '', last ?? undefined),
      );
    },
  }),
}));

builder.objectFields(PodRef, (t) => ({
  usage: t.field({
    type: UsageType,
    nullable: true,
    description: `Live usage, the sum of its containers' (\`kubectl top pod\`); null while it runs no container. ${RIGHTS_POD}`,
    resolve: (p, _args, ctx) => podUsage(ctx, podRef(p)),
  }),
  utilization: t.field({
    type: PodUtilizationType,
    nullable: true,
    description: `Usage over requests and over limits. ${RIGHTS_POD}`,
    resolve: (p, _args, ctx) =>
      then(podUsage(ctx, podRef(p)), (usage) => (usage ? podUtilization(p.object, usage) : null)),
  }),
}));

builder.objectFields(Container, (t) => ({
  usage: t.field({
    type: UsageType,
    nullable: true,
    description: `Live usage (\`kubectl top pod --containers\`); null while it does not run. ${RIGHTS_POD}`,
    resolve: (c, _args, ctx) => {
      const pod = c.pod;
      if (!pod) return null;
      return then(podUsage(ctx, pod), (usage): Usage | null => {
        const own = usage?.containers.find((x) => x.name === c.spec.name);
        return usage && own
          ? {
              cpuMillis: own.cpuMillis,
              memoryBytes: own.memoryBytes,
              timestamp: usage.timestamp,
              timestampText: usage.timestampText,
              windowSeconds: usage.windowSeconds,
            }
          : null;
      });
    },
  }),
}));

builder.objectFields(ClusterSummary, (t) => ({
  usage: t.field({
    type: UsageType,
    nullable: true,
    description: `Live usage of the cluster: the sum over its nodes. ${RIGHTS_NODE}`,
    resolve: (s: Summary, _args, ctx) => softly(ctx, () => ctx.loaders.usage.total(s.cluster)),
  }),
  utilization: t.field({
    type: NodeUtilization,
    nullable: true,
    description: `The cluster's usage over its nodes' allocatable resources (null unless the caller may list every node). ${RIGHTS_NODE}`,
    resolve: async (s: Summary, _args, ctx) => {
      const usage = await softly(ctx, () => ctx.loaders.usage.total(s.cluster));
      if (!usage) return null;
      return {
        cpu: s.allocatable.cpuMillis ? usage.cpuMillis / s.allocatable.cpuMillis : null,
        memory: s.allocatable.memoryBytes ? usage.memoryBytes / s.allocatable.memoryBytes : null,
      };
    },
  }),
  podsNearMemoryLimit: t.int({
    nullable: true,
    description: `Pods using at least 90 % of their memory limit (as \`pods(memoryNearLimit: true)\` lists them), of those the caller may list. ${RIGHTS_POD}`,
    resolve: async (s: Summary, _args, ctx) =>
      (await softly(ctx, () => ctx.loaders.usage.signals(s.cluster)))?.podsNearMemoryLimit ?? null,
  }),
  podsOverCpuRequest: t.int({
    nullable: true,
    description: `Pods using more CPU than they request (as \`pods(cpuOverRequest: true)\` lists them), of those the caller may list. ${RIGHTS_POD}`,
    resolve: async (s: Summary, _args, ctx) =>
      (await softly(ctx, () => ctx.loaders.usage.signals(s.cluster)))?.podsOverCpuRequest ?? null,
  }),
}));

builder.objectFields(ClusterRef, (t) => ({
  usageHistory: t.field({
    type: [UsageSampleType],
    nullable: true,
    description: `The cluster's usage (the sum over its nodes) over the last hour, one sample per metrics window the gateway read. ${RIGHTS_NODE}`,
    args: { last: t.arg.int({ description: LAST_DESCRIPTION }) },
    resolve: (c, args, ctx) => {
      const last = checkCount('last', args.last, 1);
      return softly(ctx, () => ctx.loaders.usage.history(c.name, undefined, last ?? undefined));
    },
  }),
}));
