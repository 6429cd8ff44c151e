/**
 * A configured cluster: its pooled client, one informer per kind, the pod aggregates,
 * and its status. `Cluster` owns their life cycle; readers get `ClusterReader`.
 */
import { PodAggregates } from './aggregates.js';
import { ClusterClient, type PooledKubeConfig, type PoolOptions } from './client.js';
import { type Clock, systemClock } from './clock.js';
import type { EventHub } from './event-hub.js';
import { Informer, type InformerOptions, type InformerStatus } from './informer.js';
import { INFORMER_KINDS, type KindName, READINESS_KINDS } from './kinds.js';
import { describe } from './reflector.js';

export interface ClusterSpec {
  /** Stable name used in the schema: the kubeconfig context name. */
  name: string;
  /** A kubeconfig holding this cluster's context as the current one. */
  kubeconfig: PooledKubeConfig;
  /** false: no informers; every read goes to the API server (the no-cache mode). */
  cache: boolean;
  pool?: PoolOptions;
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

/** The informers of the kinds the registry mirrors (kinds.ts `informer: true`). */
export type Informers = { [K in KindName]?: Informer<K> };

export interface ClusterOptions {
  hub: EventHub;
  clock?: Clock;
  reflector?: InformerOptions<KindName>['reflector'];
  onError?: (cluster: string, kind: KindName | undefined, err: unknown) => void;
}

export class Cluster {
  readonly name: string;
  readonly client: ClusterClient;
  readonly aggregates = new PodAggregates();
  readonly informers: Informers | undefined;
  private readonly clock: Clock;
  private versionText: string | undefined;
  private lastError: string | undefined;

  constructor(
    readonly spec: ClusterSpec,
    options: ClusterOptions,
  ) {
    this.name = spec.name;
    this.clock = options.clock ?? systemClock;
    this.client = new ClusterClient(spec.kubeconfig);
    if (spec.cache) {
      const make = <K extends KindName>(kind: K): Informer<K> =>
        new Informer<K>({
          cluster: spec.name,
          kind,
          client: this.client,
          hub: options.hub,
          aggregates: kind === 'Pod' ? this.aggregates : undefined,
          clock: options.clock,
          reflector: {
            ...options.reflector,
            onError: (err) => options.onError?.(spec.name, kind, err),
          },
        });
      const informers: Informers = {};
      for (const kind of INFORMER_KINDS)
        (informers as Record<KindName, Informer<KindName>>)[kind] = make(kind);
      this.informers = informers;
    }
  }

  get cache(): boolean {
    return this.informers !== undefined;
  }

  start(): void {
    for (const informer of this.#all()) informer.start();
  }

  #all(): Informer<KindName>[] {
    const informers = this.informers as Partial<Record<KindName, Informer<KindName>>> | undefined;
    if (!informers) return [];
    const out: Informer<KindName>[] = [];
    for (const kind of INFORMER_KINDS) {
      const informer = informers[kind];
      if (informer) out.push(informer);
    }
    return out;
  }

  /** Stops the informers, then closes the pool once requests in flight have ended. */
  async stop(): Promise<void> {
    await Promise.all(this.#all().map((informer) => informer.stop()));
    await this.spec.kubeconfig.closePool();
  }

  /** Every informer readiness waits for has synced (kinds.ts `readiness`; not Events). */
  get ready(): boolean {
    return this.informers !== undefined && READINESS_KINDS.every((kind) => this.isSynced(kind));
  }

  /** Whether reads of `kind` can be served from memory. */
  isSynced(kind: KindName): boolean {
    return this.informers?.[kind]?.hasSynced ?? false;
  }

  /**
   * Resolves true when every informer readiness waits for (or those of `kinds`) has synced,
   * false after `timeoutMs` or when the cluster has no informer for one of them.
   */
  async waitForSync(timeoutMs = 60_000, kinds: readonly KindName[] = READINESS_KINDS): Promise<boolean> {
    const informers = this.informers;
    if (!informers || kinds.some((kind) => !informers[kind])) return false;
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
    const kinds = this.#all().map((informer) => informer.status());
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
