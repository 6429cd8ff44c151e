/**
 * A deterministic, realistic cluster for the simulator: namespaces, nodes, pods (with
 * their owners' labels and references, init containers, sidecars, probes, volumes,
 * managedFields and a plausible mix of states), jobs with consistent pods, and a bounded
 * number of events. The same seed gives the same cluster, uids included.
 *
 * Memory is what limits a 100k-pod scenario, so pods share every immutable sub-object
 * they can: a workload's containers, volumes, labels, owner references and its
 * controller managedFields entry are built once, frozen, and referenced by all of its
 * pods. The store spreads only the top level and the metadata of what it is given and
 * skips already-frozen objects when it freezes, so the sharing survives `create`.
 *
 * Also exported: the pod-status and managedFields builders, so that the job controller
 * and the churn move pods between states the same way the scenario draws them.
 *
 * Layout: this module orders the build (nodes, kube-system, jobs, apps, then namespaces
 * and events) and writes it to the store; nodes.ts, kube-system.ts, job-objects.ts and
 * workloads.ts build the parts from catalog.ts; pods.ts makes every pod, with
 * pod-status.ts and managed-fields.ts; random.ts draws everything from one seed.
 */
import type { SimStore } from '../store.js';
import type { KubeObject, RbacResource, ResourceName } from '../types.js';
import { daemonSetsOf } from './daemon-sets.js';
import { buildEvents } from './events.js';
import { buildJob } from './job-objects.js';
import { allocateJobPods, planJob } from './job-plans.js';
import { buildSystemPods } from './kube-system.js';
import { lastRenewal, NODE_LEASE_NAMESPACE, nodeLeaseObject } from './leases.js';
import { NamespacePool, namespaceObject } from './namespaces.js';
import { buildNodes, PodIPAllocator } from './nodes.js';
import { PHASE_OF, type PodPhase } from './pod-status.js';
import type { BuildContext } from './pods.js';
import { DAY, isoTime, mulberry32, randomInt, randomUid, SECOND } from './random.js';
import { StatusMemo } from './status-memo.js';
import { buildWorkloads } from './workloads.js';

export {
  JOB_TRACKING_FINALIZER,
  jobCondition,
  jobFinishedConditions,
  jobManifest,
  jobPodLabels,
} from './jobs.js';
export { creatorEntry, statusEntry } from './managed-fields.js';
export { nodeConditions, readinessTaints } from './node-conditions.js';
export { admitPodSpec } from './pod-spec.js';
export {
  PHASE_OF,
  type PodPhase,
  type PodState,
  type PodStatusInput,
  podStatus,
} from './pod-status.js';
export {
  isoTime,
  mulberry32,
  pick,
  type RandomFn,
  randomHex,
  randomInt,
  randomSuffix,
  randomUid,
} from './random.js';
export { nodeInternalIP, randomPodIP, schedulableNodes } from './scheduling.js';
export { StatusMemo } from './status-memo.js';

export interface ScenarioOptions {
  seed: number;
  nodes: number;
  pods: number;
  jobs: number;
  /** Generated namespaces besides `default` and `kube-system` (more are added to respect the cap). */
  namespaces: number;
  /** No namespace holds more pods than this. Default unlimited. */
  maxPodsPerNamespace?: number;
  /** "Now" for timestamps; fix it for a byte-identical cluster. Default the current time. */
  now?: Date;
}

export type ScenarioResource = Exclude<ResourceName, RbacResource>;

export interface ScenarioSummary {
  /** Objects of each kind the scenario built (RBAC's default policy is the simulator's, not the scenario's). */
  counts: Record<ScenarioResource, number>;
  /** Every namespace created, `kube-system` and `default` first, `kube-node-lease` last. */
  namespaces: string[];
  podPhases: Record<PodPhase, number>;
  /** Pods owned by jobs (part of `counts.pods`). */
  jobPods: number;
}

function createSorted(
  store: SimStore,
  resource: ResourceName,
  entries: { key: string; obj: KubeObject }[],
): KubeObject[] {
  // The store keeps keys sorted by binary insertion; creating in key order appends.
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.map((e) => store.create(resource, e.obj));
}

function checkCount(name: string, value: unknown, min = 0): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`scenario option ${name} must be an integer >= ${min}, received ${String(value)}`);
  }
}

/**
 * Fills an empty store with a deterministic cluster: the same options (seed and `now`
 * included) give the same objects, names, uids and timestamps.
 */
