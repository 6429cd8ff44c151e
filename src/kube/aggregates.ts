/**
 * Per-node and per-job pod aggregates, kept up to date from pod transitions instead of
 * re-scanning pods per request (a node page showing "pods / CPU requested" for 5k nodes would
 * otherwise walk 150k pods); jobs by state and the nodes' own sums likewise, at the end.
 *
 * Each pod contributes:
 * - to its node, when bound (spec.nodeName) and not terminated (phase not Succeeded/Failed, as
 *   `kubectl describe node` counts): 1 pod and its effective requests (see quantity.ts);
 * - to its Job (rules.ts jobNameOfPod): 1 in its phase;
 * - to the cluster-wide phase counts.
 * `apply(prev, next)` removes prev's contribution and adds next's, so the aggregates stay exact
 * as long as `prev` is the object previously applied for that pod (what Indexer.update and
 * Indexer.delete return). Not safe to call with a prev that was never applied.
 */
import type { V1Job, V1Node, V1Pod } from '@kubernetes/client-node';
import {
  JOB_STATES,
  type JobState,
  jobNameOfPod,
  jobState,
  type NodeUsage,
  nodeReady,
  nodeResources,
  nodeUsageOf,
  type PodPhase,
  podPhase,
} from './rules.js';

export { isTerminated, type NodeUsage, POD_PHASES, type PodPhase, podPhase } from './rules.js';

export interface JobPodCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  unknown: number;
  total: number;
}

export interface PodTotals extends NodeUsage {
  /** Every pod applied, whatever its phase or binding. podCount and the requests are the sum over nodes. */
  pods: number;
}

export const PHASE_FIELD: Record<PodPhase, Exclude<keyof JobPodCounts, 'total'>> = {
  Pending: 'pending',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Unknown: 'unknown',
};

/** What an informer keeps up to date from its kind's changes (PodAggregates, JobAggregates). */
export interface Aggregator<T> {
  apply(prev: T | undefined, next: T | undefined): void;
  reset(items: Iterable<T>): void;
}

const NO_USAGE: Readonly<NodeUsage> = Object.freeze({ podCount: 0, cpuMillis: 0, memoryBytes: 0 });
/** A job without pods (`zeroJob` is a function declaration below: hoisted). */
export const NO_JOB_PODS: Readonly<JobPodCounts> = Object.freeze(zeroJob());

/** One namespace's pods: how many, by phase, and what the non-terminated bound ones hold. */
export interface NamespacePods extends PodTotals {
  phases: Record<PodPhase, number>;
}

export class PodAggregates implements Aggregator<V1Pod> {
  readonly #nodes = new Map<string, NodeUsage>();
  /**
   * Per namespace: what a caller granted in some namespaces sees of the cluster summary,
   * summed over its namespaces in O(namespaces) instead of a walk of their pods.
   */
  readonly #namespaces = new Map<string, NamespacePods>();
  /**
   * Per namespace, then per job name: a page of 100 jobs looks each one up by the two strings
   * it already holds. Keyed by `keyOf(namespace, name)`, every lookup built a new string that
   * had to be flattened and hashed: `jobNow` was 3 % of Q3's profile at size L (`floor.js L
   * 500 --only B --ops Q3 --prof DIR`, ~0.4 µs a job).
   */
  readonly #jobs = new Map<string, Map<string, JobPodCounts>>();
  #phases: Record<PodPhase, number> = zeroPhases();
  #pods = 0;
  /**
   * The sum of the node entries, kept with them: `totals()` walked every node (1,000 at size
   * L) on each cluster summary, ~7 % of a front page's CPU at L (bench/profile-top.ts).
   */
  readonly #bound: NodeUsage = { podCount: 0, cpuMillis: 0, memoryBytes: 0 };
  #version = 0;

  /** Moves on every change: sums derived from the aggregates are valid while it stands. */
  get version(): number {
    return this.#version;
  }

