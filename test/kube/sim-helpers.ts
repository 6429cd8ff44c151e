/**
 * Shared by the kube integration tests: what the simulator holds versus what an informer
 * holds, polling with a bound, and the simulator's metrics read in-process.
 */
import { ClusterClient, PooledKubeConfig } from '../../src/kube/client.js';
import type { Informers } from '../../src/kube/cluster.js';
import { KIND_NAMES, type KindName, kindOf, objectKey } from '../../src/kube/kinds.js';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject, ResourceName } from '../../src/simulator/types.js';

export const RESOURCE_OF: Record<KindName, ResourceName> = {
  Namespace: 'namespaces',
  Node: 'nodes',
  Pod: 'pods',
  Job: 'jobs',
  Event: 'events',
  Role: 'roles' as ResourceName,
  ClusterRole: 'clusterroles' as ResourceName,
  RoleBinding: 'rolebindings' as ResourceName,
  ClusterRoleBinding: 'clusterrolebindings' as ResourceName,
};

/** key → resourceVersion of every object of a kind, as the simulator holds them right now. */
export function simState(sim: Simulator, kind: KindName): Map<string, string> {
  const out = new Map<string, string>();
  for (const obj of sim.store.scan(RESOURCE_OF[kind])) {
    out.set(objectKey(obj), obj.metadata.resourceVersion ?? '');
  }
  return out;
}

/** key → resourceVersion of every object an informer's store holds. */
export function storeState(informer: { store: { list(): readonly StoredMeta[] } }): Map<string, string> {
  return rvMap(informer.store.list());
}

type StoredMeta = { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };

export function rvMap(objects: Iterable<StoredMeta>): Map<string, string> {
  const out = new Map<string, string>();
  for (const obj of objects) out.set(objectKey(obj), obj.metadata?.resourceVersion ?? '');
  return out;
}

/** Sorted `key@rv` lines: equal iff same key sets and same resourceVersions; diffs read well. */
export function lines(state: Map<string, string>): string[] {
  return [...state].map(([k, rv]) => `${k}@${rv}`).sort();
}

/** Whether every mirrored kind's store equals the simulator's state exactly. */
export function converged(sim: Simulator, informers: Informers): boolean {
  return KIND_NAMES.filter((kind) => informers[kind]).every((kind) =>
    sameState(simState(sim, kind), storeState(informers[kind]!)),
  );
}

export function sameState(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * The simulator's Prometheus metrics, rendered in-process. Reading them over HTTP would
 * open a connection of its own and blur a connection count by one.
 */
export async function simMetrics(sim: Simulator): Promise<Map<string, number>> {
  return parsePrometheusText(await sim.metrics.text());
}

export function connectionsAccepted(metrics: Map<string, number>): number {
  return metrics.get('simulator_connections_accepted_total') ?? 0;
}

/** Sum of apiserver_request_total over the series matching every given label. */
export function requests(
  metrics: Map<string, number>,
  labels: { verb?: string; resource?: string; code?: string },
): number {
  let total = 0;
  for (const [key, value] of metrics) {
    if (!key.startsWith('apiserver_request_total{')) continue;
    if (labels.verb && !key.includes(`verb="${labels.verb}"`)) continue;
    if (labels.resource && !key.includes(`resource="${labels.resource}"`)) continue;
    if (labels.code && !key.includes(`code="${labels.code}"`)) continue;
    total += value;
  }
  return total;
}

/** Stops the simulator's churn and job controller: tests compare against a still cluster. */
export function stopBackgroundActivity(sim: Simulator): void {
  sim.pauseActivity();
}

/** A still simulator (no churn, no controllers) and a ClusterClient of its own pool on it. */
export interface StillCluster {
  sim: Simulator;
  config: PooledKubeConfig;
  client: ClusterClient;
  close(): Promise<void>;
}

export async function stillCluster(
  scenario: SimulatorOptions['scenario'],
  context: string,
  before?: (sim: Simulator) => void,
): Promise<StillCluster> {
  const sim = await startSimulator({ churnPerSecond: 0, scenario });
  stopBackgroundActivity(sim);
  before?.(sim);
  const config = new PooledKubeConfig();
  config.loadFromString(sim.kubeconfig({ context }));
  return {
    sim,
    config,
    client: new ClusterClient(config, context),
    async close() {
      await config.closePool();
      await sim.close();
    },
  };
}

/** A pod the simulator accepts, owned by nothing (so no controller touches it). */
export function barePod(namespace: string, name: string, nodeName?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'kube-it' } },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [
        { name: 'main', image: 'busybox:1.36', resources: { requests: { cpu: '100m', memory: '64Mi' } } },
      ],
    },
    status: { phase: nodeName ? 'Running' : 'Pending' },
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What a kind's cut must give: the document without any member of `names` whose value is an array or an object. */
export function expectedCut(value: Json, names: ReadonlySet<string>): Json {
  if (Array.isArray(value)) return value.map((v) => expectedCut(v, names));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) {
    if (names.has(k) && v !== null && typeof v === 'object') continue;
    out[k] = expectedCut(v, names);
  }
  return out;
}

/** The served object's JSON less managedFields and what the kind drops (see `dropped` in kinds/). */
export function servedAsCut(kind: KindName, obj: KubeObject): unknown {
  const json = JSON.parse(JSON.stringify(obj)) as Json;
  return expectedCut(json, new Set(['managedFields', ...(kindOf(kind).dropped ?? [])]));
}
