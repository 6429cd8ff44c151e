/**
 * A configured cluster: its pooled client, one informer per kind, the pod, job and node aggregates,
 * and its status. `Cluster` owns their life cycle; readers get `ClusterReader`.
 */

import { AccessCache } from './access-cache.js';
import { type Aggregator, JobAggregates, NodeAggregates, PodAggregates } from './aggregates.js';
import {
  type AccessReviewAttributes,
  type AccessReviewUser,
  ClusterClient,
  type PooledKubeConfig,
  type PoolOptions,
} from './client.js';
import { type Clock, systemClock } from './clock.js';
import type { EventHub } from './event-hub.js';
import { Informer, type InformerOptions, type InformerStatus } from './informer.js';
import { INFORMER_KINDS, KINDS, type KindName, type KubeObjectOf } from './kinds.js';
import type { AccessSet, RbacUser } from './rbac.js';
import { describe } from './reflector.js';
import { SharedReads } from './shared-reads.js';
import { SyncGate } from './sync-gate.js';
import { ATTR_CLUSTER, ATTR_KIND, cacheWaitSpan } from './tracing.js';
import { ClusterUsage } from './usage.js';

export interface ClusterSpec {
  /** Stable name used in the schema: the kubeconfig context name. */
  name: string;
  /** A kubeconfig holding this cluster's context as the current one. */
  kubeconfig: PooledKubeConfig;
  /** false: no informers of data kinds; every read goes to the API server (the no-cache mode). */
  cache: boolean;
  /**
   * How identities (OIDC users, Kubernetes tokens, static `user:` tokens) are authorised in
   * this cluster: from its RBAC objects mirrored here (`rbac`, the default), by asking its
   * SubjectAccessReview API (`subjectAccessReview`), or not at all (`static`: only
   * principals with explicit lists see anything).
   */
  authorization?: AuthorizationMode;
  /** Mirror the RBAC kinds (set when the mode is `rbac` and identities can sign in). */
  mirrorRbac?: boolean;
  pool?: PoolOptions;
  /** The metrics API (usage): its window, metrics-server's resolution (default 15 s). */
  metrics?: { windowSeconds?: number };
  /** A fingerprint of what the spec was built from, so a reload can tell what changed. */
  fingerprint: string;
}

export interface ClusterStatus {
  name: string;
  /** All informers have synced (always false without the cache). */
  ready: boolean;
  cache: boolean;
  server: string;
  kinds: InformerStatus[];
  /**
   * Some informer's cache may be behind the server: its watch has been silent past the
   * liveness interval (a hung API server), or it has been without a watch for a while
   * (see ReflectorStatus.stale). Always false without the cache.
   */
  stale: boolean;
  /** When stale: the largest age of the stale informers' caches (since they were last known current). */
  staleForMs?: number;
  /** The last error any part reported, for the cluster as a whole (e.g. version lookup). */
  lastError?: string;
}

export type AuthorizationMode = 'rbac' | 'subjectAccessReview' | 'static';

/** The informers of the kinds the registry mirrors (kinds.ts `informer: true`). */
export type Informers = { [K in KindName]?: Informer<K> };

export interface ClusterOptions {
  hub: EventHub;
  clock?: Clock;
  reflector?: InformerOptions<KindName>['reflector'];
  /** Every informer's retention log (resumable subscriptions): retention, count, clock. */
  eventLog?: InformerOptions<KindName>['eventLog'];
  onError?: (cluster: string, kind: KindName | undefined, err: unknown) => void;
  /** Told when an informer's failing episode ends (its watch opened again): see ReflectorOptions.onRecovered. */
  onRecovered?: (cluster: string, kind: KindName, episode: { failures: number; durationMs: number }) => void;
  /**
   * Bounds how many clusters do their initial LISTs at once (sync-gate.ts); the registry
   * passes one gate to all its clusters. Without one a cluster has its own (only its
   * kinds are serialized).
   */
  syncGate?: SyncGate;
}

