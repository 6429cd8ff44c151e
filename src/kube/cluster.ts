/**
 * A configured cluster: its pooled client, one informer per kind, the pod aggregates,
 * and its status. `Cluster` owns their life cycle; readers get `ClusterReader`.
 */
import { PodAggregates } from './aggregates.js';
import { ClusterClient, type PooledKubeConfig, type PoolOptions } from './client.js';
import type { EventHub } from './event-hub.js';
import { Informer, type InformerOptions, type InformerStatus } from './informer.js';
import { KIND_NAMES, type KindName } from './kinds.js';
import { type Clock, describe } from './reflector.js';

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
  /** The last error any part reported, for the cluster as a whole (e.g. version lookup). */
  lastError?: string;
}

export type Informers = { [K in KindName]: Informer<K> };

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
  private versionText: string | undefined;
  private lastError: string | undefined;

  constructor(
    readonly spec: ClusterSpec,
    options: ClusterOptions,
  ) {
    this.name = spec.name;
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
      this.informers = {
        Namespace: make('Namespace'),
        Node: make('Node'),
        Pod: make('Pod'),
        Job: make('Job'),
      };
    }
  }

  get cache(): boolean {
    return this.informers !== undefined;
  }

  start(): void {
    if (this.informers) for (const kind of KIND_NAMES) this.informers[kind].start();
  }

  /** Stops the informers, then closes the pool once requests in flight have ended. */
  async stop(): Promise<void> {
    if (this.informers) await Promise.all(KIND_NAMES.map((kind) => this.informers![kind].stop()));
    await this.spec.kubeconfig.closePool();
  }

  get ready(): boolean {
    return this.informers !== undefined && KIND_NAMES.every((kind) => this.informers![kind].hasSynced);
  }

  /** Whether reads of `kind` can be served from memory. */
  isSynced(kind: KindName): boolean {
    return this.informers?.[kind].hasSynced ?? false;
  }

  /** Resolves when every informer has synced, or after `timeoutMs` (resolving false). */
  async waitForSync(timeoutMs = 60_000): Promise<boolean> {
    if (!this.informers) return false;
    let timer: NodeJS.Timeout | undefined;
    const synced = Promise.all(KIND_NAMES.map((kind) => this.informers![kind].waitForSync())).then(
      () => true,
    );
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([synced, timeout]);
    } finally {
      clearTimeout(timer);
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
    return {
      name: this.name,
      ready: this.ready,
      cache: this.cache,
      server: this.client.server,
      kinds: this.informers ? KIND_NAMES.map((kind) => this.informers![kind].status()) : [],
      lastError: this.lastError,
    };
  }
}
