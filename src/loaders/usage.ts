/**
 * Usage (the metrics API, kube/usage.ts) joined to nodes and pods, per request.
 *
 * The cluster's metrics are fetched once per window and shared by every request
 * (`ClusterUsage`); a request reads each cluster's answer at most once (memoised here, so
 * one page sees one window), and DataLoaders join it to the objects in memory by name.
 *
 * Rights, as the API server would decide a `kubectl top`: a node's usage needs `get` on
 * `nodes` in `metrics.k8s.io` (cluster scope), a pod's `get` on `pods` in
 * `metrics.k8s.io` in its namespace, through the same `accessIn()` as every other read
 * (RBAC compiled, SubjectAccessReview, a static principal's lists). Nothing is fetched
 * for a caller who may see no usage at all.
 *
 * Errors: one per (cluster, code) per operation, not one per object (`once`): a page of
 * 500 pods in a cluster without a metrics API gets 500 nulls and ONE UNAVAILABLE.
 */
import DataLoader from 'dataloader';
import { ErrorCode, forbidden, GatewayError } from '../errors.js';
import type { Clock } from '../kube/clock.js';
import type { KubeObjectOf } from '../kube/kinds.js';
import { NODE_METRICS, POD_METRICS } from '../kube/rbac.js';
import type { ClusterReader } from '../kube/reader.js';
import {
  type ClusterUsage,
  cpuOverRequest,
  memoryNearLimit,
  type NodeMetrics,
  type NodeMetricsAnswer,
  type PodMetrics,
  type PodMetricsAnswer,
  type PodUsage,
  podMetricsKey,
  podUtilization,
  type Usage,
  type UsageSample,
} from '../kube/usage.js';
import { groupBy } from './keys.js';
import type { BatchHook } from './lists.js';
import { type RequestReads, readError } from './reads.js';

type Pod = KubeObjectOf<'Pod'>;

export interface NodeUsageRef {
  cluster: string;
  name: string;
}

export interface PodUsageRef {
  cluster: string;
  namespace: string;
  name: string;
}

/** The usage a caller may see of a cluster's objects, for ordering and filtering. */
export interface UsageView<A extends unknown[], U> {
  /** Identifies the answer and the rights: memos of orders derived from the view key on it. */
  readonly version: string;
  get(...args: A): U | undefined;
  /**
   * Why the view is empty when it is empty for want of usage as a whole: the metrics API is
   * absent (UNAVAILABLE) or failed, or the caller may see no usage of that kind in the
   * cluster (FORBIDDEN). An order or filter by usage fails with it rather than silently
   * falling back to name order (a "top pods by CPU" that is not). Undefined otherwise, also
   * when only some objects' usage is hidden (those sort last).
   */
  readonly error?: Error;
}

export interface PodSignals {
  podsNearMemoryLimit: number;
  podsOverCpuRequest: number;
}

export interface UsageLoaders {
  /** A node's usage; rejects FORBIDDEN without `get` on its node metrics, UNAVAILABLE without a metrics API. */
  readonly node: DataLoader<NodeUsageRef, Usage | null, string>;
  /** A pod's usage (with its containers'); null when the metrics API has none for it (not running). */
  readonly pod: DataLoader<PodUsageRef, PodUsage | null, string>;
  /**
   * `node.load(ref)`'s outcome now, when it is in memory (this request's window answer is
   * there and the rights are decided without I/O): the value, or the error `load` would
   * reject with. undefined: not in memory, use `node.load`. A page of 1,000 nodes whose
   * cluster's answer is cached costs no promise per node (issue #14's 1.2× of Q2).
   */
  nodeNow(ref: NodeUsageRef): Usage | null | Error | undefined;
  /** `pod.load(ref)`'s outcome now (see `nodeNow`). */
  podNow(ref: PodUsageRef): PodUsage | null | Error | undefined;
  /** Every node's usage the caller may see (never rejects: what it may not see, or is absent, is undefined). */
  nodes(cluster: string): Promise<UsageView<[name: string], Usage>>;
  /** Every pod's usage the caller may see (never rejects). */
  pods(cluster: string): Promise<UsageView<[namespace: string, name: string], PodUsage>>;
  /** The cluster's usage: the sum over its nodes. Needs `get` on node metrics cluster-wide. */
  total(cluster: string): Promise<Usage | null>;
  /** How many of the pods the caller may list are near their memory limit, and over their CPU request. */
  signals(cluster: string): Promise<PodSignals>;
  /** The last hour of a node's samples (`name`), or of the cluster's sum; the newest `last`. */
  history(cluster: string, name: string | undefined, last?: number): Promise<UsageSample[]>;
  /** Makes this request read answers fetched within the last window (a live value's tick). */
  refresh(cluster: string, what: { pods: boolean }): Promise<void>;
  /** The cluster's metrics window (the cache's ttl), seconds. */
  windowSeconds(cluster: string): number;
  /**
   * `err` if it is the first error with its code for its cluster in this operation, else
   * null: resolvers throw what this returns, so a page gets one error per cluster.
   */
  once(err: unknown): unknown;
}