export class Cluster {
  readonly name: string;
  readonly client: ClusterClient;
  readonly aggregates = new PodAggregates();
  readonly jobAggregates = new JobAggregates();
  readonly nodeAggregates = new NodeAggregates();
  /** Its API server reads in flight, shared by identical ones (reads not served from memory). */
  readonly reads = new SharedReads();
  /** The hub its informers publish to (writes wait on it until the cache shows them). */
  readonly hub: EventHub;
  readonly informers: Informers | undefined;
  /** The kinds this cluster mirrors: the data kinds with the cache, the RBAC kinds when it authorises from them. */
  readonly mirrored: readonly KindName[];
  private readonly clock: Clock;
  readonly #access = new AccessCache();
  readonly #usage = new Map<Clock, ClusterUsage>();
  private versionText: string | undefined;
  private lastError: string | undefined;
  readonly #gate: SyncGate;
  /** Aborted by stop(): a start still queued or listing stops starting informers. */
  readonly #stopping = new AbortController();
  /** The informers started so far (start() starts them one by one). */
  readonly #started = new Set<KindName>();
  /** While this cluster waits its turn at the sync gate: moves it to the head of the queue. */
  #promote: (() => void) | undefined;
  /** Told when an informer's initial LIST failed (see #startSpread). */
  readonly #initialListFailed = new Map<KindName, () => void>();
  #starting: Promise<void> | undefined;

  constructor(
    readonly spec: ClusterSpec,
    options: ClusterOptions,
  ) {
    this.name = spec.name;
    this.clock = options.clock ?? systemClock;
    this.hub = options.hub;
    this.client = new ClusterClient(spec.kubeconfig, spec.name);
    this.#gate = options.syncGate ?? new SyncGate(1);
    this.mirrored = INFORMER_KINDS.filter((k) => (KINDS[k].access ? spec.mirrorRbac === true : spec.cache));
    if (this.mirrored.length > 0) {
      const make = <K extends KindName>(kind: K): Informer<K> =>
        new Informer<K>({
          cluster: spec.name,
          kind,
          client: this.client,
          hub: options.hub,
          aggregates: this.#aggregatorOf(kind),
          clock: options.clock,
          eventLog: options.eventLog,
          reflector: {
            ...options.reflector,
            onError: (err) => {
              if (!this.informers?.[kind]?.hasSynced) this.#initialListFailed.get(kind)?.();
              options.onError?.(spec.name, kind, err);
            },
            onRecovered: (episode) => options.onRecovered?.(spec.name, kind, episode),
          },
        });
      const informers: Informers = {};
      for (const kind of this.mirrored)
        (informers as Record<KindName, Informer<KindName>>)[kind] = make(kind);
      this.informers = informers;
    }
  }

  get cache(): boolean {
    return this.spec.cache;
  }

  /** The kinds readiness waits for: the mirrored ones whose registry entry says so. */
  get readinessKinds(): readonly KindName[] {
    return this.mirrored.filter((k) => KINDS[k].readiness);
  }

  /**
   * Starts the informers, spread (issue #16): their initial LISTs run one at a time, inside
   * a slot of the sync gate shared by the registry's clusters, so that this cluster's API
   * server sees at most one initial LIST from us and only a few clusters list at once. A
   * kind's watch starts as soon as its list is stored. An initial LIST that fails gives the
   * slot back (a cluster that is down must not hold the fleet's sync) and the next kind
   * starts; the failed one retries on its own backoff, as relists always have. A cluster
   * whose data is asked for while it waits goes to the head of the queue (initialList).
   */
  start(): void {
    this.#starting ??= this.#startSpread();
  }

