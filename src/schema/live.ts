/**
 * Live aggregates and status: values recomputed from the caches when the events they
 * depend on arrive, pushed only when they change, at most a few times a second per
 * subscriber (see LiveValue). `clusterStatus` tells a page when a cluster loses or
 * regains its watches, relists, or goes stale, so "live" can be shown honestly.
 */
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import { forbidden, notFound } from '../errors.js';
import {
  type GatewayContext,
  KIND_INFO,
  type ClusterStatus as KubeClusterStatus,
  type KubeObjectOf,
  LiveValue,
  unwrapLive,
} from '../loaders/index.js';
import { checkName } from './args.js';
import { builder } from './builder.js';
import { ClusterStatus, type StatusShape } from './cluster-status.js';
import { ClusterSummary } from './cluster-summary.js';
import { ClusterNodeRef } from './refs.js';
import { wrap } from './shapes.js';
import { targetClusters } from './subscriptions.js';

/** Minimum time between two pushes of one live value to one subscriber. */
const COALESCE_MS = 250;

/** The context with empty loader caches: a live value is recomputed from what is there now. */
function fresh(ctx: GatewayContext): GatewayContext {
  ctx.renewLoaders();
  return ctx;
}

/**
 * A live value of a cluster the caller could read when it subscribed: when its rights
 * there are gone (a binding removed), the subscription ends with FORBIDDEN rather than
 * going quiet or answering as if the cluster had vanished.
 */
function stillReadable(ctx: GatewayContext, cluster: string): void {
  if (ctx.clusters.revoked(cluster))
    throw forbidden(`the caller may no longer read cluster "${cluster}": its access changed`, { cluster });
}

const ClusterStatusEvent = builder
  .objectRef<{ cluster: string; reason: string; live: boolean; stale: boolean; status: StatusShape }>(
    'ClusterStatusEvent',
  )
  .implement({
    description: 'A change in how connected and fresh a cluster’s caches are.',
    fields: (t) => ({
      cluster: t.exposeString('cluster'),
      reason: t.exposeString('reason', {
        description:
          'What changed: INITIAL, CONNECTED, DISCONNECTED, SYNCED, RELISTED, STALE, ERROR or REMOVED.',
      }),
      live: t.exposeBoolean('live', {
        description: 'Every informer has synced, holds an open watch and is not stale.',
      }),
      stale: t.exposeBoolean('stale', {
        description:
          'An informer’s cache may be behind: its watch went silent (neither an event nor a bookmark) for longer than the liveness interval, or it has been without a watch for more than 10 s. `status.staleSeconds` says for how long.',
      }),
      status: t.field({ type: ClusterStatus, resolve: (e) => e.status }),
    }),
  });

interface StatusSnapshot {
  cluster: string;
  live: boolean;
  stale: boolean;
  status?: KubeClusterStatus;
  signature: string;
}

/**
 * Staleness is the reflectors' (kube/reflector.ts): a watch silent past the liveness
 * interval, or none for more than 10 s. Its age is left out of the signature, or every
 * poll of a stale cluster would be a change.
 */
function snapshot(ctx: GatewayContext, name: string): StatusSnapshot {
  const status = ctx.clusters.status(name);
  if (!status) return { cluster: name, live: false, stale: true, signature: 'removed' };
  const stale = status.stale;
  const live = status.cache && status.ready && !stale && status.kinds.every((k) => k.connected);
  const signature = JSON.stringify([
    live,
    stale,
    status.ready,
    status.kinds.map((k) => [k.synced, k.connected, k.relists, k.lastError ?? null]),
  ]);
  return { cluster: name, live, stale, status, signature };
}

function reasonFor(prev: StatusSnapshot | undefined, next: StatusSnapshot): string {
  if (!prev) return 'INITIAL';
  if (!next.status) return 'REMOVED';
  const before = prev.status?.kinds ?? [];
  const relisted = next.status.kinds.some((k, i) => k.relists > (before[i]?.relists ?? 0));
  if (next.stale && !prev.stale) return 'STALE';
  if (relisted) return 'RELISTED';
  if (next.live && !prev.live) return prev.status?.ready ? 'CONNECTED' : 'SYNCED';
  if (!next.live && prev.live) return 'DISCONNECTED';
  return 'ERROR';
}

/** The fields of a live value that read usage (the metrics API) rather than the caches. */
const USAGE_FIELDS = new Set([
  'usage',
  'utilization',
  'usageHistory',
  'podsNearMemoryLimit',
  'podsOverCpuRequest',
]);
const SIGNAL_FIELDS = new Set(['podsNearMemoryLimit', 'podsOverCpuRequest']);

/** Whether the subscription's selection (fragments included) asks for one of `names`, at its first level. */
function selects(info: GraphQLResolveInfo, names: ReadonlySet<string>): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return names.has(s.name.value);
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      return visit(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((f) => visit(f.selectionSet));
}

/**
 * Usage changes once per metrics window and nothing publishes it: a live value that shows
 * it ticks once per window (only while subscribed), reading an answer fetched within the
 * window — one fetch per cluster and window, however many subscribers — and pushes when
 * a new window's answer came (its version moves).
 */
async function usageStamp(ctx: GatewayContext, cluster: string, pods: boolean): Promise<string> {
  const { usage } = ctx.loaders;
  await usage.refresh(cluster, { pods });
  const [nodes, podView] = await Promise.all([usage.nodes(cluster), pods ? usage.pods(cluster) : undefined]);
  return `${nodes.version}|${podView?.version ?? ''}`;
}

