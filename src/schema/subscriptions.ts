/**
 * Subscriptions: the informers' watch events relayed to live pages, over SSE and
 * graphql-ws. One upstream watch per (cluster, kind) serves every subscriber (the
 * event hub fans out); each subscriber has a bounded queue (SLOW_CONSUMER when it
 * falls behind), its filters and its principal applied to every event, and, unless
 * `allChanges`, only the MODIFIED events that change a field it selected.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { forbidden, notFound } from '../errors.js';
import { KIND_INFO, type KindName, type KubeObjectOf } from '../kube/kinds.js';
import type { ClusterDirectory } from '../loaders/directory.js';
import { SlowConsumerError } from '../loaders/event-queue.js';
import { createContext, type GatewayContext } from '../loaders/index.js';
import { compileMatcher, type ListKey } from '../loaders/keys.js';
import { canSeeCluster, canSeeNamespace, principalKey, seesAllNamespaces } from '../loaders/principal.js';
import { type ObjectEvent, objectEventStream, selectionComparator } from '../loaders/streams.js';
import { checkName, checkNamespace, checkSelector } from './args.js';
import { builder } from './builder.js';
import {
  JOB_DEPENDENCIES,
  NODE_DEPENDENCIES,
  POD_DEPENDENCIES,
  selectedObjectFields,
} from './change-dependencies.js';
import { ClusterNodeRef, JobRef, PodRef } from './refs.js';
import { type KubeShape, wrap } from './shapes.js';

/**
 * Live events that may wait for one subscriber before it is cut off. A value that is
 * not a positive integer is refused at start: NaN would compare false and leave every
 * queue unbounded.
 */
export const SUBSCRIBER_QUEUE_LIMIT = queueLimit(process.env.KUBEGATE_SUBSCRIBER_QUEUE);

function queueLimit(text: string | undefined): number {
  if (text === undefined || text === '') return 1000;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `KUBEGATE_SUBSCRIBER_QUEUE: expected a positive integer, received ${JSON.stringify(text)}`,
    );
  }
  return n;
}

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
      resourceVersion: t.exposeString('resourceVersion'),
      object: t.field({
        type: objectRef as never,
        description: 'The object after the change (for DELETED, its last state).',
        resolve: (e) => wrap(e.cluster, kind, e.object) as never,
      }),
    }),
  });
}

const PodEvent = eventType('PodEvent', 'Pod', PodRef);
const ClusterNodeEvent = eventType('ClusterNodeEvent', 'Node', ClusterNodeRef);
const JobEvent = eventType('JobEvent', 'Job', JobRef);

