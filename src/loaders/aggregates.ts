/**
 * Batch functions for numbers: a node's pod count and requests, a job's pods by phase, a
 * cluster's summary.
 *
 * With the Pod cache synced and a principal who sees every namespace these are O(1) reads
 * of PodAggregates, kept up to date from watch events. Without the cache, one pod read per
 * (cluster, namespace-or-cluster-wide) serves the whole batch, grouped in memory.
 *
 * Authorization (a choice, documented here and in the schema): a principal limited to some
 * namespaces gets numbers computed over ITS namespaces only — a node's podCount and requested
 * count its pods on that node, a cluster summary counts its pods and jobs. Nodes themselves
 * (count, readiness, capacity, allocatable) are cluster infrastructure and shown in full.
 * Nothing from an invisible namespace can be inferred from any number.
 */
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import {
  type JobPodCounts,
  NO_JOB_PODS,
  type NodeUsage,
  nodeTotalsOf,
  POD_PHASES,
  type PodPhase,
  phaseCountsOfPods,
  podPhase,
  usageOfPods,
} from '../kube/aggregates.js';
import type { KubeObjectOf } from '../kube/kinds.js';
import type { ClusterReader } from '../kube/reader.js';
import { JOB_STATES, type JobState, jobNameOfPod, jobState } from '../kube/rules.js';
import { type AnyObject, commonNamespace, groupBy } from './keys.js';
import type { BatchHook } from './lists.js';
import { type RequestReads, readError } from './reads.js';
import { tracedBatch } from './tracing.js';

type Pod = KubeObjectOf<'Pod'>;

export interface NodeUsageKey {
  cluster: string;
  nodeName: string;
}

export interface JobPodsKey {
  cluster: string;
  namespace: string;
  jobName: string;
}

export interface Amounts {
  cpuMillis: number;
  memoryBytes: number;
}

export interface ClusterSummary {
  /** The cluster summarised (usage fields are looked up by it). */
  cluster: string;
  nodes: number;
  readyNodes: number;
  /** Pods the principal sees, any phase. */
  pods: number;
  podsByPhase: Record<PodPhase, number>;
  /** Non-terminated pods bound to a node: what holds node resources. */
  scheduledPods: number;
  jobs: number;
  jobsByState: Record<JobState, number>;
  capacity: Amounts & { pods: number };
  allocatable: Amounts & { pods: number };
  /** Effective requests of the scheduled pods. */
  requested: Amounts;
  /** True when pods and jobs were counted over the principal's namespaces only. */
  namespacesOnly: boolean;
}

function bucket<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Whether the caller may list every node, pod and job: the summary is the cluster's, not a part. */
function fullView(reads: RequestReads, reader: ClusterReader): boolean {
  const access = reads.access(reader.name);
  return access.all('list', 'Pod') && access.all('list', 'Job') && access.all('list', 'Node');
}

/** The synced PodAggregates, when they may be shown to this principal as they are. */
function aggregatesFor(reads: RequestReads, reader: ClusterReader) {
  return reads.access(reader.name).all('list', 'Pod') ? reader.aggregates() : undefined;
}

/**
 * A DataLoader whose values may also be answered synchronously: `now(key)` gives the value
 * when it is in memory and the principal's access to it is decided without I/O (no
 * SubjectAccessReview pending), else undefined and the caller `load`s. A wide page (1,000
 * nodes, each with its pod count) then costs no promise, batch or tick per field (issue
 * #16's profile); what needs I/O is still batched. `now` answers exactly what the batch
 * function would for the same key.
 */
export class InMemoryLoader<K, V, O = never> extends DataLoader<K, V, string> {
  readonly #now: (key: K, origin?: O) => V | undefined;

  constructor(
    batch: DataLoader.BatchLoadFn<K, V>,
    options: DataLoader.Options<K, V, string>,
    now: (key: K, origin?: O) => V | undefined,
  ) {
    super(batch, options);
    this.#now = now;
  }

  /** `origin`: what the key was made from, when the loader can use it to find the key's answer faster. */
  now(key: K, origin?: O): V | undefined {
    try {
      return this.#now(key, origin);
    } catch {
      return undefined; // an unknown or hidden cluster: `load` answers its error
    }
  }
}

/** The value now when `loader` has it in memory, else its promise. */
export function loadNow<K, V>(loader: InMemoryLoader<K, V>, key: K): V | Promise<V> {
  return loader.now(key) ?? loader.load(key);
}

