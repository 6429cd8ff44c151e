/**
 * Subscriptions: the informers' watch events relayed to live pages, over SSE and
 * graphql-ws. One upstream watch per (cluster, kind) serves every subscriber (the
 * event hub fans out); each subscriber has a bounded queue (SLOW_CONSUMER when it
 * falls behind), its filters and its principal applied to every event, and, unless
 * `allChanges`, only the MODIFIED events that change a field it selected.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { badUserInput, GatewayError } from '../errors.js';
import {
  type EventQueue,
  type GatewayContext,
  KIND_INFO,
  type KindName,
  type ObjectEvent,
  type ObjectSubscription,
  type ReadySource,
} from '../loaders/index.js';
import { checkName, checkNamespace, checkSelector } from './args.js';
import { builder } from './builder.js';
import {
  JOB_DEPENDENCIES,
  NODE_DEPENDENCIES,
  POD_DEPENDENCIES,
  selectedObjectFields,
} from './change-dependencies.js';
import { EventRef, EventTypeEnum, eventFilters } from './event.js';
import { ClusterNodeRef, JobRef, PodRef } from './refs.js';
import { type KubeShape, wrap } from './shapes.js';

builder.subscriptionType({
  description:
    'Live events relayed from the clusters’ watches. Omitting `cluster` means every cluster you may see.',
});

const WatchEventType = builder.enumType('WatchEventType', {
  values: ['ADDED', 'MODIFIED', 'DELETED'] as const,
});

function eventType<K extends KindName>(
  name: string,
  kind: K,
  objectRef: typeof PodRef | typeof ClusterNodeRef | typeof JobRef,
) {
  return builder.objectRef<ObjectEvent<K>>(name).implement({
    description: `A change to a ${KIND_INFO[kind].kind}, in resourceVersion order per object.`,
    fields: (t) => ({
      type: t.field({ type: WatchEventType, resolve: (e) => e.type }),
      cluster: t.exposeString('cluster'),
      resourceVersion: t.exposeString('resourceVersion', {
        description:
          'The change’s resourceVersion (a DELETED’s is the deletion’s). Keep the last one of a change to resume with `sinceResourceVersion`.',
      }),
      snapshot: t.boolean({
        description:
          'True for the objects `initial: true` sends first: they come in no resourceVersion order, so do not resume from them; false for changes.',
        resolve: (e) => e.snapshot === true,
      }),
      object: t.field({
        type: objectRef as never,
        description: 'The object after the change (for DELETED, its last state).',
        resolve: (e) => wrap(e.cluster, kind, e.object) as never,
      }),
    }),
  });
}

const PodEvent = eventType('PodEvent', 'Pod', PodRef);
const EventWatchEvent = eventType('EventWatchEvent', 'Event', EventRef as never);
const ClusterNodeEvent = eventType('ClusterNodeEvent', 'Node', ClusterNodeRef);
const JobEvent = eventType('JobEvent', 'Job', JobRef);

/** The clusters a subscription relays: the one named (checked) or every visible one. */
export function targetClusters(ctx: GatewayContext, cluster: string | null | undefined): string[] {
  return ctx.clusters.targets(cluster);
}

/**
 * Relays a queue to graphql's executor. Before each event the context gets fresh
 * DataLoaders: a subscription's context lives as long as the subscription, and a
 * loader cache from the previous event would answer relations with stale data.
 * A plain iterator, not an async generator: a generator waiting for its next event
 * cannot run `finally` until that event comes, so an idle subscriber that leaves would
 * keep its hub listener; `return()` here releases it at once.
 */