const NODES_ACTION = 'listing node metrics (metrics.k8s.io)';
const PODS_ACTION = 'listing pod metrics (metrics.k8s.io)';

function unavailable(cluster: string, reason: string): GatewayError {
  return new GatewayError(reason, { code: ErrorCode.UNAVAILABLE, cluster });
}

function nodeForbidden(cluster: string): GatewayError {
  return forbidden(
    `the caller may not get nodes.metrics.k8s.io in cluster "${cluster}": a node's usage needs "get" on "nodes" in API group "metrics.k8s.io" (cluster scope)`,
    { cluster },
  );
}

function podForbidden(cluster: string, namespace: string): GatewayError {
  return forbidden(
    `the caller may not get pods.metrics.k8s.io in namespace "${namespace}" of cluster "${cluster}": a pod's usage needs "get" on "pods" in API group "metrics.k8s.io" in its namespace`,
    { cluster, namespace },
  );
}

function podsForbidden(cluster: string): GatewayError {
  return forbidden(
    `the caller may not get pods.metrics.k8s.io in any namespace of cluster "${cluster}" where it may list pods: a pod's usage needs "get" on "pods" in API group "metrics.k8s.io" in its namespace`,
    { cluster },
  );
}

/**
 * `view`, or its error when it has one, saying what needed the usage (`purpose`, e.g.
 * "ordering pods by CPU_USAGE"): an order or filter by usage fails rather than answer an
 * order that is not the one asked. Code and cluster stay the usage error's.
 */
export function usableView<V extends UsageView<never[], unknown>>(view: V, purpose: string): V {
  const err = view.error;
  if (!err) return view;
  if (!(err instanceof GatewayError)) throw err; // unexpected: masked and logged
  throw new GatewayError(`${purpose} needs usage: ${err.message}`, { ...err.extensions } as never);
}

/** The answer, or the client error it stands for. */
function nodesOrThrow(answer: NodeMetricsAnswer, cluster: string): NodeMetrics {
  if (answer.kind === 'unavailable') throw unavailable(cluster, answer.reason);
  if (answer.kind === 'failed') throw readError(answer.error, cluster, NODES_ACTION);
  return answer;
}

function podsOrThrow(answer: PodMetricsAnswer, cluster: string): PodMetrics {
  if (answer.kind === 'unavailable') throw unavailable(cluster, answer.reason);
  if (answer.kind === 'failed') throw readError(answer.error, cluster, PODS_ACTION);
  return answer;
}

/** Signal counts per (pod list, metrics answer, rights): a summary asked many times a window walks its pods once. */
const signalMemo = new WeakMap<readonly unknown[], Map<string, PodSignals>>();