builder.subscriptionFields((t) => ({
  clusterSummary: t.field({
    type: ClusterSummary,
    description: 'The cluster overview numbers, pushed when they change (at most 4 times a second).',
    args: { cluster: t.arg.string({ required: true }) },
    subscribe: (_root, args, ctx, info) => {
      const [cluster] = targetClusters(ctx, args.cluster);
      const withUsage = selects(info, USAGE_FIELDS);
      const withSignals = selects(info, SIGNAL_FIELDS);
      return new LiveValue({
        subscribe: (invalidate) => ctx.subscribe.changes(cluster, invalidate),
        ...(withUsage ? { pollMs: ctx.loaders.usage.windowSeconds(cluster) * 1000 } : {}),
        compute: async () => {
          stillReadable(ctx, cluster);
          const c = fresh(ctx);
          const stamp = withUsage ? await usageStamp(c, cluster, withSignals) : undefined;
          return { summary: await c.loaders.summary.load(cluster), stamp };
        },
        key: (s) => JSON.stringify(s),
        intervalMs: COALESCE_MS,
        clock: ctx.clock,
      }) as never;
    },
    resolve: (value) => (unwrapLive(value) as { summary: unknown }).summary as never,
  }),
  nodeSummary: t.field({
    type: ClusterNodeRef,
    description: 'One node with its podCount and requested resources, pushed when they change.',
    args: { cluster: t.arg.string({ required: true }), name: t.arg.string({ required: true }) },
    subscribe: (_root, args, ctx, info) => {
      const [cluster] = targetClusters(ctx, args.cluster);
      const name = checkName('name', args.name)!;
      const withUsage = selects(info, USAGE_FIELDS);
      return new LiveValue({
        ...(withUsage ? { pollMs: ctx.loaders.usage.windowSeconds(cluster) * 1000 } : {}),
        subscribe: (invalidate) =>
          ctx.subscribe.changes(cluster, (event) => {
            if (event.kind === 'Node' && event.object.metadata?.name === name) invalidate();
            else if (KIND_INFO[event.kind].access)
              invalidate(); // the caller's rights may have changed
            else if (
              event.kind === 'Pod' &&
              (event.object.spec?.nodeName === name || event.previous?.spec?.nodeName === name)
            ) {
              invalidate();
            }
          }),
        compute: async () => {
          stillReadable(ctx, cluster);
          const c = fresh(ctx);
          const { loaders } = c;
          const [node, usage, stamp] = await Promise.all([
            loaders.object.load({ cluster, kind: 'Node', name }),
            loaders.nodeUsage.load({ cluster, nodeName: name }),
            withUsage ? usageStamp(c, cluster, false) : undefined,
          ]);
          return { node, usage, stamp };
        },
        key: ({ node, usage, stamp }) => {
          const n = node as KubeObjectOf<'Node'> | null;
          return JSON.stringify([
            n?.metadata?.uid ?? null,
            n?.status?.allocatable ?? null,
            n?.spec?.unschedulable,
            usage,
            stamp ?? null,
          ]);
        },
        intervalMs: COALESCE_MS,
        clock: ctx.clock,
      }) as never;
    },
    resolve: (value, args) => {
      const { node } = unwrapLive(value) as { node: unknown };
      // A GatewayError, not a plain Error: that one would be masked as INTERNAL (and logged as
      // a server fault) when it is the client's node name that matches nothing.
      if (!node) {
        throw notFound(
          `expected the name of a node of cluster "${args.cluster}", received "${args.name}": no such node (or it was deleted)`,
          {
            cluster: args.cluster,
            name: args.name,
          },
        );
      }
      return wrap(args.cluster, 'Node', node as never);
    },
  }),
  clusterStatus: t.field({
    type: ClusterStatusEvent,
    description: 'Connection, sync and staleness changes of one cluster, or of every cluster you may see.',
    args: { cluster: t.arg.string() },
    subscribe: (_root, args, ctx) => {
      const clusters = targetClusters(ctx, args.cluster);
      const last = new Map<string, StatusSnapshot>();
      const pending: StatusSnapshot[] = [];
      let seq = 0;
      // Polled: status lives in the reflectors, and a cluster swap replaces them.
      return new LiveValue({
        subscribe: () => () => {},
        pollMs: 500,
        compute: async () => {
          if (args.cluster) stillReadable(ctx, args.cluster);
          if (pending.length === 0) {
            for (const name of clusters) {
              const next = snapshot(ctx, name);
              if (last.get(name)?.signature !== next.signature) {
                pending.push({ ...next, signature: `${reasonFor(last.get(name), next)}|${next.signature}` });
                last.set(name, next);
              }
            }
          }
          const next = pending.shift();
          return next ? { ...next, seq: ++seq } : undefined;
        },
        key: (s) => String(s.seq),
        intervalMs: 0,
        clock: ctx.clock,
      }) as never;
    },
    resolve: (value, _args, ctx) => {
      const s = unwrapLive(value) as StatusSnapshot;
      const [reason] = s.signature.split('|');
      const status: KubeClusterStatus = s.status ?? {
        name: s.cluster,
        ready: false,
        cache: false,
        server: '',
        kinds: [],
        stale: true,
        lastError: 'removed from the configuration',
      };
      return {
        cluster: s.cluster,
        reason,
        live: s.live,
        stale: s.stale,
        status: { cluster: s.cluster, status, seesKind: ctx.clusters.seesKind(s.cluster) },
      };
    },
  }),
}));
