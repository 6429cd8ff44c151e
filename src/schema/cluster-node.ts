/**
 * ClusterNode: a Kubernetes Node (Relay's `Node` interface owns that name). Its pod count
 * and requests come from the nodeUsage loader: O(1) from the aggregates when the pod cache
 * is synced, one pod LIST per page of nodes without it.
 */
import {
  type KubeObjectOf,
  loadNow,
  NODE_ROLE_PREFIX,
  nodeInternalIP,
  nodeReady,
  nodeResources,
  nodeRoles,
  type Usage,
  usableView,
} from '../loaders/index.js';
import {
  checkCount,
  checkNamespace,
  type DeferredOrder,
  loadPage,
  makeOptionalOrder,
  makeOrder,
  requireName,
} from './args.js';
import { builder } from './builder.js';
import { Condition, KubeObject, NodeResources, OrderDirection, ResourceAmounts } from './common.js';
import type { Direction, Order } from './pagination.js';
import { podArgs, podFilters, podOrder } from './pod.js';
import { ClusterNodeRef, isKind, loadByGlobalId, PodConnection, PodRef } from './refs.js';
import { DateTime, millis } from './scalars.js';
import { localId } from './shapes.js';
import { DRY_RUN_DESCRIPTION, DrainNodePayload, NodeWritePayload } from './writes.js';

type Node = KubeObjectOf<'Node'>;

const NodeOrderField = builder.enumType('ClusterNodeOrderField', {
  description:
    'CPU_USAGE and MEMORY_USAGE order by live usage, CPU_UTILIZATION and MEMORY_UTILIZATION by usage over allocatable; nodes without usage (no metrics API, or usage the caller may not see) sort last either way.',
  values: [
    'NAME',
    'CREATED_AT',
    'CPU_USAGE',
    'MEMORY_USAGE',
    'CPU_UTILIZATION',
    'MEMORY_UTILIZATION',
  ] as const,
});

type NodeOrderName = (typeof NodeOrderField)['$inferType'];

const BY_USAGE: Record<
  Exclude<NodeOrderName, 'NAME' | 'CREATED_AT'>,
  (n: Node, u: Usage) => number | null
> = {
  CPU_USAGE: (_n, u) => u.cpuMillis,
  MEMORY_USAGE: (_n, u) => u.memoryBytes,
  CPU_UTILIZATION: (n, u) => nodeUtilization(n, u).cpu,
  MEMORY_UTILIZATION: (n, u) => nodeUtilization(n, u).memory,
};

const NodeOrder = builder.inputType('ClusterNodeOrder', {
  fields: (t) => ({
    field: t.field({ type: NodeOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true, defaultValue: 'ASC' }),
  }),
});

export const nodeArgs = builder.args((t) => ({
  labelSelector: t.string({
    description: 'e.g. "node-role.kubernetes.io/control-plane" or "topology.kubernetes.io/zone=a".',
  }),
  search: t.string({ description: 'Case-insensitive substring of the name.' }),
  orderBy: t.field({ type: NodeOrder }),
}));

/** A node's usage over its allocatable resources (fractions); null where it has none. */
export function nodeUtilization(n: Node, u: Usage): { cpu: number | null; memory: number | null } {
  const allocatable = nodeResources(n, 'allocatable');
  return {
    cpu: allocatable.cpuMillis ? u.cpuMillis / allocatable.cpuMillis : null,
    memory: allocatable.memoryBytes ? u.memoryBytes / allocatable.memoryBytes : null,
  };
}

const NODE_PRIMARY: Record<'NAME' | 'CREATED_AT', (n: Node) => string | number> = {
  NAME: (n) => n.metadata?.name ?? '',
  CREATED_AT: (n) => millis(n.metadata?.creationTimestamp),
};

export function nodeOrder(
  arg: { field: NodeOrderName; direction: Direction } | null | undefined,
): Order<Node> | DeferredOrder<Node> {
  const field = arg?.field ?? 'NAME';
  const direction = arg?.direction ?? 'ASC';
  if (field === 'NAME' || field === 'CREATED_AT')
    return makeOrder<Node>(field, direction, NODE_PRIMARY[field]);
  return {
    resolve: async (ctx, cluster) => {
      const view = usableView(await ctx.loaders.usage.nodes(cluster), `ordering nodes by ${field}`);
      const value = (n: Node) => {
        const u = view.get(n.metadata?.name ?? '');
        return (u && BY_USAGE[field](n, u)) ?? undefined;
      };
      return { order: makeOptionalOrder<Node>(field, direction, value, view.version) };
    },
  };
}

const Taint = builder
  .objectRef<{ key: string; value?: string; effect: string; timeAdded?: Date }>('Taint')
  .implement({
    fields: (t) => ({
      key: t.exposeString('key'),
      value: t.exposeString('value', { nullable: true }),
      effect: t.string({
        description: 'NoSchedule, PreferNoSchedule or NoExecute.',
        resolve: (x) => x.effect,
      }),
      timeAdded: t.field({ type: DateTime, nullable: true, resolve: (x) => x.timeAdded }),
    }),
  });

const NodeAddress = builder.objectRef<{ type: string; address: string }>('NodeAddress').implement({
  fields: (t) => ({
    type: t.string({ description: 'InternalIP, ExternalIP, Hostname...', resolve: (a) => a.type }),
    address: t.exposeString('address'),
  }),
});

const NodeInfo = builder
  .objectRef<NonNullable<NonNullable<Node['status']>['nodeInfo']>>('NodeInfo')
  .implement({
    fields: (t) => ({
      kubeletVersion: t.exposeString('kubeletVersion'),
      containerRuntimeVersion: t.exposeString('containerRuntimeVersion'),
      osImage: t.exposeString('osImage'),
      kernelVersion: t.exposeString('kernelVersion'),
      operatingSystem: t.exposeString('operatingSystem'),
      architecture: t.exposeString('architecture'),
    }),
  });