export function relay<T>(
  queue: EventQueue<T>,
  ctx: GatewayContext,
): AsyncIterableIterator<T | GatewayError> & ReadySource<T | GatewayError> {
  return {
    async next() {
      const result = await queue.next();
      if (!result.done) ctx.renewLoaders();
      return result;
    },
    // The same without a promise per event (the result stream reads so: result-stream.ts).
    nextNow() {
      const result = queue.nextNow();
      if (result && !result.done) ctx.renewLoaders();
      return result;
    },
    whenReady(ready: () => void) {
      queue.whenReady(ready);
    },
    async return() {
      return (await queue.return?.()) ?? { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * A terminal error (SLOW_CONSUMER, or FORBIDDEN when the subscriber's rights were revoked)
 * reaches the client as the stream's last result, as an error with its code.
 */
function unwrap<T>(item: T | GatewayError): T {
  if (item instanceof GatewayError) throw item;
  return item;
}

interface StreamArgs {
  kind: KindName;
  clusters: string[];
  query: ObjectSubscription<KindName>['query'];
  initial: boolean;
  since?: string;
  allChanges: boolean;
  dependencies: Record<string, (obj: never) => unknown>;
}

async function startStream(ctx: GatewayContext, info: GraphQLResolveInfo, args: StreamArgs) {
  const queue = await ctx.subscribe.objects({
    kind: args.kind,
    clusters: args.clusters,
    query: args.query,
    initial: args.initial,
    since: args.since,
    selection: args.allChanges
      ? undefined
      : { fields: selectedObjectFields(info), dependencies: args.dependencies },
  });
  return relay(queue, ctx);
}

const common = {
  initial: {
    description:
      'First send every matching object as ADDED, then the live events, with no gap and no duplicate.',
  },
  allChanges: {
    description:
      'Send every MODIFIED event; by default only those that change a field you selected under `object`.',
  },
  sinceResourceVersion: {
    description:
      'Resume: first every event of `cluster` after this resourceVersion (the last one you received) that you would have received, then the live events, with no gap and no duplicate — on this replica or any other. Needs `cluster` (resourceVersions are per cluster). Older than the gateway keeps (5 minutes by default, or before the replica last relisted): the only result is an error coded RESUME_EXPIRED; refetch with `initial: true`.',
  },
};

interface CommonArgs {
  cluster?: string | null;
  initial?: boolean | null;
  allChanges?: boolean | null;
  sinceResourceVersion?: string | null;
}

/**
 * A resume names one cluster: resourceVersions are one cluster's counter, and one
 * subscription per cluster lets each resume (or expire) on its own.
 */
function checkResume(args: CommonArgs): string | undefined {
  const since = args.sinceResourceVersion ?? undefined;
  if (since === undefined) return undefined;
  if (args.initial)
    throw badUserInput(
      'expected either initial: true (a snapshot, then live) or sinceResourceVersion (a resume), received both',
      { field: 'sinceResourceVersion' },
    );
  if (args.cluster === undefined || args.cluster === null)
    throw badUserInput(
      'sinceResourceVersion needs `cluster`: a resourceVersion belongs to one cluster; subscribe once per cluster to resume each',
      { field: 'cluster' },
    );
  return since;
}

/**
 * The `subscribe` of an event field: the filter arguments are validated first (a bad
 * filter is an error before the stream starts, not a silent empty stream), then the
 * clusters are checked against the principal, then the stream starts.
 */
function subscribeTo<K extends KindName, A extends CommonArgs>(
  kind: K,
  dependencies: Record<string, (obj: never) => unknown>,
  filters: (args: A) => StreamArgs['query'],
) {
  return (_root: unknown, args: A, ctx: GatewayContext, info: GraphQLResolveInfo) => {
    const query = filters(args);
    const since = checkResume(args);
    const clusters = targetClusters(ctx, args.cluster);
    const initial = args.initial ?? false;
    const allChanges = args.allChanges ?? false;
    return startStream(ctx, info, {
      kind,
      clusters,
      query,
      initial,
      since,
      allChanges,
      dependencies,
    }) as never;
  };
}

builder.subscriptionFields((t) => {
  const flags = {
    initial: t.arg.boolean({ defaultValue: false, ...common.initial }),
    allChanges: t.arg.boolean({ defaultValue: false, ...common.allChanges }),
    sinceResourceVersion: t.arg.string(common.sinceResourceVersion),
  };
  return {
    podEvents: t.field({
      type: PodEvent,
      description: 'Pod changes matching the filters.',
      args: {
        cluster: t.arg.string(),
        namespace: t.arg.string(),
        labelSelector: t.arg.string(),
        nodeName: t.arg.string(),
        jobName: t.arg.string(),
        ...flags,
      },
      subscribe: subscribeTo('Pod', POD_DEPENDENCIES, (args) => ({
        namespace: checkNamespace('namespace', args.namespace),
        labelSelector: checkSelector(args.labelSelector),
        nodeName: checkName('nodeName', args.nodeName),
        jobName: checkName('jobName', args.jobName),
      })),
      resolve: (event) => unwrap(event as ObjectEvent<'Pod'> | GatewayError),
    }),
    nodeEvents: t.field({
      type: ClusterNodeEvent,
      description: 'Node changes matching the filters.',
      args: { cluster: t.arg.string(), labelSelector: t.arg.string(), ...flags },
      subscribe: subscribeTo('Node', NODE_DEPENDENCIES, (args) => ({
        labelSelector: checkSelector(args.labelSelector),
      })),
      resolve: (event) => unwrap(event as ObjectEvent<'Node'> | GatewayError),
    }),
    jobEvents: t.field({
      type: JobEvent,
      description: 'Job changes matching the filters.',
      args: { cluster: t.arg.string(), namespace: t.arg.string(), labelSelector: t.arg.string(), ...flags },
      subscribe: subscribeTo('Job', JOB_DEPENDENCIES, (args) => ({
        namespace: checkNamespace('namespace', args.namespace),
        labelSelector: checkSelector(args.labelSelector),
      })),
      resolve: (event) => unwrap(event as ObjectEvent<'Job'> | GatewayError),
    }),
    events: t.field({
      type: EventWatchEvent,
      description: 'Kubernetes Events (what happened to objects) as they are recorded, matching the filters.',
      args: {
        cluster: t.arg.string(),
        namespace: t.arg.string(),
        type: t.arg({ type: EventTypeEnum }),
        reason: t.arg.string(),
        involvedKind: t.arg.string(),
        involvedName: t.arg.string(),
        ...flags,
      },
      subscribe: subscribeTo('Event', {}, (args) => ({
        ...eventFilters(args),
        namespace: checkNamespace('namespace', args.namespace),
      })),
      resolve: (event) => unwrap(event as ObjectEvent<'Event'> | GatewayError),
    }),
  };
});

export type { KubeShape };
