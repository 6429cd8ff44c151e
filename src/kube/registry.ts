/**
 * The set of clusters the gateway serves, kept in step with its sources. When a
 * kubeconfig file changes on disk (rotated credentials, contexts added or removed),
 * only the clusters whose material changed are rebuilt: the new cluster starts and
 * syncs while the old one keeps answering, then they swap and the old one stops (its
 * pool closes once its in-flight requests have ended). Unchanged clusters are untouched.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { TokenReviewAnswer } from './client.js';
import { type Clock, systemClock } from './clock.js';
import { Cluster, type ClusterOptions, type ClusterSpec } from './cluster.js';
import type { EventHub } from './event-hub.js';
import { ownerOf, owns, type Shard, shardLabel } from './shard.js';
import { type ClusterDefaults, type ClusterSource, loadSources } from './sources.js';
import { DEFAULT_CONCURRENT_SYNCS, SyncGate } from './sync-gate.js';

export interface RegistryOptions extends ClusterOptions {
  sources: ClusterSource[];
  defaults: ClusterDefaults;
  /** How long a rebuilt cluster may take to sync before it replaces the old one anyway. */
  swapSyncTimeoutMs?: number;
  /** Debounce of file change notifications. */
  reloadDebounceMs?: number;
  /** Told what a reload did (names only, never credentials). */
  onReload?: (change: { added: string[]; removed: string[]; replaced: string[]; error?: string }) => void;
  /**
   * This replica's shard (shard.ts): it starts only the clusters the shard owns; the others
   * are remembered by name and owner, with no client and no informer.
   */
  shard?: Shard;
  /** More configured cluster names the caller did not load (embedded simulators another shard owns). */
  configuredElsewhere?: string[];
  /**
   * How many clusters do their initial LISTs at once (config `sync.concurrentClusters`,
   * default 3); each lists its kinds one at a time (Cluster.start, sync-gate.ts).
   */
  concurrentSyncs?: number;
}

export class ClusterRegistry {
  private readonly clusters = new Map<string, Cluster>();
  /** Configured clusters another shard owns: name → that shard's label ("j/n"). */
  private elsewhere = new Map<string, string>();
  private readonly watchers: FSWatcher[] = [];
  private reloadTimer: unknown;
  private reloading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Shared by every cluster this registry builds, rebuilt ones included. */
  readonly syncGate: SyncGate;

  constructor(private readonly options: RegistryOptions) {
    this.syncGate = options.syncGate ?? new SyncGate(options.concurrentSyncs ?? DEFAULT_CONCURRENT_SYNCS);
  }

  /** The hub every cluster's informers publish to. */
  get hub(): EventHub {
    return this.options.hub;
  }

  /** Loads the sources and starts every cluster. Throws SourceError for bad configuration. */
  start(): void {
    for (const spec of this.owned(loadSources(this.options.sources, this.options.defaults))) {
      const cluster = this.build(spec);
      this.clusters.set(spec.name, cluster);
      cluster.start();
    }
    this.watchFiles();
  }

  list(): Cluster[] {
    return [...this.clusters.values()];
  }

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  /** This replica's shard as "i/n"; undefined when it is not sharded. */
  get shard(): string | undefined {
    return this.options.shard && shardLabel(this.options.shard);
  }

  /** The shard ("j/n") owning a configured cluster this replica does not; undefined otherwise. */
  ownerOf(name: string): string | undefined {
    return this.elsewhere.get(name);
  }

  /** Configured clusters other shards own, name → shard, in configuration order. */
  notOwnedClusters(): ReadonlyMap<string, string> {
    return this.elsewhere;
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  /**
   * Reviews a bearer token with a cluster's TokenReview API, through the cluster's client of
   * the moment (a kubeconfig reload may have replaced it since the gateway started).
   */
  reviewToken(cluster: string, token: string): Promise<TokenReviewAnswer> {
    const current = this.clusters.get(cluster);
    if (!current) return Promise.reject(new Error(`cluster "${cluster}" is not configured`));
    return current.client.reviewToken(token);
  }

  async waitForSync(timeoutMs?: number): Promise<boolean> {
    const results = await Promise.all(this.list().map((c) => (c.cache ? c.waitForSync(timeoutMs) : true)));
    return results.every(Boolean);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.reloadTimer);
    for (const w of this.watchers) w.close();
    await this.reloading;
    await Promise.all(this.list().map((c) => c.stop()));
    this.clusters.clear();
  }

