/** Pod: the object, its relations (node, job) and the pod connections' arguments and ordering. */
import {
  cpuOverRequest,
  effectivePodRequests,
  jobNameOfPod,
  type KubeObjectOf,
  memoryNearLimit,
  POD_PHASES,
  type PodUsage,
  podIPs,
  podPhase,
  podReady,
  podRestarts,
  podUtilization,
  usableView,
} from '../loaders/index.js';
import {
  checkCount,
  checkName,
  checkNamespace,
  checkSearch,
  checkSelector,
  type DeferredOrder,
  makeOptionalOrder,
  makeOrder,
  requireName,
  requireNamespace,
} from './args.js';
import { builder } from './builder.js';
import { Condition, KubeObject, OrderDirection, PodPhaseEnum, ResourceAmounts } from './common.js';
import { Container, containersOf } from './container.js';
import type { Direction, Order } from './pagination.js';
import { ClusterNodeRef, isKind, JobRef, loadByGlobalId, PodRef } from './refs.js';
import { DateTime, millis } from './scalars.js';
import { localId, type PodShape, wrap } from './shapes.js';
import { DRY_RUN_DESCRIPTION, PodWritePayload } from './writes.js';

type Pod = KubeObjectOf<'Pod'>;

const PodOrderField = builder.enumType('PodOrderField', {
  description:
    'CPU_USAGE and MEMORY_USAGE order by live usage, CPU_UTILIZATION and MEMORY_UTILIZATION by usage over requests (utilization.cpuOfRequest, memoryOfRequest); pods without usage (not running, no metrics API, or usage the caller may not see) or without a request sort last either way.',
  values: [
    'NAME',
    'NAMESPACE',
    'CREATED_AT',
    'PHASE',
    'RESTARTS',
    'NODE',
    'CPU_USAGE',
    'MEMORY_USAGE',
    'CPU_UTILIZATION',
    'MEMORY_UTILIZATION',
  ] as const,
});

const PodOrder = builder.inputType('PodOrder', {
  fields: (t) => ({
    field: t.field({ type: PodOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true, defaultValue: 'ASC' }),
  }),
});

type PodOrderName = (typeof PodOrderField)['$inferType'];
type UsageOrderName = 'CPU_USAGE' | 'MEMORY_USAGE' | 'CPU_UTILIZATION' | 'MEMORY_UTILIZATION';

const BY_USAGE: Record<UsageOrderName, (p: Pod, u: PodUsage) => number | null> = {
  CPU_USAGE: (_p, u) => u.cpuMillis,
  MEMORY_USAGE: (_p, u) => u.memoryBytes,
  CPU_UTILIZATION: (p, u) => podUtilization(p, u).cpuOfRequest,
  MEMORY_UTILIZATION: (p, u) => podUtilization(p, u).memoryOfRequest,
};

const isUsageOrder = (field: PodOrderName): field is UsageOrderName => Object.hasOwn(BY_USAGE, field);

const PRIMARY: Record<Exclude<PodOrderName, UsageOrderName>, (p: Pod) => string | number> = {
  NAME: (p) => p.metadata?.name ?? '',
  NAMESPACE: (p) => p.metadata?.namespace ?? '',
  CREATED_AT: (p) => millis(p.metadata?.creationTimestamp),
  PHASE: (p) => POD_PHASES.indexOf(podPhase(p)), // lifecycle order, not alphabetical
  RESTARTS: (p) => podRestarts(p),
  NODE: (p) => p.spec?.nodeName ?? '',
};

/** The usage signals a pod connection filters on. */
export interface PodSignalArgs {
  memoryNearLimit?: boolean | null;
  cpuOverRequest?: boolean | null;
}

/**
 * Default: by namespace, then name, as `kubectl get pods -A` lists them. Orders by usage
 * and the usage signals read the cluster's pod metrics (one fetch per window, shared)
 * before the list is sorted.
 */