/**
 * A node's usage from the aggregates, when the principal may list every pod of its cluster.
 * A nodes page asks it twice per node (`podCount`, `requested`): the cluster whose rights were
 * last found sufficient is kept, with its reader, so the rest of the page reads no rights
 * again. A request's rights are its own: RequestReads keeps one access per cluster, over an
 * RBAC set that does not change (a revocation reaches the next request), so what was granted
 * for the first node holds for the last. Whether pods are still served from memory is asked
 * every time (`aggregates()`), as a request may span ticks.
 */
function nodeUsageNow(reads: RequestReads): (key: NodeUsageKey) => NodeUsage | undefined {
  let granted: string | undefined;
  let reader: ClusterReader | undefined;
  return (key) => {
    if (key.cluster !== granted || reader === undefined) {
      const access = reads.access(key.cluster);
      if (access.prepare || !access.all('list', 'Pod')) return undefined;
      reader = reads.reader(key.cluster);
      granted = key.cluster;
    }
    return reader.aggregates()?.nodeNow(key.nodeName);
  };
}

export function createNodeUsageLoader(reads: RequestReads, onBatch?: BatchHook) {
  return new InMemoryLoader<NodeUsageKey, NodeUsage>(
    tracedBatch('nodeUsage', async (keys) => {
      onBatch?.('nodeUsage', keys);
      const results: (NodeUsage | Error)[] = new Array(keys.length);
      await Promise.all(
        groupBy(keys, (k) => k.cluster).map(async (group) => {
          const cluster = keys[group[0]].cluster;
          try {
            const reader = reads.reader(cluster);
            await reads.prepare(cluster, [{ verb: 'list', kind: 'Pod' }]);
            const aggregates = aggregatesFor(reads, reader);
            if (aggregates) {
              for (const i of group) results[i] = aggregates.node(keys[i].nodeName);
            } else if (reader.cached('Pod') || group.length === 1) {
              // The node index (or a spec.nodeName field selector) per key.
              await Promise.all(
                group.map(async (i) => {
                  const pods = await reads.list(reader, 'Pod', { nodeName: keys[i].nodeName });
                  results[i] = usageOfPods(pods as Pod[]);
                }),
              );
            } else {
              const byNode = new Map<string, Pod[]>();
              for (const pod of (await reads.list(reader, 'Pod', {})) as Pod[])
                if (pod.spec?.nodeName) bucket(byNode, pod.spec.nodeName, pod);
              for (const i of group) results[i] = usageOfPods(byNode.get(keys[i].nodeName) ?? []);
            }
          } catch (err) {
            const e = readError(err, cluster, 'listing pods');
            for (const i of group) results[i] = e;
          }
        }),
      );
      return results;
    }),
    { cacheKeyFn: (k) => JSON.stringify([k.cluster, k.nodeName]) },
    // What the batch would answer, read live: the caller reads it at once (a field's value).
    nodeUsageNow(reads),
  );
}

export function createJobPodsLoader(reads: RequestReads, onBatch?: BatchHook) {
  return new InMemoryLoader<JobPodsKey, JobPodCounts>(
    tracedBatch('jobPods', async (keys) => {
      onBatch?.('jobPods', keys);
      const results: (JobPodCounts | Error)[] = new Array(keys.length);
      await Promise.all(
        groupBy(keys, (k) => k.cluster).map(async (group) => {
          const cluster = keys[group[0]].cluster;
          try {
            const reader = reads.reader(cluster);
            const access = reads.access(cluster);
            await reads.prepare(
              cluster,
              [...new Set(group.map((i) => keys[i].namespace))].map((namespace) => ({
                verb: 'list' as const,
                kind: 'Pod' as const,
                namespace,
              })),
            );
            const visible = group.filter((i) => {
              if (access.allows('list', 'Pod', keys[i].namespace)) return true;
              results[i] = phaseCountsOfPods([]);
              return false;
            });
            // A job's pods live in the job's namespace, so per-job counts are never wider than
            // the principal's view: the aggregates serve every principal here.
            const aggregates = reader.aggregates();
            if (aggregates) {
              for (const i of visible) results[i] = aggregates.job(keys[i].namespace, keys[i].jobName);
            } else if (visible.length === 1) {
              const { namespace, jobName } = keys[visible[0]];
              results[visible[0]] = phaseCountsOfPods(
                (await reads.list(reader, 'Pod', { namespace, jobName })) as Pod[],
              );
            } else if (visible.length > 1) {
              const namespace = commonNamespace(visible.map((i) => keys[i]));
              const byJob = new Map<string, Pod[]>();
              for (const pod of (await reads.list(reader, 'Pod', { namespace })) as Pod[]) {
                const job = jobNameOfPod(pod);
                if (job) bucket(byJob, JSON.stringify([pod.metadata?.namespace, job]), pod);
              }
              for (const i of visible)
                results[i] = phaseCountsOfPods(
                  byJob.get(JSON.stringify([keys[i].namespace, keys[i].jobName])) ?? [],
                );
            }
          } catch (err) {
            const e = readError(err, cluster, 'listing pods');
            for (const i of group) results[i] = e;
          }
        }),
      );
      return results;
    }),
    { cacheKeyFn: (k) => JSON.stringify([k.cluster, k.namespace, k.jobName]) },
    (key) => {
      const access = reads.access(key.cluster);
      if (access.prepare) return undefined;
      // As the batch: a namespace the caller may not list pods in counts nothing.
      if (!access.allows('list', 'Pod', key.namespace)) return NO_JOB_PODS;
      // The live entry: the caller reads it at once (a field's value), as nodeNow.
      return reads.reader(key.cluster).aggregates()?.jobNow(key.namespace, key.jobName);
    },
  );
}