export function createUsageLoaders(reads: RequestReads, clock: Clock, onBatch?: BatchHook): UsageLoaders {
  const nodeAnswers = new Map<string, Promise<NodeMetricsAnswer>>();
  const podAnswers = new Map<string, Promise<PodMetricsAnswer>>();
  const reported = new Set<string>();
  const usageOf = (reader: ClusterReader): ClusterUsage => reader.usage(clock);

  // This request's answers once they are in hand (one page sees one window): what the
  // synchronous reads (`nodeNow`, `podNow`) answer from.
  const nodeSettled = new Map<string, NodeMetricsAnswer>();
  const podSettled = new Map<string, PodMetricsAnswer>();

  /** Remembers `answer` as this request's for `cluster` once it settles (unless replaced meanwhile). */
  function settle<A>(
    answers: Map<string, Promise<A>>,
    settled: Map<string, A>,
    cluster: string,
    answer: Promise<A>,
  ) {
    settled.delete(cluster);
    answers.set(cluster, answer);
    answer.then(
      (value) => {
        if (answers.get(cluster) === answer) settled.set(cluster, value);
      },
      () => undefined,
    );
    return answer;
  }

  const nodeAnswer = (reader: ClusterReader): Promise<NodeMetricsAnswer> =>
    nodeAnswers.get(reader.name) ?? settle(nodeAnswers, nodeSettled, reader.name, usageOf(reader).nodes());
  const podAnswer = (reader: ClusterReader): Promise<PodMetricsAnswer> =>
    podAnswers.get(reader.name) ?? settle(podAnswers, podSettled, reader.name, usageOf(reader).pods());

  /** This request's answer now: the settled one, else (none asked yet) the cluster's cached one, adopted. */
  function answerNow<A>(
    answers: Map<string, Promise<A>>,
    settled: Map<string, A>,
    cluster: string,
    cached: () => A | undefined,
  ): A | undefined {
    const known = settled.get(cluster);
    if (known !== undefined || answers.has(cluster)) return known; // one in flight: wait for it
    const answer = cached();
    if (answer !== undefined) {
      settled.set(cluster, answer);
      answers.set(cluster, Promise.resolve(answer));
    }
    return answer;
  }

  const node = new DataLoader<NodeUsageRef, Usage | null, string>(
    async (keys) => {
      onBatch?.('usage.node', keys);
      const results: (Usage | null | Error)[] = new Array(keys.length);
      await Promise.all(
        groupBy(keys, (k) => k.cluster).map(async (group) => {
          const cluster = keys[group[0]].cluster;
          try {
            const reader = reads.reader(cluster);
            await reads.prepare(cluster, [{ verb: 'get', resource: NODE_METRICS }]);
            const access = reads.access(cluster);
            const allowed = group.filter((i) => {
              if (access.allowsResource('get', NODE_METRICS.key, undefined, keys[i].name)) return true;
              results[i] = nodeForbidden(cluster);
              return false;
            });
            if (allowed.length === 0) return;
            const metrics = nodesOrThrow(await nodeAnswer(reader), cluster);
            for (const i of allowed) results[i] = metrics.byName.get(keys[i].name) ?? null;
          } catch (err) {
            const e = readError(err, cluster, NODES_ACTION);
            for (const i of group) results[i] ??= e;
          }
        }),
      );
      return results;
    },
    { cacheKeyFn: (k) => JSON.stringify([k.cluster, k.name]) },
  );

  const pod = new DataLoader<PodUsageRef, PodUsage | null, string>(
    async (keys) => {
      onBatch?.('usage.pod', keys);
      const results: (PodUsage | null | Error)[] = new Array(keys.length);
      await Promise.all(
        groupBy(keys, (k) => k.cluster).map(async (group) => {
          const cluster = keys[group[0]].cluster;
          try {
            const reader = reads.reader(cluster);
            await reads.prepare(cluster, [
              { verb: 'get', resource: POD_METRICS },
              ...[...new Set(group.map((i) => keys[i].namespace))].map((namespace) => ({
                verb: 'get' as const,
                resource: POD_METRICS,
                namespace,
              })),
            ]);
            const access = reads.access(cluster);
            const allowed = group.filter((i) => {
              const { namespace, name } = keys[i];
              if (access.allowsResource('get', POD_METRICS.key, namespace, name)) return true;
              results[i] = podForbidden(cluster, namespace);
              return false;
            });
            if (allowed.length === 0) return;
            const metrics = podsOrThrow(await podAnswer(reader), cluster);
            for (const i of allowed)
              results[i] = metrics.byKey.get(podMetricsKey(keys[i].namespace, keys[i].name)) ?? null;
          } catch (err) {
            const e = readError(err, cluster, PODS_ACTION);
            for (const i of group) results[i] ??= e;
          }
        }),
      );
      return results;
    },
    { cacheKeyFn: (k) => JSON.stringify([k.cluster, k.namespace, k.name]) },
  );

  const nodes = async (cluster: string): Promise<UsageView<[string], Usage>> => {
    const reader = reads.reader(cluster);
    const access = reads.access(cluster);
    try {
      await reads.prepare(cluster, [{ verb: 'get', resource: NODE_METRICS }]);
      const all = access.allowsResource('get', NODE_METRICS.key, undefined);
      // Ordering by usage compares every node: it needs the right on all of them (a rule
      // naming some nodes would order a page by what it may not show).
      if (!all) return { version: `none:${access.key}`, get: () => undefined, error: nodeForbidden(cluster) };
      const metrics = nodesOrThrow(await nodeAnswer(reader), cluster);
      return {
        version: `${metrics.seq}:${access.key}`,
        get: (name) => metrics.byName.get(name),
      };
    } catch (err) {
      return {
        version: `none:${access.key}`,
        get: () => undefined,
        error: readError(err, cluster, NODES_ACTION),
      };
    }
  };

  /** The caller may get the metrics of some pod it may list (after `prepare`). */
  const anyPodMetrics = (cluster: string): boolean => {
    const access = reads.access(cluster);
    return (
      access.allowsResource('get', POD_METRICS.key, undefined) ||
      access.namespaces('list', 'Pod').some((ns) => access.allowsResource('get', POD_METRICS.key, ns))
    );
  };

  const pods = async (cluster: string): Promise<UsageView<[string, string], PodUsage>> => {
    const reader = reads.reader(cluster);
    const access = reads.access(cluster);
    try {
      await reads.prepare(cluster, [{ verb: 'get', resource: POD_METRICS }]);
      const all = access.allowsResource('get', POD_METRICS.key, undefined);
      if (!all && !anyPodMetrics(cluster))
        return { version: `none:${access.key}`, get: () => undefined, error: podsForbidden(cluster) };
      const metrics = podsOrThrow(await podAnswer(reader), cluster);
      return {
        version: `${metrics.seq}:${access.key}`,
        get: (namespace, name) =>
          all || access.allowsResource('get', POD_METRICS.key, namespace, name)
            ? metrics.byKey.get(podMetricsKey(namespace, name))
            : undefined,
      };
    } catch (err) {
      return {
        version: `none:${access.key}`,
        get: () => undefined,
        error: readError(err, cluster, PODS_ACTION),
      };
    }
  };

  const nodeNow = ({ cluster, name }: NodeUsageRef): Usage | null | Error | undefined => {
    try {
      const access = reads.access(cluster);
      if (access.prepare) return undefined; // rights decided by I/O (SubjectAccessReview): load
      if (!access.allowsResource('get', NODE_METRICS.key, undefined, name)) return nodeForbidden(cluster);
      const reader = reads.reader(cluster);
      const answer = answerNow(nodeAnswers, nodeSettled, cluster, () => usageOf(reader).nodesNow());
      if (answer === undefined) return undefined;
      return nodesOrThrow(answer, cluster).byName.get(name) ?? null;
    } catch (err) {
      return err instanceof GatewayError ? err : undefined; // an unknown cluster: `load` answers its error
    }
  };

  const podNow = ({ cluster, namespace, name }: PodUsageRef): PodUsage | null | Error | undefined => {
    try {
      const access = reads.access(cluster);
      if (access.prepare) return undefined;
      if (!access.allowsResource('get', POD_METRICS.key, namespace, name))
        return podForbidden(cluster, namespace);
      const reader = reads.reader(cluster);
      const answer = answerNow(podAnswers, podSettled, cluster, () => usageOf(reader).podsNow());
      if (answer === undefined) return undefined;
      return podsOrThrow(answer, cluster).byKey.get(podMetricsKey(namespace, name)) ?? null;
    } catch (err) {
      return err instanceof GatewayError ? err : undefined;
    }
  };

  return Object.freeze({
    node,
    pod,
    nodeNow,
    podNow,
    nodes,
    pods,
    async total(cluster: string): Promise<Usage | null> {
      const reader = reads.reader(cluster);
      await reads.prepare(cluster, [{ verb: 'get', resource: NODE_METRICS }]);
      if (!reads.access(cluster).allowsResource('get', NODE_METRICS.key, undefined))
        throw nodeForbidden(cluster);
      return nodesOrThrow(await nodeAnswer(reader), cluster).total ?? null;
    },
    async signals(cluster: string): Promise<PodSignals> {
      const reader = reads.reader(cluster);
      await reads.prepare(cluster, [{ verb: 'get', resource: POD_METRICS }]);
      // Fails as the pod usage fields do: no right to any pod's usage (nothing fetched then); no metrics API.
      if (!anyPodMetrics(cluster)) throw podsForbidden(cluster);
      const metrics = podsOrThrow(await podAnswer(reader), cluster);
      const list = (await reads.list(reader, 'Pod', {})) as readonly Pod[];
      const view = await pods(cluster);
      const key = `${metrics.seq}:${view.version}`;
      const hit = signalMemo.get(list)?.get(key);
      if (hit) return hit;
      const out: PodSignals = { podsNearMemoryLimit: 0, podsOverCpuRequest: 0 };
      for (const p of list) {
        const usage = view.get(p.metadata?.namespace ?? '', p.metadata?.name ?? '');
        if (!usage) continue;
        const u = podUtilization(p, usage);
        if (memoryNearLimit(u)) out.podsNearMemoryLimit += 1;
        if (cpuOverRequest(u)) out.podsOverCpuRequest += 1;
      }
      if (Object.isFrozen(list)) {
        let byKey = signalMemo.get(list);
        if (!byKey) {
          byKey = new Map();
          signalMemo.set(list, byKey);
        }
        if (byKey.size > 16) byKey.clear();
        byKey.set(key, out);
      }
      return out;
    },
    async history(cluster: string, name: string | undefined, last?: number): Promise<UsageSample[]> {
      const reader = reads.reader(cluster);
      await reads.prepare(cluster, [{ verb: 'get', resource: NODE_METRICS }]);
      if (!reads.access(cluster).allowsResource('get', NODE_METRICS.key, undefined, name))
        throw nodeForbidden(cluster);
      // Asking counts: this window's sample is taken (once per window, shared) before reading.
      nodesOrThrow(await nodeAnswer(reader), cluster);
      const usage = usageOf(reader);
      return name === undefined ? usage.clusterHistory(last) : usage.nodeHistory(name, last);
    },
    async refresh(cluster: string, what: { pods: boolean }): Promise<void> {
      const usage = usageOf(reads.reader(cluster));
      const fresh = settle(nodeAnswers, nodeSettled, cluster, usage.nodes({ fresh: true }));
      const waits: Promise<unknown>[] = [fresh];
      if (what.pods) waits.push(settle(podAnswers, podSettled, cluster, usage.pods({ fresh: true })));
      await Promise.all(waits);
    },
    windowSeconds(cluster: string): number {
      return usageOf(reads.reader(cluster)).windowMs / 1000;
    },
    once(err: unknown): unknown {
      if (!(err instanceof GatewayError)) return err; // a bug: every one is reported (masked, logged)
      const key = `${err.code}\u0000${String(err.extensions.cluster ?? '')}`;
      if (reported.has(key)) return null;
      reported.add(key);
      return err;
    },
  });
}
