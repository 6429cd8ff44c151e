/**
 * Small types several Kubernetes types share: labels as key/value pairs, owner references,
 * conditions, resource amounts, phase and state counts, sort direction.
 *
 * Memory is a Float: GraphQL's Int is 32-bit and a node's bytes are not (16Gi > 2^31);
 * every value stays an exact integer well below 2^53.
 */
import { JOB_STATES, type JobState, type KindName, POD_PHASES, type PodPhase } from '../loaders/index.js';
import { builder } from './builder.js';
import { DateTime } from './scalars.js';
import type { KubeShape } from './shapes.js';

export interface KeyValueShape {
  key: string;
  value: string;
}

/** A string map as pairs sorted by key, so answers are stable. */
export function pairs(map: Readonly<Record<string, string>> | undefined): KeyValueShape[] {
  if (!map) return [];
  return Object.keys(map)
    .sort()
    .map((key) => ({ key, value: map[key] }));
}

export const KeyValue = builder.objectRef<KeyValueShape>('KeyValue').implement({
  description: 'One entry of a string map (labels, annotations).',
  fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }),
});

export const OrderDirection = builder.enumType('OrderDirection', { values: ['ASC', 'DESC'] as const });

interface OwnerReferenceShape {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export const OwnerReference = builder.objectRef<OwnerReferenceShape>('OwnerReference').implement({
  description: 'The object that owns this one (a ReplicaSet, a Job, a Node for static pods...).',
  fields: (t) => ({
    apiVersion: t.exposeString('apiVersion'),
    kind: t.exposeString('kind'),
    name: t.exposeString('name'),
    uid: t.exposeString('uid'),
    controller: t.boolean({ resolve: (o) => o.controller ?? false }),
  }),
});

interface ConditionShape {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: Date | string;
  lastProbeTime?: Date | string;
  lastHeartbeatTime?: Date | string;
}

export const Condition = builder.objectRef<ConditionShape>('Condition').implement({
  description: 'A status condition, as Kubernetes reports them for pods, nodes and jobs.',
  fields: (t) => ({
    type: t.exposeString('type'),
    status: t.string({ description: '"True", "False" or "Unknown".', resolve: (c) => c.status }),
    reason: t.exposeString('reason', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    lastTransitionTime: t.field({ type: DateTime, nullable: true, resolve: (c) => c.lastTransitionTime }),
    lastProbeTime: t.field({ type: DateTime, nullable: true, resolve: (c) => c.lastProbeTime }),
    lastHeartbeatTime: t.field({
      type: DateTime,
      nullable: true,
      description: 'Nodes only: when the kubelet last reported this condition.',
      resolve: (c) => c.lastHeartbeatTime,
    }),
  }),
});

export interface AmountsShape {
  cpuMillis: number | null;
  memoryBytes: number | null;
}

export const ResourceAmounts = builder.objectRef<AmountsShape>('ResourceAmounts').implement({
  description: 'CPU and memory, parsed from Kubernetes quantities. Null: not set.',
  fields: (t) => ({
    cpuMillis: t.int({
      nullable: true,
      description: 'Millicores ("500m" is 500).',
      resolve: (a) => a.cpuMillis,
    }),
    memoryBytes: t.float({
      nullable: true,
      description: 'Bytes ("1Gi" is 1073741824).',
      resolve: (a) => a.memoryBytes,
    }),
  }),
});

export const NodeResources = builder
  .objectRef<AmountsShape & { pods: number | null }>('NodeResources')
  .implement({
    description: 'A node’s (or a cluster’s summed) capacity or allocatable resources.',
    fields: (t) => ({
      cpuMillis: t.int({ nullable: true, resolve: (a) => a.cpuMillis }),
      memoryBytes: t.float({ nullable: true, resolve: (a) => a.memoryBytes }),
      pods: t.int({ nullable: true, description: 'How many pods fit.', resolve: (a) => a.pods }),
    }),
  });

export const PodPhaseEnum = builder.enumType('PodPhase', {
  values: Object.fromEntries(POD_PHASES.map((p) => [p.toUpperCase(), { value: p }])) as Record<
    Uppercase<PodPhase>,
    { value: PodPhase }
  >,
});

export const JobStateEnum = builder.enumType('JobState', {
  description:
    'COMPLETE and FAILED are terminal (job conditions); SUSPENDED: spec.suspend; otherwise ACTIVE.',
  values: JOB_STATES,
});

interface PhaseCountsShape {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  unknown: number;
  total: number;
}

export const PodPhaseCounts = builder.objectRef<PhaseCountsShape>('PodPhaseCounts').implement({
  fields: (t) => ({
    pending: t.exposeInt('pending'),
    running: t.exposeInt('running'),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed'),
    unknown: t.exposeInt('unknown'),
    total: t.exposeInt('total'),
  }),
});

export function phaseCounts(byPhase: Record<PodPhase, number>): PhaseCountsShape {
  return {
    pending: byPhase.Pending,
    running: byPhase.Running,
    succeeded: byPhase.Succeeded,
    failed: byPhase.Failed,
    unknown: byPhase.Unknown,
    total: POD_PHASES.reduce((n, p) => n + byPhase[p], 0),
  };
}

export const JobStateCounts = builder.objectRef<Record<JobState, number>>('JobStateCounts').implement({
  fields: (t) => ({
    active: t.int({ resolve: (c) => c.ACTIVE }),
    complete: t.int({ resolve: (c) => c.COMPLETE }),
    failed: t.int({ resolve: (c) => c.FAILED }),
    suspended: t.int({ resolve: (c) => c.SUSPENDED }),
    total: t.int({ resolve: (c) => c.ACTIVE + c.COMPLETE + c.FAILED + c.SUSPENDED }),
  }),
});

/**
 * What every Kubernetes object type has, from its metadata: one interface, so a client can
 * select these fields on any object (e.g. in a Relay `node(id:)` answer) without knowing its type.
 */
export const KubeObject = builder.interfaceRef<KubeShape<KindName>>('KubeObject').implement({
  description: 'A Kubernetes object of some cluster: its metadata.',
  fields: (t) => ({
    cluster: t.string({ description: 'The name of the cluster it lives in.', resolve: (o) => o.cluster }),
    name: t.string({ resolve: (o) => o.object.metadata?.name ?? '' }),
    uid: t.string({ resolve: (o) => o.object.metadata?.uid ?? '' }),
    resourceVersion: t.string({ resolve: (o) => o.object.metadata?.resourceVersion ?? '' }),
    labels: t.field({ type: [KeyValue], resolve: (o) => pairs(o.object.metadata?.labels) }),
    label: t.string({
      nullable: true,
      description: 'The value of one label, or null when the object does not have it.',
      args: { key: t.arg.string({ required: true }) },
      resolve: (o, args) => o.object.metadata?.labels?.[args.key] ?? null,
    }),
    annotations: t.field({
      type: [KeyValue],
      description: "Annotations, without kubectl's last-applied-configuration (trimmed when cached).",
      resolve: (o) => pairs(o.object.metadata?.annotations),
    }),
    ownerReferences: t.field({
      type: [OwnerReference],
      resolve: (o) => (o.object.metadata?.ownerReferences ?? []) as OwnerReferenceShape[],
    }),
    createdAt: t.field({
      type: DateTime,
      nullable: true,
      resolve: (o) => o.object.metadata?.creationTimestamp,
    }),
    deletedAt: t.field({
      type: DateTime,
      nullable: true,
      description: 'Set while the object is being deleted (shown as Terminating).',
      resolve: (o) => o.object.metadata?.deletionTimestamp,
    }),
  }),
});