/**
 * The kinds a summary must list because no aggregate answers them (Node, Job and Pod when
 * their informer does not serve them from memory).
 */
interface SummaryPlan {
  lists: ('Node' | 'Job' | 'Pod')[];
}

function summaryPlan(reads: RequestReads, reader: ClusterReader): SummaryPlan {
  const access = reads.access(reader.name);
  const lists: SummaryPlan['lists'] = [];
  if (access.all('list', 'Node') && !reader.nodeAggregates()) lists.push('Node');
  if (!reader.jobAggregates()) lists.push('Job');
  if (!reader.aggregates()) lists.push('Pod');
  return { lists };
}

type Listed = Partial<Record<'Node' | 'Job' | 'Pod', readonly AnyObject[]>>;

function addNodes(reads: RequestReads, reader: ClusterReader, s: ClusterSummary, listed: Listed) {
  if (!reads.access(reader.name).all('list', 'Node')) return; // nodes are listed whole, or not at all
  const nodes = listed.Node;
  const totals = nodes
    ? nodeTotalsOf(nodes as KubeObjectOf<'Node'>[])
    : (reader.nodeAggregates()?.totals() ?? nodeTotalsOf([]));
  s.nodes = totals.nodes;
  s.readyNodes = totals.readyNodes;
  s.capacity = totals.capacity;
  s.allocatable = totals.allocatable;
}

/**
 * Sums of per-namespace aggregates over a caller's granted namespaces, memoised per rights
 * (the access key) until the aggregates change: a caller granted in 1,000 namespaces would
 * otherwise add up 1,000 entries twice per summary (bench R, Q1: 1.6x the open gateway's
 * p50 before this memo). Bounded: a few hundred distinct rights per cluster.
 */
const partialSums = new WeakMap<object, LRUCache<string, { version: number; value: unknown }>>();

function memoSum<T>(owner: { readonly version: number }, key: string, compute: () => T): T {
  let cache = partialSums.get(owner);
  if (!cache) {
    cache = new LRUCache({ max: 512 });
    partialSums.set(owner, cache);
  }
  const hit = cache.get(key);
  if (hit && hit.version === owner.version) return hit.value as T;
  const version = owner.version;
  const value = compute();
  cache.set(key, { version, value });
  return value;
}

/**
 * Jobs by state: from the incremental job aggregates when jobs are served from memory (all
 * namespaces, or the caller's granted namespaces summed), else a walk of what it may list.
 */
function addJobs(reads: RequestReads, reader: ClusterReader, s: ClusterSummary, listed: Listed) {
  const access = reads.access(reader.name);
  const aggregates = reader.jobAggregates();
  if (aggregates) {
    const counts = access.all('list', 'Job') ? aggregates.totals() : undefined;
    if (counts) s.jobsByState = counts;
    else {
      const sum = memoSum(aggregates, access.key, () => {
        const t = Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>;
        for (const ns of access.namespaces('list', 'Job')) {
          const n = aggregates.namespace(ns);
          for (const st of JOB_STATES) t[st] += n[st];
        }
        return t;
      });
      s.jobsByState = { ...sum };
    }
  } else {
    for (const job of (listed.Job ?? []) as KubeObjectOf<'Job'>[]) s.jobsByState[jobState(job)] += 1;
  }
  s.jobs = JOB_STATES.reduce((n, st) => n + s.jobsByState[st], 0);
}

/**
 * Pods: from the incremental pod aggregates when pods are served from memory (the
 * cluster's totals for a caller who may list every pod, its granted namespaces' totals
 * summed for one who may list some), else a walk of what it may list.
 */
