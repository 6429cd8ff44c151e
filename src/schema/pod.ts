/** Pod: the object, its relations (node, job) and the pod connections' arguments and ordering. */
import {
  effectivePodRequests,
  jobNameOfPod,
  type KubeObjectOf,
  POD_PHASES,
  podPhase,
  podReady,
  podRestarts,
} from '../loaders/index.js';
import {
  checkCount,
  checkName,
  checkNamespace,
  checkSearch,
  checkSelector,
  makeOrder,
  requireName,
  requireNamespace,
} from './args.js';
import { builder } from './builder.js';
import { Condition, KubeObject, OrderDirection, PodPhaseEnum, ResourceAmounts } from './common.js';
import { Container, containersOf } from './container.js';
import type { Direction } from './pagination.js';
import { ClusterNodeRef, isKind, JobRef, loadByGlobalId, PodRef } from './refs.js';
import { DateTime, millis } from './scalars.js';
import { localId, wrap } from './shapes.js';
import { DRY_RUN_DESCRIPTION, PodWritePayload } from './writes.js';

type Pod = KubeObjectOf<'Pod'>;

const PodOrderField = builder.enumType('PodOrderField', {
  values: ['NAME', 'NAMESPACE', 'CREATED_AT', 'PHASE', 'RESTARTS', 'NODE'] as const,
});

const PodOrder = builder.inputType('PodOrder', {
  fields: (t) => ({
    field: t.field({ type: PodOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true, defaultValue: 'ASC' }),
  }),
});

const PRIMARY: Record<(typeof PodOrderField)['$inferType'], (p: Pod) => string | number> = {
  NAME: (p) => p.metadata?.name ?? '',
  NAMESPACE: (p) => p.metadata?.namespace ?? '',
  CREATED_AT: (p) => millis(p.metadata?.creationTimestamp),
  PHASE: (p) => POD_PHASES.indexOf(podPhase(p)), // lifecycle order, not alphabetical
  RESTARTS: (p) => podRestarts(p),
  NODE: (p) => p.spec?.nodeName ?? '',
};

/** Default: by namespace, then name, as `kubectl get pods -A` lists them. */
export function podOrder(arg: { field: keyof typeof PRIMARY; direction: Direction } | null | undefined) {
  const field = arg?.field ?? 'NAMESPACE';
  return makeOrder<Pod>(field, arg?.direction ?? 'ASC', PRIMARY[field]);
}

/** Arguments every pod connection takes. */
export const podArgs = builder.args((t) => ({
  labelSelector: t.string({ description: 'Kubernetes label selector syntax, e.g. "app=web,tier in (a,b)".' }),
  phase: t.field({ type: PodPhaseEnum }),
  search: t.string({ description: 'Case-insensitive substring of the name.' }),
  orderBy: t.field({ type: PodOrder }),
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
    podIPs: t.stringList({ resolve: (p) => (p.object.status?.podIPs ?? []).map((ip) => ip.ip) }),
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
      resolve: (p) => containersOf(p.object.spec?.containers, p.object.status?.containerStatuses, false),
    }),
    initContainers: t.field({
      type: [Container],
      resolve: (p) =>
        containersOf(p.object.spec?.initContainers, p.object.status?.initContainerStatuses, true),
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
