/**
 * What the usage tests share: the simulator's metrics API read directly (as metrics-server
 * serves it) and its quantities parsed here, independently of the gateway's parser, so the
 * two are cross-checked.
 */
import { type Harness, requestCount, simFetch } from '../helpers/harness.js';

export interface ApiUsage {
  cpuMillis: number;
  memoryBytes: number;
  timestamp: string;
  window: string;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** "123456789n" → 123.456789; "250m" → 250; "2" → 2000. */
export function apiCpuMillis(q: string): number {
  if (q.endsWith('n')) return Number(q.slice(0, -1)) / 1e6;
  if (q.endsWith('u')) return Number(q.slice(0, -1)) / 1e3;
  if (q.endsWith('m')) return Number(q.slice(0, -1));
  return Number(q) * 1000;
}

/** "456Ki" → 466944; plain bytes as they are. */
export function apiBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`expected a memory quantity such as "456Ki", received ${q}`);
  return Number(m[1]) * (m[2] ? BINARY[m[2]] : 1);
}

interface RawMetrics {
  metadata: { name: string; namespace?: string };
  timestamp: string;
  window: string;
  usage?: { cpu: string; memory: string };
  containers?: { name: string; usage: { cpu: string; memory: string } }[];
}

async function list(h: Harness, path: string): Promise<RawMetrics[]> {
  const res = await simFetch(h.sim, `/apis/metrics.k8s.io/v1beta1/${path}`);
  if (res.status !== 200) throw new Error(`metrics API answered ${res.status} for ${path}`);
  return ((await res.json()) as { items: RawMetrics[] }).items;
}

/** The node metrics as the API serves them now, by node name. */
export async function apiNodes(h: Harness): Promise<Map<string, ApiUsage>> {
  return new Map(
    (await list(h, 'nodes')).map((n) => [
      n.metadata.name,
      {
        cpuMillis: apiCpuMillis(n.usage!.cpu),
        memoryBytes: apiBytes(n.usage!.memory),
        timestamp: n.timestamp,
        window: n.window,
      },
    ]),
  );
}

export interface ApiPodUsage extends ApiUsage {
  containers: Map<string, { cpuMillis: number; memoryBytes: number }>;
}

/** The pod metrics as the API serves them now, by `namespace/name`. */
export async function apiPods(h: Harness): Promise<Map<string, ApiPodUsage>> {
  return new Map(
    (await list(h, 'pods')).map((p) => {
      const containers = new Map(
        (p.containers ?? []).map((c) => [
          c.name,
          { cpuMillis: apiCpuMillis(c.usage.cpu), memoryBytes: apiBytes(c.usage.memory) },
        ]),
      );
      let cpuMillis = 0;
      let memoryBytes = 0;
      for (const c of containers.values()) {
        cpuMillis += c.cpuMillis;
        memoryBytes += c.memoryBytes;
      }
      return [
        `${p.metadata.namespace}/${p.metadata.name}`,
        { cpuMillis, memoryBytes, timestamp: p.timestamp, window: p.window, containers },
      ];
    }),
  );
}

/** LISTs of the metrics API the simulator has answered (any status). */
export async function metricsLists(
  h: Pick<Harness, 'upstream' | 'sim'>,
): Promise<{ nodes: number; pods: number }> {
  const metrics = await h.upstream(h.sim);
  return {
    nodes: requestCount(metrics, 'LIST', 'nodes.metrics.k8s.io'),
    pods: requestCount(metrics, 'LIST', 'pods.metrics.k8s.io'),
  };
}

/** Runs `n` calls of `run`, `concurrency` at a time. */
export async function inParallel(n: number, concurrency: number, run: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await run(next++);
    }),
  );
}