function addPods(reads: RequestReads, reader: ClusterReader, s: ClusterSummary, listed: Listed) {
  const access = reads.access(reader.name);
  const aggregates = reader.aggregates();
  if (aggregates && access.all('list', 'Pod')) {
    const totals = aggregates.totals();
    s.pods = totals.pods;
    s.podsByPhase = aggregates.phaseCounts();
    s.scheduledPods = totals.podCount;
    s.requested = { cpuMillis: totals.cpuMillis, memoryBytes: totals.memoryBytes };
  } else if (aggregates) {
    const sum = memoSum(aggregates, access.key, () => {
      const t = { pods: 0, podCount: 0, cpuMillis: 0, memoryBytes: 0, phases: { ...s.podsByPhase } };
      for (const ns of access.namespaces('list', 'Pod')) {
        const n = aggregates.namespace(ns);
        t.pods += n.pods;
        for (const phase of POD_PHASES) t.phases[phase] += n.phases[phase];
        t.podCount += n.podCount;
        t.cpuMillis += n.cpuMillis;
        t.memoryBytes += n.memoryBytes;
      }
      return t;
    });
    s.pods = sum.pods;
    s.podsByPhase = { ...sum.phases };
    s.scheduledPods = sum.podCount;
    s.requested = { cpuMillis: sum.cpuMillis, memoryBytes: sum.memoryBytes };
  } else {
    const pods = (listed.Pod ?? []) as Pod[];
    s.pods = pods.length;
    for (const pod of pods) s.podsByPhase[podPhase(pod)] += 1;
    const u = usageOfPods(pods);
    s.scheduledPods = u.podCount;
    s.requested = { cpuMillis: u.cpuMillis, memoryBytes: u.memoryBytes };
  }
  for (const phase of POD_PHASES) s.podsByPhase[phase] ??= 0;
}

const SUMMARY_NEEDS = [
  { verb: 'list', kind: 'Pod' },
  { verb: 'list', kind: 'Job' },
  { verb: 'list', kind: 'Node' },
] as const;

/** The summary from the lists its plan named (the rest comes from the aggregates and memos). */
function buildSummary(reads: RequestReads, reader: ClusterReader, listed: Listed): ClusterSummary {
  const s: ClusterSummary = {
    cluster: reader.name,
    nodes: 0,
    readyNodes: 0,
    pods: 0,
    podsByPhase: { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 },
    scheduledPods: 0,
    jobs: 0,
    jobsByState: Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>,
    capacity: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
    allocatable: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
    requested: { cpuMillis: 0, memoryBytes: 0 },
    namespacesOnly: !fullView(reads, reader),
  };
  addNodes(reads, reader, s, listed);
  addJobs(reads, reader, s, listed);
  addPods(reads, reader, s, listed);
  return s;
}

async function summarize(reads: RequestReads, reader: ClusterReader): Promise<ClusterSummary> {
  await reads.prepare(reader.name, SUMMARY_NEEDS);
  const plan = summaryPlan(reads, reader);
  const listed: Listed = {};
  await Promise.all(
    plan.lists.map(async (kind) => {
      listed[kind] = await reads.list(reader, kind, {});
    }),
  );
  return buildSummary(reads, reader, listed);
}

/**
 * The summary now, when nothing it needs takes I/O: rights decided in memory, and every list
 * the aggregates and memos do not answer served from memory (`listNow`). The usual case once
 * synced: a front page's summary then costs no DataLoader batch, promise or tick.
 */
function summarizeNow(reads: RequestReads, reader: ClusterReader): ClusterSummary | undefined {
  if (reads.access(reader.name).prepare) return undefined;
  const plan = summaryPlan(reads, reader);
  const listed: Listed = {};
  for (const kind of plan.lists) {
    const items = reads.listNow(reader, kind, {});
    if (!items) return undefined;
    listed[kind] = items;
  }
  return buildSummary(reads, reader, listed);
}

export function createSummaryLoader(reads: RequestReads, onBatch?: BatchHook) {
  return new InMemoryLoader<string, ClusterSummary>(
    tracedBatch('summary', async (clusters) => {
      onBatch?.('summary', clusters);
      return Promise.all(
        clusters.map(async (cluster) => {
          try {
            return await summarize(reads, reads.reader(cluster));
          } catch (err) {
            return readError(err, cluster, 'summarizing the cluster');
          }
        }),
      );
    }),
    {},
    (cluster) => summarizeNow(reads, reads.reader(cluster)),
  );
}
