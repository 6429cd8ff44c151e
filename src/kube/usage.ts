/**
 * Live CPU and memory usage of one cluster, from its metrics API (metrics.k8s.io/v1beta1
 * NodeMetrics and PodMetrics, as metrics-server serves them), read on demand.
 *
 * metrics-server computes one sample per node and pod every resolution (15 s by default)
 * and serves the same numbers until the next one, so there is nothing to gain from
 * reading it more often than once per window, and everything to lose: a LIST of every
 * pod's metrics is as big as the pods. `ClusterUsage` holds the two answers (`nodes`,
 * `pods`) in lru-cache with `ttl` = the window and a `fetchMethod`: concurrent readers
 * share one fetch, a stale answer is served while its refresh is in flight, and a failed
 * refresh keeps the last good answer. So whatever the request rate, a cluster sees at
 * most one LIST of node metrics and one of pod metrics per window; and since nothing
 * polls, none while nobody asks.
 *
 * A cluster without the metrics API (404 on the group) answers `unavailable`, remembered
 * for the window like an answer. Other failures are remembered for the window too (the
 * last good answer kept when there is one): a broken metrics API is not asked at request
 * rate.
 *
 * History: each node answer appends a sample per node, and their sum for the cluster, to
 * rings holding the last hour at the window's resolution (240 samples at 15 s) in typed
 * arrays: 20 bytes a sample, about 4.8 KB per node (see `historyBytes`; measured in
 * scripts/measure-usage-history.ts). Samples exist for the windows somebody asked in;
 * the live subscriptions ask every window, so a watched node's history is continuous.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import { ApiHttpError, type ClusterClient } from './client.js';
import type { Clock } from './clock.js';
import { effectivePodRequests, quantityValue } from './quantity.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_API = `/apis/${METRICS_GROUP}/v1beta1`;
/** metrics-server's default resolution, and the default cache window. */
export const DEFAULT_WINDOW_SECONDS = 15;
/** How far back the history rings reach. */
export const HISTORY_SECONDS = 3600;

/** One object's usage in one metrics window. */
export interface Usage {
  /** Millicores, not rounded (metrics-server reports nanocores). */
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  /** When the sample was taken (ms since the epoch). */
  readonly timestamp: number;
  /**
   * The same instant as ISO-8601 text (`toISOString`), made once per metrics answer: a
   * nodes page with usage serialized one Date per node per request, ~5 % of its CPU at S
   * (bench/usage.ts, profile-top).
   */
  readonly timestampText: string;
  /** The sample's window, in seconds (as the API reports it: "15s", "20.3s"). */
  readonly windowSeconds: number;
}

export interface ContainerUsage {
  readonly name: string;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/** A pod's usage: the sum of its containers'. */
export interface PodUsage extends Usage {
  readonly containers: readonly ContainerUsage[];
}

interface AnswerBase {
  /** Moves with every fetch of this cluster's metrics (memos derived from an answer key on it). */
  readonly seq: number;
  /** When the gateway fetched it (its clock). */
  readonly fetchedAt: number;
}

export interface NodeMetrics extends AnswerBase {
  readonly kind: 'nodes';
  readonly byName: ReadonlyMap<string, Usage>;
  /** The sum over every node, at the latest sample's time; undefined without nodes. */
  readonly total: Usage | undefined;
}

export interface PodMetrics extends AnswerBase {
  readonly kind: 'pods';
  /** By `namespace/name`. */
  readonly byKey: ReadonlyMap<string, PodUsage>;
}

/** The cluster serves no metrics API (the group answers 404): nothing to show, for the window. */
export interface MetricsUnavailable extends AnswerBase {
  readonly kind: 'unavailable';
  readonly reason: string;
}

/** A fetch that failed with no good answer to fall back on; `error` is what the client threw. */
export interface MetricsFailed extends AnswerBase {
  readonly kind: 'failed';
  readonly error: unknown;
}

export type NodeMetricsAnswer = NodeMetrics | MetricsUnavailable | MetricsFailed;
export type PodMetricsAnswer = PodMetrics | MetricsUnavailable | MetricsFailed;
type Answer = NodeMetricsAnswer | PodMetricsAnswer;

/** The key of a pod in `PodMetrics.byKey`. */
export function podMetricsKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** One point of a history. */
export interface UsageSample {
  readonly timestamp: number;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/**
 * A bounded ring of samples: timestamps in whole seconds (metrics timestamps have second
 * precision) in a Uint32Array, CPU and memory in Float64Arrays. A sample not newer than
 * the last is dropped, so asking twice in one window adds nothing.
 */
export class UsageRing {
  readonly #seconds: Uint32Array;
  readonly #cpu: Float64Array;
  readonly #memory: Float64Array;
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#seconds = new Uint32Array(capacity);
    this.#cpu = new Float64Array(capacity);
    this.#memory = new Float64Array(capacity);
  }