builder.node(ClusterNodeRef, {
  description: 'A Kubernetes node of a cluster.',
  interfaces: [KubeObject],
  isTypeOf: isKind('Node'),
  id: { resolve: (n) => localId(n) },
  loadOne: (id, ctx) => loadByGlobalId(ctx, 'Node', false, id),
  fields: (t) => ({
    ready: t.boolean({ description: 'The kubelet reports Ready=True.', resolve: (n) => nodeReady(n.object) }),
    unschedulable: t.boolean({
      description: 'Cordoned.',
      resolve: (n) => n.object.spec?.unschedulable ?? false,
    }),
    roles: t.stringList({
      description: `From the ${NODE_ROLE_PREFIX}<role> labels, as kubectl shows ROLES.`,
      resolve: (n) => nodeRoles(n.object),
    }),
    taints: t.field({ type: [Taint], resolve: (n) => n.object.spec?.taints ?? [] }),
    conditions: t.field({ type: [Condition], resolve: (n) => n.object.status?.conditions ?? [] }),
    addresses: t.field({ type: [NodeAddress], resolve: (n) => n.object.status?.addresses ?? [] }),
    internalIP: t.string({
      nullable: true,
      resolve: (n) => nodeInternalIP(n.object),
    }),
    nodeInfo: t.field({ type: NodeInfo, nullable: true, resolve: (n) => n.object.status?.nodeInfo }),
    podCIDR: t.string({ nullable: true, resolve: (n) => n.object.spec?.podCIDR }),
    providerID: t.string({ nullable: true, resolve: (n) => n.object.spec?.providerID }),
    capacity: t.field({ type: NodeResources, resolve: (n) => nodeResources(n.object, 'capacity') }),
    allocatable: t.field({ type: NodeResources, resolve: (n) => nodeResources(n.object, 'allocatable') }),
    requested: t.field({
      type: ResourceAmounts,
      nullable: true,
      description:
        'Summed effective requests of its non-terminated pods. For a caller limited to some namespaces: of its pods in those namespaces.',
      resolve: (n, _args, ctx) =>
        loadNow(ctx.loaders.nodeUsage, { cluster: n.cluster, nodeName: n.object.metadata?.name ?? '' }),
    }),
    podCount: t.int({
      nullable: true,
      description:
        'Non-terminated pods bound to it, as `kubectl describe node` counts. For a caller limited to some namespaces: its pods only.',
      resolve: (n, _args, ctx) => {
        const usage = loadNow(ctx.loaders.nodeUsage, {
          cluster: n.cluster,
          nodeName: n.object.metadata?.name ?? '',
        });
        return usage instanceof Promise ? usage.then((u) => u.podCount) : usage.podCount;
      },
    }),
    pods: t.connection(
      {
        type: PodRef,
        nullable: true,
        description: 'Pods bound to it, any phase.',
        args: { ...podArgs, namespace: t.arg.string() },
        resolve: (n, args, ctx) =>
          loadPage(
            ctx,
            {
              ...podFilters(args),
              namespace: checkNamespace('namespace', args.namespace),
              cluster: n.cluster,
              kind: 'Pod',
              nodeName: n.object.metadata?.name ?? '',
            },
            args,
            podOrder(args.orderBy, args),
            n.object,
          ),
      },
      PodConnection,
    ),
  }),
});

for (const [field, cordon] of [
  ['cordonNode', true],
  ['uncordonNode', false],
] as const) {
  builder.mutationField(field, (t) =>
    t.field({
      type: NodeWritePayload,
      description: cordon
        ? 'Marks a node unschedulable, as `kubectl cordon` (a strategic merge patch of spec.unschedulable): no new pod is scheduled on it. RBAC: `patch` on `nodes` (cluster scope).'
        : 'Marks a node schedulable again, as `kubectl uncordon`. RBAC: `patch` on `nodes` (cluster scope).',
      args: {
        cluster: t.arg.string({ required: true }),
        name: t.arg.string({ required: true }),
        dryRun: t.arg.boolean({ description: DRY_RUN_DESCRIPTION }),
      },
      resolve: (_root, args, ctx) =>
        ctx.write.cordonNode({ cluster: args.cluster, name: requireName('name', args.name) }, cordon, {
          dryRun: args.dryRun ?? false,
        }),
    }),
  );
}

builder.mutationField('drainNode', (t) =>
  t.field({
    type: DrainNodePayload,
    description:
      'Drains a node as `kubectl drain --ignore-daemonsets --delete-emptydir-data --force`: cordons it, then evicts every pod on it (listed from the API server) except DaemonSet-owned and mirror pods, and lists each pod’s outcome. Evictions take the cluster’s write limit in turn (waiting at most writes.visibilityTimeoutMs; the rest are RATE_LIMITED: drain again). RBAC: `patch` on `nodes`, `list` on `pods` in every namespace, `create` on `pods/eviction`.',
    args: {
      cluster: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      gracePeriodSeconds: t.arg.int({
        description: 'Seconds each pod gets to stop; default: each pod’s own terminationGracePeriodSeconds.',
      }),
      dryRun: t.arg.boolean({ description: DRY_RUN_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) =>
      ctx.write.drainNode(
        { cluster: args.cluster, name: requireName('name', args.name) },
        {
          gracePeriodSeconds: checkCount('gracePeriodSeconds', args.gracePeriodSeconds),
          dryRun: args.dryRun ?? false,
        },
      ),
  }),
);