  async #startSpread(): Promise<void> {
    // The RBAC kinds first (a few hundred small objects): until they have synced an identity
    // sees nothing (loaders/access.ts), so every data kind listed before them answers only
    // the gateway's own callers.
    const informers = [
      ...this.#all().filter((i) => KINDS[i.kind].access),
      ...this.#all().filter((i) => !KINDS[i.kind].access),
    ];
    if (informers.length === 0) return;
    const stopping = this.#stopping.signal;
    let release = await this.#gate.acquire(stopping, (promote) => {
      this.#promote = promote;
    });
    this.#promote = undefined;
    if (!release) return;
    try {
      for (const informer of informers) {
        if (stopping.aborted) return;
        const kind = informer.kind;
        let failed = false;
        const ended = new Promise<void>((resolve) => {
          this.#initialListFailed.set(kind, () => {
            failed = true;
            resolve();
          });
          stopping.addEventListener('abort', () => resolve(), { once: true });
        });
        this.#started.add(kind);
        informer.start();
        await Promise.race([informer.waitForSync(), ended]);
        this.#initialListFailed.delete(kind);
        if (failed) {
          release?.();
          release = undefined;
        }
      }
    } finally {
      release?.();
    }
  }

  /** What a kind's informer keeps up to date besides its store: the kinds a summary sums. */
  #aggregatorOf<K extends KindName>(kind: K): Aggregator<KubeObjectOf<K>> | undefined {
    const aggregator =
      kind === 'Pod'
        ? this.aggregates
        : kind === 'Job'
          ? this.jobAggregates
          : kind === 'Node'
            ? this.nodeAggregates
            : undefined;
    return aggregator as Aggregator<KubeObjectOf<K>> | undefined;
  }

  #all(): Informer<KindName>[] {
    const informers = this.informers as Partial<Record<KindName, Informer<KindName>>> | undefined;
    if (!informers) return [];
    const out: Informer<KindName>[] = [];
    for (const kind of this.mirrored) {
      const informer = informers[kind];
      if (informer) out.push(informer);
    }
    return out;
  }

  /** Stops the informers, then closes the pool once requests in flight have ended. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#starting;
    await Promise.all(this.#all().map((informer) => informer.stop()));
    await this.spec.kubeconfig.closePool();
  }

  /** Every informer readiness waits for has synced (kinds.ts `readiness`; not Events). Never without the cache. */
  get ready(): boolean {
    return this.cache && this.readinessKinds.every((kind) => this.isSynced(kind));
  }

  /** Whether reads of `kind` can be served from memory. */
  isSynced(kind: KindName): boolean {
    return this.informers?.[kind]?.hasSynced ?? false;
  }

  /**
   * For a read of the whole of `kind` while it is not served from memory: the informer's
   * initial LIST, which the read waits for (at most `waitMs`) instead of asking the API server
   * for the same objects again. Resolves true once the kind is in memory, false if that LIST
   * failed (the read then goes to the API server, and meets the failure itself),
   * undefined if the kind is still not in memory after `waitMs`. Returns undefined when
   * there is nothing to wait for (no cache, stopping, or an initial LIST that failed and
   * waits to retry: reads go to the API server meanwhile, as they always have).
   *
   * A kind not started yet (its cluster waits its turn at the sync gate, or lists the kinds
   * before it) is waited for too, and its cluster goes to the head of the gate's queue:
   * someone is asking for it. It is not started out of turn: a front page over a fleet
   * restarting would start every cluster's LISTs at once, and each would be ready last
   * instead of one after the other (measured: bench/results/sync-on-demand.md).
   */
  initialList(kind: KindName, waitMs: number): Promise<boolean | undefined> | undefined {
    const informer = this.informers?.[kind];
    if (!informer || !this.#starting || this.#stopping.signal.aborted) return undefined;
    if (informer.hasSynced) return Promise.resolve(true);
    let stored = informer.initialListInFlight();
    if (!stored) {
      if (this.#started.has(kind)) return undefined;
      this.#promote?.();
      stored = informer.firstInitialList();
    }
    const wait = stored;
    return cacheWaitSpan(
      'initial-list',
      () => ({ [ATTR_CLUSTER]: this.name, [ATTR_KIND]: kind }),
      () => within(wait, waitMs, this.clock),
      (outcome) => (outcome === undefined ? 'timeout' : outcome ? 'synced' : 'failed'),
    );
  }

  /**
   * Resolves true when every informer readiness waits for (or those of `kinds`) has synced,
   * false after `timeoutMs` or when the cluster has no informer for one of them.
   */
  async waitForSync(timeoutMs = 60_000, kinds: readonly KindName[] = this.readinessKinds): Promise<boolean> {
    const informers = this.informers;
    if (!informers || kinds.some((kind) => !informers[kind])) return false;
    if (kinds.every((kind) => this.isSynced(kind))) return true;
    // A request waiting for the cache: traced as such (a no-op outside a traced request).
    return cacheWaitSpan(
      'sync',
      () => ({ [ATTR_CLUSTER]: this.name, [ATTR_KIND]: [...kinds] }),
      () => this.#waitForSync(informers, kinds, timeoutMs),
      (synced) => (synced ? 'synced' : 'timeout'),
    );
  }

  async #waitForSync(informers: Informers, kinds: readonly KindName[], timeoutMs: number): Promise<boolean> {
    let timer: unknown;
    const synced = Promise.all(kinds.map((kind) => informers[kind]?.waitForSync())).then(() => true);
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([synced, timeout]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** How identities are authorised here. */
  get authorization(): AuthorizationMode {
    return this.spec.authorization ?? 'rbac';
  }

  /**
   * A number that moves whenever any RBAC object changes, once all four RBAC kinds have
   * synced; undefined before (or when they are not mirrored).
   */
  rbacGeneration(): string | undefined {
    const i = this.informers;
    if (!this.spec.mirrorRbac || !i?.Role || !i.ClusterRole || !i.RoleBinding || !i.ClusterRoleBinding)
      return undefined;
    if (
      !i.Role.hasSynced ||
      !i.ClusterRole.hasSynced ||
      !i.RoleBinding.hasSynced ||
      !i.ClusterRoleBinding.hasSynced
    )
      return undefined;
    return `${i.Role.generation}.${i.ClusterRole.generation}.${i.RoleBinding.generation}.${i.ClusterRoleBinding.generation}`;
  }

  /**
   * The user's access compiled from the mirrored RBAC objects (cached per user until any
   * of them changes); undefined until they have synced or when they are not mirrored.
   */
  access(userKey: string, user: RbacUser): AccessSet | undefined {
    const generation = this.rbacGeneration();
    const i = this.informers;
    if (generation === undefined || !i?.Role || !i.ClusterRole || !i.RoleBinding || !i.ClusterRoleBinding)
      return undefined;
    return this.#access.get(userKey, user, generation, {
      roles: i.Role.store,
      clusterRoles: i.ClusterRole.store,
      roleBindings: i.RoleBinding.store,
      clusterRoleBindings: i.ClusterRoleBinding.store,
    });
  }

  /** One SubjectAccessReview for `user` (authorization: subjectAccessReview). */
  reviewAccess(user: AccessReviewUser, attributes: AccessReviewAttributes): Promise<boolean> {
    return this.client.reviewAccess(user, attributes);
  }

  /**
   * The cluster's usage cache (metrics API, read on demand; see usage.ts), one per clock:
   * a gateway reads it on its own clock, which tests drive.
   */
  usage(clock: Clock = this.clock): ClusterUsage {
    let usage = this.#usage.get(clock);
    if (!usage) {
      usage = new ClusterUsage({
        cluster: this.name,
        client: this.client,
        clock,
        windowSeconds: this.spec.metrics?.windowSeconds,
      });
      this.#usage.set(clock, usage);
    }
    return usage;
  }

  /** The server's gitVersion, asked once and remembered. */
  async version(): Promise<string> {
    if (this.versionText) return this.versionText;
    try {
      this.versionText = await this.client.version();
      return this.versionText;
    } catch (err) {
      this.lastError = describe(err);
      throw err;
    }
  }

  status(): ClusterStatus {
    // A kind still waiting for its turn to list is syncing, not stale: its reflector has
    // not started, so its "disconnected since" is the cluster's creation.
    const kinds = this.#all().map((informer) => {
      const status = informer.status();
      return this.#started.has(informer.kind) ? status : { ...status, stale: false, staleForMs: undefined };
    });
    const stale = kinds.filter((k) => k.stale);
    return {
      name: this.name,
      ready: this.ready,
      cache: this.cache,
      server: this.client.server,
      kinds,
      stale: stale.length > 0,
      ...(stale.length > 0 ? { staleForMs: Math.max(...stale.map((k) => k.staleForMs ?? 0)) } : {}),
      lastError: this.lastError,
    };
  }
}

/** `promise`'s value, or undefined when `ms` pass first (on `clock`). */
function within<T>(promise: Promise<T>, ms: number, clock: Clock): Promise<T | undefined> {
  let timer: unknown;
  const late = new Promise<undefined>((resolve) => {
    timer = clock.setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, late]).finally(() => clock.clearTimeout(timer));
}
