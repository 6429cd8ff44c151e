/** Containers of a pod: spec (image, requests, limits) joined with status (ready, restarts, state). */
import { containerResources, type KubeObjectOf } from '../loaders/index.js';

type PodSpec = NonNullable<KubeObjectOf<'Pod'>['spec']>;
type V1Container = PodSpec['containers'][number];
type V1ContainerStatus = NonNullable<NonNullable<KubeObjectOf<'Pod'>['status']>['containerStatuses']>[number];
type V1ContainerState = NonNullable<V1ContainerStatus['state']>;

import { builder } from './builder.js';
import { ResourceAmounts } from './common.js';
import { DateTime } from './scalars.js';

export interface ContainerShape {
  spec: V1Container;
  status?: V1ContainerStatus;
  init: boolean;
  /** The pod it belongs to (its usage is looked up by it). */
  pod?: { cluster: string; namespace: string; name: string };
}

interface StateShape {
  state: 'WAITING' | 'RUNNING' | 'TERMINATED';
  reason?: string;
  message?: string;
  exitCode?: number;
  signal?: number;
  startedAt?: Date;
  finishedAt?: Date;
}

/** One of running / waiting / terminated, flattened; null when the kubelet reported none. */
function stateOf(s: V1ContainerState | undefined): StateShape | null {
  if (s?.running) return { state: 'RUNNING', startedAt: s.running.startedAt };
  if (s?.terminated) {
    const t = s.terminated;
    return {
      state: 'TERMINATED',
      reason: t.reason,
      message: t.message,
      exitCode: t.exitCode,
      signal: t.signal,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
    };
  }
  if (s?.waiting) return { state: 'WAITING', reason: s.waiting.reason, message: s.waiting.message };
  return null;
}

const ContainerStateKind = builder.enumType('ContainerStateKind', {
  values: ['WAITING', 'RUNNING', 'TERMINATED'] as const,
});

const ContainerState = builder.objectRef<StateShape>('ContainerState').implement({
  description: 'What `kubectl describe pod` shows as State: e.g. WAITING with reason CrashLoopBackOff.',
  fields: (t) => ({
    state: t.field({ type: ContainerStateKind, resolve: (s) => s.state }),
    reason: t.exposeString('reason', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    signal: t.exposeInt('signal', { nullable: true }),
    startedAt: t.field({ type: DateTime, nullable: true, resolve: (s) => s.startedAt }),
    finishedAt: t.field({ type: DateTime, nullable: true, resolve: (s) => s.finishedAt }),
  }),
});

const ContainerPort = builder
  .objectRef<{ name?: string; containerPort: number; protocol?: string }>('ContainerPort')
  .implement({
    fields: (t) => ({
      name: t.exposeString('name', { nullable: true }),
      containerPort: t.exposeInt('containerPort'),
      protocol: t.string({ resolve: (p) => p.protocol ?? 'TCP' }),
    }),
  });

export const Container = builder.objectRef<ContainerShape>('Container').implement({
  fields: (t) => ({
    name: t.string({ resolve: (c) => c.spec.name }),
    image: t.string({ nullable: true, resolve: (c) => c.spec.image }),
    imageID: t.string({ nullable: true, resolve: (c) => c.status?.imageID || null }),
    init: t.boolean({ description: 'An init container (sidecars included).', resolve: (c) => c.init }),
    sidecar: t.boolean({
      description: 'An init container with restartPolicy Always, running next to the app containers.',
      resolve: (c) => c.init && c.spec.restartPolicy === 'Always',
    }),
    ready: t.boolean({ resolve: (c) => c.status?.ready ?? false }),
    started: t.boolean({ nullable: true, resolve: (c) => c.status?.started }),
    restartCount: t.int({ resolve: (c) => c.status?.restartCount ?? 0 }),
    state: t.field({ type: ContainerState, nullable: true, resolve: (c) => stateOf(c.status?.state) }),
    lastState: t.field({
      type: ContainerState,
      nullable: true,
      description: 'The previous run, e.g. why it was last restarted (OOMKilled).',
      resolve: (c) => stateOf(c.status?.lastState),
    }),
    requests: t.field({
      type: ResourceAmounts,
      resolve: (c) => containerResources(c.spec.resources?.requests),
    }),
    limits: t.field({ type: ResourceAmounts, resolve: (c) => containerResources(c.spec.resources?.limits) }),
    ports: t.field({ type: [ContainerPort], resolve: (c) => c.spec.ports ?? [] }),
  }),
});

/** A pod's containers of one list (app or init) joined to their statuses by name. */
export function containersOf(
  specs: readonly V1Container[] | undefined,
  statuses: readonly V1ContainerStatus[] | undefined,
  init: boolean,
  pod?: ContainerShape['pod'],
): ContainerShape[] {
  return (specs ?? []).map((spec) => ({
    spec,
    status: statusNamed(statuses, spec.name),
    init,
    ...(pod ? { pod } : {}),
  }));
}

/** The status of the container `name`. A loop: the mirror's arrays are frozen (ARCHITECTURE, Conventions). */
function statusNamed(
  statuses: readonly V1ContainerStatus[] | undefined,
  name: string,
): V1ContainerStatus | undefined {
  if (statuses === undefined || statuses === null) return undefined;
  for (let i = 0; i < statuses.length; i++) if (statuses[i].name === name) return statuses[i];
  return undefined;
}