export function podOrder(
  arg: { field: PodOrderName; direction: Direction } | null | undefined,
  signals: PodSignalArgs = {},
): Order<Pod> | DeferredOrder<Pod> {
  const field = arg?.field ?? 'NAMESPACE';
  const direction = arg?.direction ?? 'ASC';
  const near = signals.memoryNearLimit ?? undefined;
  const over = signals.cpuOverRequest ?? undefined;
  if (!isUsageOrder(field) && near === undefined && over === undefined)
    return makeOrder<Pod>(field, direction, PRIMARY[field]);
  return {
    resolve: async (ctx, cluster) => {
      const view = usableView(
        await ctx.loaders.usage.pods(cluster),
        isUsageOrder(field)
          ? `ordering pods by ${field}`
          : `filtering pods by ${near !== undefined ? 'memoryNearLimit' : 'cpuOverRequest'}`,
      );
      const usage = (p: Pod) => view.get(p.metadata?.namespace ?? '', p.metadata?.name ?? '');
      const order = isUsageOrder(field)
        ? makeOptionalOrder<Pod>(
            field,
            direction,
            (p) => {
              const u = usage(p);
              return (u && BY_USAGE[field](p, u)) ?? undefined;
            },
            view.version,
          )
        : makeOrder<Pod>(field, direction, PRIMARY[field]);
      if (near === undefined && over === undefined) return { order };
      const keep = (p: Pod) => {
        const u = usage(p);
        const utilization = u ? podUtilization(p, u) : undefined;
        if (near !== undefined && (utilization ? memoryNearLimit(utilization) : false) !== near) return false;
        if (over !== undefined && (utilization ? cpuOverRequest(utilization) : false) !== over) return false;
        return true;
      };
      return { order, keep };
    },
  };
}

/** Arguments every pod connection takes. */
export const podArgs = builder.args((t) => ({
  labelSelector: t.string({ description: 'Kubernetes label selector syntax, e.g. "app=web,tier in (a,b)".' }),
  phase: t.field({ type: PodPhaseEnum }),
  search: t.string({ description: 'Case-insensitive substring of the name.' }),
  orderBy: t.field({ type: PodOrder }),
  memoryNearLimit: t.boolean({
    description:
      'true: only pods using at least 90 % of their memory limit (utilization.memoryOfLimit >= 0.9: the OOM killer is near); false: only the others. Reads live usage (metrics.k8s.io).',
  }),
  cpuOverRequest: t.boolean({
    description:
      'true: only pods using more CPU than they request (utilization.cpuOfRequest > 1; pods without a CPU request never are); false: only the others. Reads live usage (metrics.k8s.io).',
  }),
}));

/** Arguments of pod connections that are not already narrowed to a node or job. */
export const podScopeArgs = builder.args((t) => ({
  namespace: t.string(),
  nodeName: t.string({ description: 'Pods bound to this node.' }),
  jobName: t.string({ description: 'Pods of this job; combine with namespace.' }),
}));

type PodArgs = {
  labelSelector?: string | null;
  phase?: string | null;
  search?: string | null;
  namespace?: string | null;
  nodeName?: string | null;
  jobName?: string | null;
};

/** Validated filters as a list key's fields. */
export function podFilters(args: PodArgs) {
  return {
    namespace: checkNamespace('namespace', args.namespace),
    nodeName: checkName('nodeName', args.nodeName),
    jobName: checkName('jobName', args.jobName),
    labelSelector: checkSelector(args.labelSelector),
    phase: args.phase ?? undefined,
    search: checkSearch(args.search),
  };
}

const podRef = (p: PodShape) => ({
  cluster: p.cluster,
  namespace: p.object.metadata?.namespace ?? '',
  name: p.object.metadata?.name ?? '',
});