  /** Applies one pod transition: prev → next (undefined prev: added; undefined next: deleted). */
  apply(prev: V1Pod | undefined, next: V1Pod | undefined): void {
    this.#version += 1;
    if (prev !== undefined) this.#contribute(prev, -1);
    if (next !== undefined) this.#contribute(next, 1);
  }

  /** Recomputes everything from `pods` (after a relist). */
  reset(pods: Iterable<V1Pod>): void {
    this.#version += 1;
    this.#nodes.clear();
    this.#namespaces.clear();
    this.#jobs.clear();
    this.#phases = zeroPhases();
    this.#pods = 0;
    this.#bound.podCount = 0;
    this.#bound.cpuMillis = 0;
    this.#bound.memoryBytes = 0;
    for (const pod of pods) this.#contribute(pod, 1);
  }

  /** O(1); zeros for a node with no non-terminated pods (or that does not exist). Returns a copy. */
  node(nodeName: string): NodeUsage {
    const u = this.#nodes.get(nodeName);
    return u === undefined ? { podCount: 0, cpuMillis: 0, memoryBytes: 0 } : { ...u };
  }

  /**
   * A node's usage as it is now: the live entry (zeros for a node without pods), not a copy.
   * For a read that is done at once: a page of 1,000 nodes asks it twice a node (podCount,
   * requested), and `node`'s copy (its CPU and memory fields heap numbers) was 4.6 % of Q2's
   * CPU profile at L. With this and one access lookup instead of three, Q2's CPU per request
   * 9.23 → 7.77 ms (`npx tsx bench/ab.ts BASE CHANGE L Q2 300 6`, medians, 5 of 6 rounds lower).
   */
  nodeNow(nodeName: string): Readonly<NodeUsage> {
    return this.#nodes.get(nodeName) ?? NO_USAGE;
  }

