/**
 * ClusterStatus: how fresh and how healthy the answers about a cluster are. Read from the
 * cluster's informers (no upstream request); only `reachable`/`error` of a cluster without
 * the cache cost one GET /version, since nothing else knows.
 */

import {
  type InformerStatus,
  KIND_NAMES,
  type KindName,
  type ClusterStatus as KubeClusterStatus,
} from '../loaders/index.js';
import { builder } from './builder.js';
import { DateTime } from './scalars.js';

export interface StatusShape {
  cluster: string;
  status: KubeClusterStatus;
  /** Whether the caller may list the whole kind, and so may see figures that move with all of it. */
  seesKind: (kind: KindName) => boolean;
}

type KindStatusShape = InformerStatus & { seesKind: (kind: KindName) => boolean };

/**
 * Whether the caller may see figures that move with the whole kind's activity (counts,
 * resourceVersions, last event): only callers who may list every object of the kind.
 */
function wholeKindVisible(k: KindStatusShape): boolean {
  return k.seesKind(k.kind);
}

/** The kinds kubegate knows, from the registry (src/kube/kinds.ts): a new kind appears here by itself. */
export const KubeKind = builder.enumType('KubeKind', {
  description: 'A kind kubegate mirrors (its Kubernetes name).',
  values: Object.fromEntries(KIND_NAMES.map((k) => [k, { value: k }])) as Record<
    KindName,
    { value: KindName }
  >,
});

const KindStatus = builder.objectRef<KindStatusShape>('KindStatus').implement({
  description: 'The informer of one kind: its sync state and the freshness of its cache.',
  fields: (t) => ({
    kind: t.field({ type: KubeKind, resolve: (k) => k.kind }),
    synced: t.exposeBoolean('synced'),
    connected: t.boolean({ description: 'A watch stream is open now.', resolve: (k) => k.connected }),
    objects: t.int({
      nullable: true,
      description: 'Objects cached. Null when the caller may not list every object of the kind.',
      resolve: (k) => (wholeKindVisible(k) ? k.objects : null),
    }),
    resourceVersion: t.string({
      nullable: true,
      description:
        'The newest resourceVersion the cache has seen. Null, like lastEventAt, when the caller may not list every object of the kind: both move with activity it may not see.',
      resolve: (k) => (wholeKindVisible(k) ? k.resourceVersion : null),
    }),
    lastSyncAt: t.field({ type: DateTime, nullable: true, resolve: (k) => k.lastSyncAt }),
    lastEventAt: t.field({
      type: DateTime,
      nullable: true,
      resolve: (k) => (wholeKindVisible(k) ? k.lastEventAt : null),
    }),
    relists: t.exposeInt('relists'),
    watchRestarts: t.exposeInt('watchRestarts'),
    failures: t.exposeInt('failures', {
      description:
        'Failed LIST or watch attempts since the gateway started (the network, an HTTP error, a watch ERROR event, a silent watch, a 410 Expired), each retried through the backoff; lastError is the latest. The counter of kubegate_informer_failures_total.',
    }),
    lastError: t.exposeString('lastError', { nullable: true }),
    lastErrorAt: t.field({ type: DateTime, nullable: true, resolve: (k) => k.lastErrorAt }),
    stale: t.boolean({
      description:
        'The cache may be behind the API server: its watch went silent (neither an event nor a bookmark) for longer than the liveness interval, or there has been no watch for more than 10 s. Restarted through the backoff meanwhile.',
      resolve: (k) => k.stale,
    }),
    staleSeconds: t.int({
      nullable: true,
      description:
        'When stale: seconds since the cache was last known current (a watch open, an event, a bookmark). Null when not stale.',
      resolve: (k) => staleSeconds(k.stale, k.staleForMs),
    }),
  }),
});

function staleSeconds(stale: boolean, staleForMs: number | undefined): number | null {
  return stale ? Math.floor((staleForMs ?? 0) / 1000) : null;
}

export const ClusterStatus = builder.objectRef<StatusShape>('ClusterStatus').implement({
  fields: (t) => ({
    ready: t.boolean({
      description:
        'Every informer has synced: answers come from memory. Always false without the cache. Whether that memory is still current is `stale`.',
      resolve: (s) => s.status.ready,
    }),
    stale: t.boolean({
      description:
        'Some informer’s cache may be behind the API server (see KindStatus.stale): a hung or unreachable server. Always false without the cache.',
      resolve: (s) => s.status.stale,
    }),
    staleSeconds: t.int({
      nullable: true,
      description: 'When stale: seconds since the stalest cache was last known current. Null when not stale.',
      resolve: (s) => staleSeconds(s.status.stale, s.status.staleForMs),
    }),
    cache: t.boolean({
      description: 'Informers run for this cluster (false: `--no-cache`).',
      resolve: (s) => s.status.cache,
    }),
    server: t.string({ description: 'The API server URL.', resolve: (s) => s.status.server }),
    reachable: t.boolean({
      nullable: true,
      description: 'The API server answers (no cache), or no informer lost its watch to an error (cache).',
      resolve: async (s, _args, ctx) => (await ctx.loaders.health.load(s.cluster)).reachable,
    }),
    lastError: t.string({
      nullable: true,
      description:
        'Why the cluster is not healthy, when it is not: the newest error any part of it reported.',
      resolve: async (s, _args, ctx) => {
        const health = await ctx.loaders.health.load(s.cluster);
        const kindErrors = s.status.kinds
          .filter((k) => k.lastError && (!k.synced || !k.connected))
          .map((k) => `${k.kind}: ${k.lastError}`);
        return health.error ?? kindErrors[0] ?? s.status.lastError ?? null;
      },
    }),
    kinds: t.field({
      type: [KindStatus],
      description: `One per mirrored kind (${KIND_NAMES.join(', ')}); empty without the cache.`,
      resolve: (s) => s.status.kinds.map((k) => ({ ...k, seesKind: s.seesKind })),
    }),
  }),
});