export function buildScenario(store: SimStore, opts: ScenarioOptions): ScenarioSummary {
  checkCount('seed', opts.seed);
  checkCount('nodes', opts.nodes);
  checkCount('pods', opts.pods);
  checkCount('jobs', opts.jobs);
  checkCount('namespaces', opts.namespaces);
  const cap = opts.maxPodsPerNamespace ?? Number.POSITIVE_INFINITY;
  if (!(cap >= 1)) throw new RangeError(`scenario option maxPodsPerNamespace must be >= 1, received ${cap}`);

  const random = mulberry32(opts.seed);
  const nowMs = Math.floor((opts.now ?? new Date()).getTime() / SECOND) * SECOND;
  const clusterBorn = nowMs - 200 * DAY;

  const { slots, objects: nodeObjects } = buildNodes(random, opts.nodes, nowMs, clusterBorn);
  const ctx: BuildContext = {
    random,
    memo: new StatusMemo(),
    ips: new PodIPAllocator(),
    nowMs,
    nodes: slots,
    workerTargets: slots.filter((n) => n.workerTarget),
    pods: [],
    keys: new Set(),
  };

  // kube-system: control plane, DNS, metrics, per-node daemons, within 10% of the pods.
  const systemBudget = Math.min(
    cap,
    opts.pods,
    Math.max(Math.min(opts.pods, 4), Math.floor(opts.pods * 0.1)),
  );
  const systemPods = buildSystemPods(ctx, systemBudget, clusterBorn);

  // Jobs first, so that they get their pods (at most half of what is left).
  const pool = new NamespacePool(random, cap, opts.namespaces);
  const plans = Array.from({ length: opts.jobs }, () => planJob(random));
  const desired = plans.reduce((n, p) => n + p.succeeded + p.failed + p.active, 0);
  const jobPods = allocateJobPods(plans, Math.min(desired, Math.floor((opts.pods - systemPods) / 2)));
  const jobNames = new Set<string>();
  const jobs: { key: string; obj: KubeObject }[] = [];
  for (const plan of plans) {
    const size = plan.pods.active + plan.pods.succeeded + plan.pods.failed;
    const namespace = pool.names[pool.place(size)];
    const job = buildJob(ctx, plan, namespace, jobNames);
    jobs.push({ key: `${namespace}/${job.metadata.name}`, obj: job });
  }

  // Deployments and StatefulSets for the rest.
  buildWorkloads(ctx, pool, opts.pods - ctx.pods.length, cap);

  // Into the store: namespaces, nodes, pods (in key order), jobs, events.
  const nsCreated = isoTime(clusterBorn);
  const namespaces = ['kube-system', ...pool.names];
  for (const [i, name] of namespaces.entries()) {
    const generated = i >= 2;
    const created = generated ? isoTime(clusterBorn + DAY + randomInt(random, 100 * DAY)) : nsCreated;
    const ns = namespaceObject(name, generated ? pool.teams[i - 1] : undefined, created);
    ns.metadata.uid = randomUid(random);
    store.create('namespaces', ns);
  }
  for (const node of nodeObjects) store.create('nodes', node);
  const podStates = ctx.pods.map((p) => p.state);
  const created = createSorted(store, 'pods', ctx.pods);
  const podPhases: Record<PodPhase, number> = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0 };
  for (const s of podStates) podPhases[PHASE_OF[s]] += 1;
  createSorted(store, 'jobs', jobs);
  const events = buildEvents(random, created, nowMs);
  createSorted(
    store,
    'events',
    events.map((e) => ({ key: `${e.metadata.namespace}/${e.metadata.name}`, obj: e })),
  );
  // Last, so that nothing above changes: kube-node-lease and one Lease per node, renewed
  // when the node last posted a heartbeat (node-lease.ts renews them from here on).
  const leaseNs = namespaceObject(NODE_LEASE_NAMESPACE, undefined, nsCreated);
  leaseNs.metadata.uid = randomUid(random);
  store.create('namespaces', leaseNs);
  namespaces.push(NODE_LEASE_NAMESPACE);
  const leases = nodeObjects.map((node) => {
    const lease = nodeLeaseObject(
      node,
      lastRenewal(node, nowMs),
      node.metadata.creationTimestamp ?? nsCreated,
    );
    lease.metadata.uid = randomUid(random);
    return { key: `${NODE_LEASE_NAMESPACE}/${node.metadata.name}`, obj: lease };
  });
  createSorted(store, 'leases', leases);
  // The daemon pods' DaemonSets, derived from the pods (no draw from the seed).
  const daemonSets = createSorted(store, 'daemonsets', daemonSetsOf(created));

  return {
    counts: {
      namespaces: namespaces.length,
      nodes: nodeObjects.length,
      pods: created.length,
      jobs: jobs.length,
      events: events.length,
      leases: leases.length,
      daemonsets: daemonSets.length,
    },
    namespaces,
    podPhases,
    jobPods,
  };
}