  /** Names of the nodes that currently have non-terminated pods. */
  nodeNames(): string[] {
    return [...this.#nodes.keys()];
  }

  /** O(1); zeros for a job without pods. Returns a copy. */
  job(namespace: string, jobName: string): JobPodCounts {
    const c = this.#jobs.get(namespace)?.get(jobName);
    return c === undefined ? zeroJob() : { ...c };
  }

  /**
   * A job's counts as they are now: the live entry (zeros for a job without pods), not a
   * copy, for a read done at once, as `nodeNow` for Q2. A page of 100 jobs asks it once a job
   * (`podsByPhase`): one object fewer per job, by construction; `job` was 2.4–4.2 % of Q3's
   * profiles (its key, lookup and copy together), and an A/B could not separate the copy's
   * share from the machine's noise (bench/results/wide-answers.md, session 25).
   */
  jobNow(namespace: string, jobName: string): Readonly<JobPodCounts> {
    return this.#jobs.get(namespace)?.get(jobName) ?? NO_JOB_PODS;
  }

  /** Pods per phase, over all pods applied. Returns a copy. */
  phaseCounts(): Record<PodPhase, number> {
    return { ...this.#phases };
  }

  /**
   * One namespace's pods (zeros for none): the live entry, not a copy — a summary sums a
   * thousand of them per request, and copies were most of its time. Read it at once.
   */
  namespace(namespace: string): Readonly<NamespacePods> {
    return this.#namespaces.get(namespace) ?? NO_PODS;
  }

  /** Cluster-wide: number of pods, and the sum of the node aggregates. O(1). */
  totals(): PodTotals {
    const b = this.#bound;
    return { pods: this.#pods, podCount: b.podCount, cpuMillis: b.cpuMillis, memoryBytes: b.memoryBytes };
  }

  #contribute(pod: V1Pod, sign: 1 | -1): void {
    this.#pods += sign;
    const phase = podPhase(pod);
    this.#phases[phase] += sign;

    const usage = nodeUsageOf(pod);
    const namespace = pod.metadata?.namespace ?? '';
    let n = this.#namespaces.get(namespace);
    if (n === undefined) {
      n = zeroNamespace();
      this.#namespaces.set(namespace, n);
    }
    n.pods += sign;
    n.phases[phase] += sign;
    if (usage !== undefined) {
      n.podCount += sign;
      n.cpuMillis += sign * usage.cpuMillis;
      n.memoryBytes += sign * usage.memoryBytes;
    }
    if (n.pods === 0) this.#namespaces.delete(namespace);
    if (usage !== undefined) {
      const { nodeName } = usage;
      let u = this.#nodes.get(nodeName);
      if (u === undefined) {
        u = { podCount: 0, cpuMillis: 0, memoryBytes: 0 };
        this.#nodes.set(nodeName, u);
      }
      u.podCount += sign;
      u.cpuMillis += sign * usage.cpuMillis;
      u.memoryBytes += sign * usage.memoryBytes;
      const b = this.#bound;
      b.podCount += sign;
      b.cpuMillis += sign * usage.cpuMillis;
      b.memoryBytes += sign * usage.memoryBytes;
      // Drop empty entries so nodes that went away do not accumulate.
      if (u.podCount === 0) this.#nodes.delete(nodeName);
    }

    const jobName = jobNameOfPod(pod);
    if (jobName !== undefined) {
      const namespace = pod.metadata?.namespace ?? '';
      let inNamespace = this.#jobs.get(namespace);
      if (inNamespace === undefined) {
        inNamespace = new Map();
        this.#jobs.set(namespace, inNamespace);
      }
      let c = inNamespace.get(jobName);
      if (c === undefined) {
        c = zeroJob();
        inNamespace.set(jobName, c);
      }
      c[PHASE_FIELD[phase]] += sign;
      c.total += sign;
      if (c.total === 0) {
        inNamespace.delete(jobName);
        if (inNamespace.size === 0) this.#jobs.delete(namespace);
      }
    }
  }
}

/**
 * Jobs by state per namespace, kept up to date from job changes: a partial view's summary
 * sums its namespaces instead of walking every job it may see (bench/rbac-only.ts: the walk
 * was most of a namespace-limited caller's cluster summary).
 */
export class JobAggregates implements Aggregator<V1Job> {
  readonly #namespaces = new Map<string, Record<JobState, number>>();
  /** Every namespace's counts summed, kept with them (`totals()` is O(1)). */
  #all: Record<JobState, number> = zeroStates();
  #version = 0;

  /** Moves on every change: sums derived from the aggregates are valid while it stands. */
  get version(): number {
    return this.#version;
  }

  apply(prev: V1Job | undefined, next: V1Job | undefined): void {
    this.#version += 1;
    if (prev !== undefined) this.#contribute(prev, -1);
    if (next !== undefined) this.#contribute(next, 1);
  }

  reset(jobs: Iterable<V1Job>): void {
    this.#version += 1;
    this.#namespaces.clear();
    this.#all = zeroStates();
    for (const job of jobs) this.#contribute(job, 1);
  }

  /** One namespace's jobs by state (zeros for none): the live entry, not a copy; read it at once. */
  namespace(namespace: string): Readonly<Record<JobState, number>> {
    return this.#namespaces.get(namespace) ?? NO_JOBS;
  }

  /** Every namespace's jobs by state. Returns a copy. */
  totals(): Record<JobState, number> {
    return { ...this.#all };
  }

  #contribute(job: V1Job, sign: 1 | -1): void {
    const namespace = job.metadata?.namespace ?? '';
    let n = this.#namespaces.get(namespace);
    if (n === undefined) {
      n = zeroStates();
      this.#namespaces.set(namespace, n);
    }
    const state = jobState(job);
    n[state] += sign;
    this.#all[state] += sign;
    if (JOB_STATES.every((st) => n[st] === 0)) this.#namespaces.delete(namespace);
  }
}

/** A set of nodes summed: how many, how many Ready, and their capacity and allocatable. */
export interface NodeTotals {
  nodes: number;
  readyNodes: number;
  capacity: { cpuMillis: number; memoryBytes: number; pods: number };
  allocatable: { cpuMillis: number; memoryBytes: number; pods: number };
}

/**
 * The cluster's nodes summed, kept up to date from node changes: the summary's node part was
 * a walk of every node (1,000 at size L), memoised only until the next node change, and the
 * kubelets' heartbeats change a node several times a second (the bench's churn: 9/s). Under
 * a load of cluster summaries at L that walk was ~2 % of the gateway's busy time
 * (`addNodes` in `bench/profile-top.ts` over a `bench/q1-ratio.ts L` profile).
 */
export class NodeAggregates implements Aggregator<V1Node> {
  #totals: NodeTotals = zeroNodeTotals();

  apply(prev: V1Node | undefined, next: V1Node | undefined): void {
    if (prev !== undefined) addNode(this.#totals, prev, -1);
    if (next !== undefined) addNode(this.#totals, next, 1);
  }

  reset(nodes: Iterable<V1Node>): void {
    this.#totals = nodeTotalsOf(nodes);
  }

  /** O(1). Returns a copy. */
  totals(): NodeTotals {
    const t = this.#totals;
    return {
      nodes: t.nodes,
      readyNodes: t.readyNodes,
      capacity: { ...t.capacity },
      allocatable: { ...t.allocatable },
    };
  }
}

/** What NodeAggregates keeps, computed from a list of nodes (the no-cache path). */
export function nodeTotalsOf(nodes: Iterable<V1Node>): NodeTotals {
  const t = zeroNodeTotals();
  for (const node of nodes) addNode(t, node, 1);
  return t;
}

function addNode(t: NodeTotals, node: V1Node, sign: 1 | -1): void {
  t.nodes += sign;
  if (nodeReady(node)) t.readyNodes += sign;
  for (const which of ['capacity', 'allocatable'] as const) {
    const r = nodeResources(node, which);
    t[which].cpuMillis += sign * (r.cpuMillis ?? 0);
    t[which].memoryBytes += sign * (r.memoryBytes ?? 0);
    t[which].pods += sign * (r.pods ?? 0);
  }
}

function zeroNodeTotals(): NodeTotals {
  return {
    nodes: 0,
    readyNodes: 0,
    capacity: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
    allocatable: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
  };
}

const NO_JOBS: Readonly<Record<JobState, number>> = Object.freeze(zeroStates());
const NO_PODS: Readonly<NamespacePods> = Object.freeze({
  ...zeroNamespace(),
  phases: Object.freeze(zeroPhases()),
});

function zeroStates(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>;
}

function zeroNamespace(): NamespacePods {
  return { pods: 0, podCount: 0, cpuMillis: 0, memoryBytes: 0, phases: zeroPhases() };
}

function zeroPhases(): Record<PodPhase, number> {
  return { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
}

function zeroJob(): JobPodCounts {
  return { pending: 0, running: 0, succeeded: 0, failed: 0, unknown: 0, total: 0 };
}

/**
 * What PodAggregates keeps for one node, computed from a list of pods instead: the no-cache
 * path and the namespace-limited view use it, with the same rules as the aggregates.
 */
export function usageOfPods(pods: Iterable<V1Pod>): NodeUsage {
  const u: NodeUsage = { podCount: 0, cpuMillis: 0, memoryBytes: 0 };
  for (const pod of pods) {
    const r = nodeUsageOf(pod);
    if (r === undefined) continue;
    u.podCount += 1;
    u.cpuMillis += r.cpuMillis;
    u.memoryBytes += r.memoryBytes;
  }
  return u;
}

/** What PodAggregates keeps for one job, computed from a list of its pods. */
export function phaseCountsOfPods(pods: Iterable<V1Pod>): JobPodCounts {
  const c = zeroJob();
  for (const pod of pods) {
    c[PHASE_FIELD[podPhase(pod)]] += 1;
    c.total += 1;
  }
  return c;
}