/** The clusters a subscription relays: the one named (checked) or every visible one. */
export function targetClusters(ctx: GatewayContext, cluster: string | null | undefined): string[] {
  if (cluster === null || cluster === undefined) {
    return ctx.directory
      .list()
      .map((c) => c.name)
      .filter((name) => canSeeCluster(ctx.principal, name));
  }
  if (!ctx.directory.get(cluster)) {
    const known = ctx.directory
      .list()
      .map((c) => c.name)
      .filter((n) => canSeeCluster(ctx.principal, n));
    throw notFound(
      `expected one of the clusters ${JSON.stringify(known)}, received ${JSON.stringify(cluster)}`,
      {
        cluster,
      },
    );
  }
  if (!canSeeCluster(ctx.principal, cluster)) {
    throw forbidden(`principal "${ctx.principal.name}" may not see cluster "${cluster}"`, { cluster });
  }
  return [cluster];
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
  queue: AsyncIterableIterator<T | SlowConsumerError>,
  ctx: GatewayContext,
): AsyncIterableIterator<T | SlowConsumerError> {
  // Built on first use per event: most event selections (name, phase, labels) resolve
  // without a loader, and with a thousand subscribers per event that saving counts.
  let loaders: GatewayContext['loaders'] | undefined;
  Object.defineProperty(ctx, 'loaders', {
    configurable: true,
    enumerable: true,
    get: () => {
      loaders ??= createContext({ directory: ctx.directory, principal: ctx.principal }).loaders;
      return loaders;
    },
    set: (value: GatewayContext['loaders']) => {
      loaders = value;
    },
  });
  return {
    async next() {
      const result = await queue.next();
      if (!result.done) loaders = undefined;
      return result;
    },
    async return() {
      return (await queue.return?.()) ?? { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** SLOW_CONSUMER reaches the client as the stream's last result, as an error with its code. */
function unwrap<T>(item: T | SlowConsumerError): T {
  if (item instanceof SlowConsumerError) throw item;
  return item;
}

interface StreamArgs {
  kind: KindName;
  clusters: string[];
  key: Omit<ListKey, 'cluster' | 'kind'>;
  initial: boolean;
  allChanges: boolean;
  dependencies: Record<string, (obj: never) => unknown>;
}

async function startStream(ctx: GatewayContext, info: GraphQLResolveInfo, args: StreamArgs) {
  const { principal, directory } = ctx;
  const match = compileMatcher({ cluster: '', kind: args.kind, ...args.key });
  const namespaced = KIND_INFO[args.kind].namespaced;
  const visible = (obj: KubeObjectOf<KindName>) =>
    !namespaced || seesAllNamespaces(principal) || canSeeNamespace(principal, obj.metadata?.namespace);
  const selected = selectedObjectFields(info);
  const shareKey = JSON.stringify([
    args.kind,
    [...args.clusters].sort(),
    args.key,
    principalKey(principal),
    args.allChanges ? '*' : [...selected].sort(),
  ]);
  const queue = await objectEventStream({
    shareKey,
    directory: directory as ClusterDirectory,
    kind: args.kind,
    clusters: args.clusters,
    matches: (obj) => visible(obj) && match(obj),
    changed: args.allChanges ? undefined : selectionComparator(selected, args.dependencies as never),
    initial: args.initial,
    queueLimit: SUBSCRIBER_QUEUE_LIMIT,
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
};

interface CommonArgs {
  cluster?: string | null;
  initial?: boolean | null;
  allChanges?: boolean | null;
}

/**
 * The `subscribe` of an event field: the filter arguments are validated first (a bad
 * filter is an error before the stream starts, not a silent empty stream), then the
 * clusters are checked against the principal, then the stream starts.
 */
function subscribeTo<K extends KindName, A extends CommonArgs>(
  kind: K,
  dependencies: Record<string, (obj: never) => unknown>,
  filters: (args: A) => StreamArgs['key'],
) {
  return (_root: unknown, args: A, ctx: GatewayContext, info: GraphQLResolveInfo) => {
    const key = filters(args);
    const clusters = targetClusters(ctx, args.cluster);
    const initial = args.initial ?? false;
    const allChanges = args.allChanges ?? false;
    return startStream(ctx, info, { kind, clusters, key, initial, allChanges, dependencies }) as never;
  };
}

builder.subscriptionFields((t) => {
  const flags = {
    initial: t.arg.boolean({ defaultValue: false, ...common.initial }),
    allChanges: t.arg.boolean({ defaultValue: false, ...common.allChanges }),
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
      resolve: (event) => unwrap(event as ObjectEvent<'Pod'> | SlowConsumerError),
    }),
    nodeEvents: t.field({
      type: ClusterNodeEvent,
      description: 'Node changes matching the filters.',
      args: { cluster: t.arg.string(), labelSelector: t.arg.string(), ...flags },
      subscribe: subscribeTo('Node', NODE_DEPENDENCIES, (args) => ({
        labelSelector: checkSelector(args.labelSelector),
      })),
      resolve: (event) => unwrap(event as ObjectEvent<'Node'> | SlowConsumerError),
    }),
    jobEvents: t.field({
      type: JobEvent,
      description: 'Job changes matching the filters.',
      args: { cluster: t.arg.string(), namespace: t.arg.string(), labelSelector: t.arg.string(), ...flags },
      subscribe: subscribeTo('Job', JOB_DEPENDENCIES, (args) => ({
        namespace: checkNamespace('namespace', args.namespace),
        labelSelector: checkSelector(args.labelSelector),
      })),
      resolve: (event) => unwrap(event as ObjectEvent<'Job'> | SlowConsumerError),
    }),
  };
});

export type { KubeShape };