builder.node(PodRef, {
  interfaces: [KubeObject],
  isTypeOf: isKind('Pod'),
  id: { resolve: (p) => localId(p) },
  loadOne: (id, ctx) => loadByGlobalId(ctx, 'Pod', true, id),
  fields: (t) => ({
    namespace: t.string({ resolve: (p) => p.object.metadata?.namespace ?? '' }),
    phase: t.field({ type: PodPhaseEnum, resolve: (p) => podPhase(p.object) }),
    ready: t.boolean({ description: 'The Ready condition is True.', resolve: (p) => podReady(p.object) }),
    restarts: t.int({
      description: 'Restarts of all its containers.',
      resolve: (p) => podRestarts(p.object),
    }),
    reason: t.string({
      nullable: true,
      description: 'e.g. Evicted.',
      resolve: (p) => p.object.status?.reason,
    }),
    message: t.string({ nullable: true, resolve: (p) => p.object.status?.message }),
    nodeName: t.string({ nullable: true, resolve: (p) => p.object.spec?.nodeName || null }),
    node: t.field({
      type: ClusterNodeRef,
      nullable: true,
      description: 'The node it is bound to; null while unscheduled.',
      resolve: async (p, _args, ctx) => {
        const name = p.object.spec?.nodeName;
        if (!name) return null;
        const node = await ctx.loaders.object.load({ cluster: p.cluster, kind: 'Node', name });
        return node ? wrap(p.cluster, 'Node', node) : null;
      },
    }),
    job: t.field({
      type: JobRef,
      nullable: true,
      description: 'The Job that owns it (controller reference, or the job-name label).',
      resolve: async (p, _args, ctx) => {
        const name = jobNameOfPod(p.object);
        const namespace = p.object.metadata?.namespace;
        if (!name || !namespace) return null;
        const job = await ctx.loaders.object.load({ cluster: p.cluster, kind: 'Job', namespace, name });
        return job ? wrap(p.cluster, 'Job', job) : null;
      },
    }),
    podIP: t.string({ nullable: true, resolve: (p) => p.object.status?.podIP }),
    podIPs: t.stringList({ resolve: (p) => podIPs(p.object) }),
    hostIP: t.string({ nullable: true, resolve: (p) => p.object.status?.hostIP }),
    startedAt: t.field({
      type: DateTime,
      nullable: true,
      description: 'When the kubelet accepted it (status.startTime).',
      resolve: (p) => p.object.status?.startTime,
    }),
    qosClass: t.string({ nullable: true, resolve: (p) => p.object.status?.qosClass }),
    priority: t.int({ nullable: true, resolve: (p) => p.object.spec?.priority }),
    priorityClassName: t.string({ nullable: true, resolve: (p) => p.object.spec?.priorityClassName }),
    serviceAccountName: t.string({ nullable: true, resolve: (p) => p.object.spec?.serviceAccountName }),
    restartPolicy: t.string({ nullable: true, resolve: (p) => p.object.spec?.restartPolicy }),
    containers: t.field({
      type: [Container],
      resolve: (p) =>
        containersOf(p.object.spec?.containers, p.object.status?.containerStatuses, false, podRef(p)),
    }),
    initContainers: t.field({
      type: [Container],
      resolve: (p) =>
        containersOf(p.object.spec?.initContainers, p.object.status?.initContainerStatuses, true, podRef(p)),
    }),
    requested: t.field({
      type: ResourceAmounts,
      description: 'What the scheduler reserves for it: containers, init containers, sidecars and overhead.',
      resolve: (p) => effectivePodRequests(p.object),
    }),
    conditions: t.field({ type: [Condition], resolve: (p) => p.object.status?.conditions ?? [] }),
  }),
});

builder.mutationField('deletePod', (t) =>
  t.field({
    type: PodWritePayload,
    description:
      'Deletes a pod, as `kubectl delete pod`: gracefully unless gracePeriodSeconds is 0. RBAC: `delete` on `pods` in the namespace.',
    args: {
      cluster: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      gracePeriodSeconds: t.arg.int({
        description:
          'Seconds the pod gets to stop (0: at once); default: the pod’s own terminationGracePeriodSeconds.',
      }),
      dryRun: t.arg.boolean({ description: DRY_RUN_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) =>
      ctx.write.deletePod(
        {
          cluster: args.cluster,
          namespace: requireNamespace('namespace', args.namespace),
          name: requireName('name', args.name),
        },
        {
          gracePeriodSeconds: checkCount('gracePeriodSeconds', args.gracePeriodSeconds),
          dryRun: args.dryRun ?? false,
        },
      ),
  }),
);

builder.mutationField('evictPod', (t) =>
  t.field({
    type: PodWritePayload,
    description:
      'Evicts a pod through the Eviction API (policy/v1), as `kubectl drain` does for each pod: the API server deletes it gracefully unless a PodDisruptionBudget forbids it (RATE_LIMITED with the server’s reason). RBAC: `create` on `pods/eviction` in the namespace.',
    args: {
      cluster: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      dryRun: t.arg.boolean({ description: DRY_RUN_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) =>
      ctx.write.evictPod(
        {
          cluster: args.cluster,
          namespace: requireNamespace('namespace', args.namespace),
          name: requireName('name', args.name),
        },
        { dryRun: args.dryRun ?? false },
      ),
  }),
);