  /** Bytes of sample storage of a ring of `capacity` (the arrays' buffers). */
  static bytes(capacity: number): number {
    return capacity * (4 + 8 + 8);
  }

  get size(): number {
    return this.#size;
  }

  /** The newest sample's time (ms), or 0 when empty. */
  get lastTimestamp(): number {
    if (this.#size === 0) return 0;
    return this.#seconds[(this.#next - 1 + this.capacity) % this.capacity] * 1000;
  }

  push(sample: UsageSample): void {
    const seconds = Math.floor(sample.timestamp / 1000);
    if (this.#size > 0 && seconds * 1000 <= this.lastTimestamp) return;
    this.#seconds[this.#next] = seconds;
    this.#cpu[this.#next] = sample.cpuMillis;
    this.#memory[this.#next] = sample.memoryBytes;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** The newest `last` samples (all by default), oldest first. */
  samples(last = this.#size): UsageSample[] {
    const n = Math.max(0, Math.min(last, this.#size));
    const out: UsageSample[] = [];
    for (let i = n; i > 0; i--) {
      const at = (this.#next - i + this.capacity) % this.capacity;
      out.push({
        timestamp: this.#seconds[at] * 1000,
        cpuMillis: this.#cpu[at],
        memoryBytes: this.#memory[at],
      });
    }
    return out;
  }
}

export interface ClusterUsageOptions {
  /** The cluster's name (for messages). */
  cluster: string;
  client: Pick<ClusterClient, 'request'>;
  clock: Clock;
  /** The cache window: metrics-server's resolution. Default 15 s. */
  windowSeconds?: number;
}

/** Go's time.Duration text ("15s", "20.031s", "1m0s") in seconds; NaN when it is not one. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  const part = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let at = 0;
  for (let m = part.exec(text); m; m = part.exec(text)) {
    total += Number(m[1]) * units[m[2]];
    at = part.lastIndex;
  }
  return at === text.length && at > 0 ? total : text === '0' ? 0 : Number.NaN;
}

/** A CPU quantity in millicores, exactly for the nanocores metrics-server sends ("123456789n"). */
function cpuMillisOf(q: unknown): number {
  if (typeof q !== 'string') return Number.NaN;
  const nano = /^(\d+)n$/.exec(q);
  if (nano) return Number(nano[1]) / 1e6;
  try {
    return quantityValue(q) * 1000;
  } catch {
    return Number.NaN;
  }
}

function bytesOf(q: unknown): number {
  if (typeof q !== 'string') return Number.NaN;
  try {
    return quantityValue(q);
  } catch {
    return Number.NaN;
  }
}

interface RawItem {
  metadata?: { name?: unknown; namespace?: unknown };
  timestamp?: unknown;
  window?: unknown;
  usage?: { cpu?: unknown; memory?: unknown };
  containers?: { name?: unknown; usage?: { cpu?: unknown; memory?: unknown } }[];
}

function itemsOf(body: unknown, what: string): RawItem[] {
  const items = (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items))
    throw new Error(
      `expected the metrics API to answer a ${what} list with "items", received ${typeof body}`,
    );
  return items as RawItem[];
}

type SampleTime = Pick<Usage, 'timestamp' | 'timestampText' | 'windowSeconds'>;

/**
 * The sample's time and window; undefined when the item lacks them. `texts` holds the ISO
 * text of the instants seen in one answer (metrics-server stamps most items of a scrape
 * with the same few seconds), so each is made once per answer, not once per item.
 */
function sampleTime(item: RawItem, texts: Map<number, string>): SampleTime | undefined {
  const timestamp = typeof item.timestamp === 'string' ? Date.parse(item.timestamp) : Number.NaN;
  const windowSeconds = typeof item.window === 'string' ? durationSeconds(item.window) : Number.NaN;
  if (Number.isNaN(timestamp) || Number.isNaN(windowSeconds)) return undefined;
  let timestampText = texts.get(timestamp);
  if (timestampText === undefined) {
    timestampText = new Date(timestamp).toISOString();
    texts.set(timestamp, timestampText);
  }
  return { timestamp, timestampText, windowSeconds };
}

/**
 * Items that do not parse (no name, no timestamp, a quantity that is not one) are left
 * out: one odd object must not take every other object's usage down with it.
 */
function parseNodes(body: unknown): Map<string, Usage> {
  const out = new Map<string, Usage>();
  const texts = new Map<number, string>();
  for (const item of itemsOf(body, 'NodeMetrics')) {
    const name = item.metadata?.name;
    const time = sampleTime(item, texts);
    const cpuMillis = cpuMillisOf(item.usage?.cpu);
    const memoryBytes = bytesOf(item.usage?.memory);
    if (typeof name !== 'string' || !time || Number.isNaN(cpuMillis) || Number.isNaN(memoryBytes)) continue;
    out.set(name, Object.freeze({ cpuMillis, memoryBytes, ...time }));
  }
  return out;
}

function parsePods(body: unknown): Map<string, PodUsage> {
  const out = new Map<string, PodUsage>();
  const texts = new Map<number, string>();
  for (const item of itemsOf(body, 'PodMetrics')) {
    const { name, namespace } = item.metadata ?? {};
    const time = sampleTime(item, texts);
    if (typeof name !== 'string' || typeof namespace !== 'string' || !time) continue;
    const containers: ContainerUsage[] = [];
    let cpu = 0;
    let memory = 0;
    let valid = true;
    for (const c of item.containers ?? []) {
      const cpuMillis = cpuMillisOf(c.usage?.cpu);
      const memoryBytes = bytesOf(c.usage?.memory);
      if (typeof c.name !== 'string' || Number.isNaN(cpuMillis) || Number.isNaN(memoryBytes)) {
        valid = false;
        break;
      }
      containers.push(Object.freeze({ name: c.name, cpuMillis, memoryBytes }));
      cpu += cpuMillis;
      memory += memoryBytes;
    }
    if (!valid) continue;
    out.set(
      podMetricsKey(namespace, name),
      Object.freeze({ cpuMillis: cpu, memoryBytes: memory, ...time, containers: Object.freeze(containers) }),
    );
  }
  return out;
}

type Key = 'nodes' | 'pods';

export class ClusterUsage {
  readonly windowMs: number;
  readonly #options: ClusterUsageOptions;
  readonly #cache: LRUCache<Key, Answer>;
  readonly #nodeHistory = new Map<string, UsageRing>();
  readonly #clusterHistory: UsageRing;
  readonly #capacity: number;
  #seq = 0;

  constructor(options: ClusterUsageOptions) {
    this.#options = options;
    const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    this.windowMs = windowSeconds * 1000;
    this.#capacity = Math.ceil(HISTORY_SECONDS / windowSeconds);
    this.#clusterHistory = new UsageRing(this.#capacity);
    this.#cache = new LRUCache<Key, Answer>({
      max: 2,
      // lru-cache's ttl is exclusive (stale once older than it): an answer is due for a
      // refresh once a whole window old, when the next sample is.
      ttl: this.windowMs - 1,
      perf: { now: () => options.clock.now() },
      // Read the clock on every check: lru-cache would otherwise keep one reading until a
      // real 1 ms timer fires, which a clock moved by hand never waits for.
      ttlResolution: 0,
      allowStale: true,
      noDeleteOnStaleGet: true,
      noDeleteOnFetchRejection: true,
      allowStaleOnFetchRejection: true,
      fetchMethod: (key, stale) => this.#load(key, stale),
    });
  }

  /**
   * The node metrics of the current window (shared, cached; a stale answer while its
   * refresh is in flight). `fresh`: wait for an answer fetched within the last window
   * (a live subscription's tick: waits for the refresh instead of taking the stale
   * answer), still sharing one fetch with everyone else.
   */
  nodes(options: { fresh?: boolean } = {}): Promise<NodeMetricsAnswer> {
    return this.#get('nodes', options.fresh) as Promise<NodeMetricsAnswer>;
  }

  /** The pod metrics of the current window (see `nodes`). */
  pods(options: { fresh?: boolean } = {}): Promise<PodMetricsAnswer> {
    return this.#get('pods', options.fresh) as Promise<PodMetricsAnswer>;
  }

  /**
   * The answer `nodes()` would resolve to, now: the cached one (a stale one starts its
   * refresh, as `nodes()` does), or undefined while there is none yet (the first fetch, or
   * one after an answer fell out of the cache, is in flight: wait for `nodes()`).
   */
  nodesNow(): NodeMetricsAnswer | undefined {
    return this.#now('nodes') as NodeMetricsAnswer | undefined;
  }

  /** The pod metrics of the current window now (see `nodesNow`). */
  podsNow(): PodMetricsAnswer | undefined {
    return this.#now('pods') as PodMetricsAnswer | undefined;
  }

  /** The newest `last` samples of a node (all by default), oldest first. */
  nodeHistory(name: string, last?: number): UsageSample[] {
    return this.#nodeHistory.get(name)?.samples(last) ?? [];
  }

  /** The newest `last` samples of the cluster's sum over its nodes, oldest first. */
  clusterHistory(last?: number): UsageSample[] {
    return this.#clusterHistory.samples(last);
  }

  /** Samples a history holds at most (an hour at the window's resolution). */
  get historyCapacity(): number {
    return this.#capacity;
  }

  /** Bytes of history sample storage held now: the cluster ring and one per node. */
  historyBytes(): number {
    return UsageRing.bytes(this.#capacity) * (1 + this.#nodeHistory.size);
  }

  #now(key: Key): Answer | undefined {
    // `get` answers a stale value (allowStale), also while its refresh is in flight; `has`
    // is false once it is stale: then start the refresh `fetch` would have started.
    const answer = this.#cache.get(key);
    if (answer !== undefined && !this.#cache.has(key)) this.#get(key).catch(() => undefined);
    return answer;
  }

  async #get(key: Key, fresh = false): Promise<Answer> {
    const answer = await this.#cache.fetch(key, fresh ? { allowStale: false } : {});
    if (!answer) throw new Error(`metrics cache of cluster "${this.#options.cluster}" answered nothing`);
    return answer;
  }

  async #load(key: Key, stale: Answer | undefined): Promise<Answer> {
    const fetchedAt = this.#options.clock.now();
    const seq = ++this.#seq;
    let body: unknown;
    try {
      body = await this.#options.client.request({ method: 'GET', path: `${METRICS_API}/${key}` });
    } catch (err) {
      if (err instanceof ApiHttpError && err.code === 404) {
        return Object.freeze({
          kind: 'unavailable',
          seq,
          fetchedAt,
          reason: `the metrics API (${METRICS_GROUP}) is absent in cluster "${this.#options.cluster}": ${METRICS_API}/${key} answered 404 (is metrics-server installed?)`,
        });
      }
      // The last good answer outlives a failed refresh; without one, the failure is remembered for the window.
      if (stale && stale.kind !== 'failed' && stale.kind !== 'unavailable') return stale;
      return Object.freeze({ kind: 'failed', seq, fetchedAt, error: err });
    }
    if (key === 'pods') return Object.freeze({ kind: 'pods', seq, fetchedAt, byKey: parsePods(body) });
    const byName = parseNodes(body);
    const total = this.#record(byName);
    return Object.freeze({ kind: 'nodes', seq, fetchedAt, byName, total });
  }

  /** Appends this answer to the node and cluster rings; forgets nodes silent for an hour. Returns the sum. */
  #record(byName: ReadonlyMap<string, Usage>): Usage | undefined {
    let cpu = 0;
    let memory = 0;
    let latest = 0;
    let latestText = '';
    let windowSeconds = 0;
    for (const [name, usage] of byName) {
      let ring = this.#nodeHistory.get(name);
      if (!ring) {
        ring = new UsageRing(this.#capacity);
        this.#nodeHistory.set(name, ring);
      }
      ring.push(usage);
      cpu += usage.cpuMillis;
      memory += usage.memoryBytes;
      if (usage.timestamp > latest) {
        latest = usage.timestamp;
        latestText = usage.timestampText;
      }
      windowSeconds = Math.max(windowSeconds, usage.windowSeconds);
    }
    const horizon = this.#options.clock.now() - HISTORY_SECONDS * 1000;
    for (const [name, ring] of this.#nodeHistory)
      if (!byName.has(name) && ring.lastTimestamp < horizon) this.#nodeHistory.delete(name);
    if (byName.size === 0) return undefined;
    const total = Object.freeze({
      cpuMillis: cpu,
      memoryBytes: memory,
      timestamp: latest,
      timestampText: latestText,
      windowSeconds,
    });
    this.#clusterHistory.push(total);
    return total;
  }
}

/** A pod's limits, where it has one: what its cgroup is capped at. */
export interface PodLimits {
  cpuMillis?: number;
  memoryBytes?: number;
}

function limitOf(parse: (q: string) => number, q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  try {
    return parse(q);
  } catch {
    return undefined;
  }
}

/**
 * A pod's limit per resource, as the kubelet caps the pod's cgroup: pod-level
 * `spec.resources.limits` where set; else the sum over its app containers and sidecars
 * (init containers with restartPolicy Always), plus the overhead, when every one of them
 * has a limit for that resource; else none (a container without a limit makes the pod
 * unbounded).
 */
export function effectivePodLimits(pod: V1Pod): PodLimits {
  const spec = pod.spec;
  if (!spec) return {};
  const running = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  const out: PodLimits = {};
  const podLevel = spec.resources?.limits;
  for (const [resource, field, parse] of [
    ['cpu', 'cpuMillis', (q: string) => quantityValue(q) * 1000],
    ['memory', 'memoryBytes', quantityValue],
  ] as const) {
    const own = limitOf(parse, podLevel?.[resource]);
    if (own !== undefined) {
      out[field] = own;
      continue;
    }
    if (running.length === 0) continue;
    let sum = 0;
    let bounded = true;
    for (const c of running) {
      const limit = limitOf(parse, c.resources?.limits?.[resource]);
      if (limit === undefined) {
        bounded = false;
        break;
      }
      sum += limit;
    }
    if (bounded) out[field] = sum + (limitOf(parse, spec.overhead?.[resource]) ?? 0);
  }
  return out;
}

/** A pod's usage over what it requests and over its limits (fractions); null where it has none. */
export interface PodUtilization {
  cpuOfRequest: number | null;
  memoryOfRequest: number | null;
  cpuOfLimit: number | null;
  memoryOfLimit: number | null;
}

const fraction = (used: number, of: number | undefined): number | null =>
  of !== undefined && of > 0 ? used / of : null;

export function podUtilization(pod: V1Pod, usage: Usage): PodUtilization {
  const requests = effectivePodRequests(pod);
  const limits = effectivePodLimits(pod);
  return {
    cpuOfRequest: fraction(usage.cpuMillis, requests.cpuMillis),
    memoryOfRequest: fraction(usage.memoryBytes, requests.memoryBytes),
    cpuOfLimit: fraction(usage.cpuMillis, limits.cpuMillis),
    memoryOfLimit: fraction(usage.memoryBytes, limits.memoryBytes),
  };
}

/** The share of its memory limit at or above which a pod is "near its limit" (the OOM killer's line). */
export const MEMORY_NEAR_LIMIT = 0.9;

/** Memory at or above 90 % of the pod's limit (pods without a memory limit never are). */
export function memoryNearLimit(u: PodUtilization): boolean {
  return u.memoryOfLimit !== null && u.memoryOfLimit >= MEMORY_NEAR_LIMIT;
}

/** More CPU used than requested (pods without a CPU request never are: they request nothing to exceed). */
export function cpuOverRequest(u: PodUtilization): boolean {
  return u.cpuOfRequest !== null && u.cpuOfRequest > 1;
}