  /** Re-reads the sources and applies the difference. Serialised: one reload at a time. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.applyReload());
    return this.reloading;
  }

  /** The specs this replica's shard owns; records the rest (replacing the last record). */
  private owned(specs: ClusterSpec[]): ClusterSpec[] {
    const shard = this.options.shard;
    const elsewhere = new Map<string, string>();
    const names = [...specs.map((s) => s.name), ...(this.options.configuredElsewhere ?? [])];
    for (const name of names) {
      if (!owns(shard, name)) elsewhere.set(name, `${ownerOf(name, shard!.count)}/${shard!.count}`);
    }
    this.elsewhere = elsewhere;
    return specs.filter((s) => !elsewhere.has(s.name));
  }

  private build(spec: ClusterSpec): Cluster {
    return new Cluster(spec, { ...this.options, syncGate: this.syncGate });
  }

  private async applyReload(): Promise<void> {
    if (this.stopped) return;
    let specs: ClusterSpec[];
    try {
      specs = this.owned(loadSources(this.options.sources, this.options.defaults));
    } catch (err) {
      // A half-written or broken file keeps the clusters we have; the next change retries.
      this.options.onReload?.({ added: [], removed: [], replaced: [], error: (err as Error).message });
      return;
    }
    const wanted = new Map(specs.map((s) => [s.name, s]));
    const added: string[] = [];
    const removed: string[] = [];
    const replaced: string[] = [];
    const swaps: Promise<void>[] = [];
    for (const [name, cluster] of this.clusters) {
      if (!wanted.has(name)) {
        removed.push(name);
        this.clusters.delete(name);
        swaps.push(cluster.stop());
      }
    }
    for (const [name, spec] of wanted) {
      const current = this.clusters.get(name);
      if (!current) {
        added.push(name);
        const cluster = this.build(spec);
        this.clusters.set(name, cluster);
        cluster.start();
      } else if (current.spec.fingerprint !== spec.fingerprint) {
        replaced.push(name);
        swaps.push(this.swap(current, this.build(spec)));
      }
    }
    await Promise.all(swaps);
    this.options.onReload?.({ added, removed, replaced });
  }

  private async swap(old: Cluster, next: Cluster): Promise<void> {
    next.start();
    if (next.cache) await next.waitForSync(this.options.swapSyncTimeoutMs ?? 15_000);
    if (this.stopped || this.clusters.get(old.name) !== old) {
      await next.stop();
      return;
    }
    this.clusters.set(next.name, next);
    await old.stop();
  }

  private watchFiles(): void {
    const files = this.options.sources.flatMap((s) => (s.type === 'kubeconfig' ? [resolve(s.path)] : []));
    const dirs = new Map<string, Set<string>>();
    for (const file of files) {
      const set = dirs.get(dirname(file)) ?? new Set();
      set.add(basename(file));
      dirs.set(dirname(file), set);
    }
    // Watch the directory, not the file: editors and credential rotators replace the
    // file by rename, which ends a watch held on the old inode.
    for (const [dir, names] of dirs) {
      try {
        const watcher = watch(dir, (_event, filename) => {
          if (filename && names.has(filename.toString())) this.scheduleReload();
        });
        watcher.unref();
        this.watchers.push(watcher);
      } catch {
        // A directory we cannot watch: the clusters still work, they just do not reload.
      }
    }
  }

  private scheduleReload(): void {
    this.clock.clearTimeout(this.reloadTimer);
    this.reloadTimer = this.clock.setTimeout(() => void this.reload(), this.options.reloadDebounceMs ?? 200);
    // A pending reload must not keep the process alive (the system clock's handles can be unref'd).
    (this.reloadTimer as { unref?: () => void } | undefined)?.unref?.();
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }
}
