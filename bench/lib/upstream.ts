/**
 * The simulator as the harness sees it: a child process speaking HTTPS with its own CA,
 * reached with the kubeconfig it wrote. The harness reads its `/metrics` to charge
 * upstream requests and bytes to each operation, picks query variables from its data, and
 * writes pods through its API for the subscription benchmark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { parse as parseYaml } from 'yaml';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { type Child, startNodeChild } from './children.js';

export interface SizeSpec {
  name: string;
  nodes: number;
  pods: number;
  jobs: number;
  namespaces: number;
  maxPodsPerNamespace?: number;
  /** The fleet size (bench/lib/fleet.ts): this many clusters of the sizes above, in processes of `clustersPerProcess`. */
  clusters?: number;
  clustersPerProcess?: number;
}

export interface UpstreamCounters {
  /** apiserver_request_total summed over every verb but WATCH (LIST, GET, writes). */
  requests: number;
  /** simulator_response_bytes_total summed over every verb but WATCH. */
  bytes: number;
  /** Watch requests opened and bytes streamed on watches, reported apart (they are not per operation). */
  watchRequests: number;
  watchBytes: number;
  pods: number;
  /** Events the simulator holds (they grow with churn until their TTL; the gateway mirrors them). */
  events: number;
}

export interface Upstream {
  child: Child;
  url: string;
  kubeconfigPath: string;
  buildMs: number;
  counters(): Promise<UpstreamCounters>;
  request(
    path: string,
    init?: { method?: string; body?: unknown },
  ): Promise<{ status: number; body: unknown }>;
}

export async function startUpstream(
  size: SizeSpec,
  options: { cwd: string; logDir: string; workDir: string; churn: number; seed: number },
): Promise<Upstream> {
  const kubeconfigPath = join(options.workDir, `simulator-${size.name}.kubeconfig`);
  const args = [
    ...['--nodes', String(size.nodes), '--pods', String(size.pods), '--jobs', String(size.jobs)],
    ...['--namespaces', String(size.namespaces), '--seed', String(options.seed)],
    ...(size.maxPodsPerNamespace ? ['--max-pods-per-namespace', String(size.maxPodsPerNamespace)] : []),
    ...[
      '--churn',
      String(options.churn),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--kubeconfig-out',
      kubeconfigPath,
    ],
  ];
  // No memory reducer: it fires when the simulator allocates little, and a memory-reducing
  // full GC of a 100,000-pod simulator took 500-700 ms of CPU on both cores, twice in the middle
  // of the timed events of the WebSocket fan-out row (CPU of every process read per event,
  // KUBEGATE_BENCH_EVENT_LOG=1 with bench/subscriptions-only.ts at size L). The simulator stands
  // in for an API server written in Go; its own GC is not what the bench measures.
  // A small young generation (4 MB semi-spaces; V8 sizes them up to 64 MB on this machine's
  // 24 GiB, `v8.getHeapSpaceStatistics()`): with the default the
  // simulator's scavenges took 34-60 ms each, every 6-9 s, on both cores (its parallel
  // scavenger): most likely the 110 ms of the simulator's CPU over the slowest event of the S
  // WebSocket row with an operation per subscriber, which made that row's p99 (the full run of
  // 2026-12-05 08:26: 68 ms, against 30-44 ms run alone). With 4 MB the same scavenging (256 ms against 255 ms over
  // the same run of `KUBEGATE_BENCH_NODE_ARGS=--trace-gc bench/subscriptions-only.ts 1000 20
  // ws,ws,ws distinct`) comes in pauses of at most 14 ms. It costs the L pod LIST ~5 % more of
  // the simulator's CPU (4.0 → 4.2 s, `bench/list-ab.ts`), which the sync and its bytes floor,
  // measured on the same simulator, both carry.
  const child = startNodeChild(`simulator-${size.name}`, 'src/simulator/cli.ts', args, options, [
    '--no-memory-reducer',
    '--max-semi-space-size=4',
  ]);
  const [, url, built] = await child.waitFor(
    /simulator listening on (https:\/\/\S+) \(built in (\d+) ms/,
    600_000,
  );
  const config = parseYaml(readFileSync(kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const ca = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  const token = config.users[0].user.token;
  return upstreamAt({ child, url, kubeconfigPath, buildMs: Number(built), ca, token });
}

/** An Upstream for one simulated cluster at `url` (one of several a `--clusters N` process serves). */
export function upstreamAt(o: {
  child: Child;
  url: string;
  kubeconfigPath: string;
  buildMs: number;
  ca: string;
  token: string;
}): Upstream {
  const { child, url, kubeconfigPath, buildMs, ca, token } = o;
  // A minute to connect: 50 clusters' simulators on a loaded machine may take over undici's 10 s.
  const agent = new Agent({ connect: { ca, timeout: 60_000 }, connections: 8 });

  async function request(path: string, init: { method?: string; body?: unknown } = {}) {
    const res = await fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      dispatcher: agent,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body };
  }

  async function counters(): Promise<UpstreamCounters> {
    const res = await fetch(`${url}/metrics`, { dispatcher: agent });
    const metrics = parsePrometheusText(await res.text());
    const c = noCounters();
    for (const [key, value] of metrics) {
      const watch = key.includes('verb="WATCH"');
      if (key.startsWith('apiserver_request_total{')) {
        if (watch) c.watchRequests += value;
        else c.requests += value;
      } else if (key.startsWith('simulator_response_bytes_total{')) {
        if (watch) c.watchBytes += value;
        else c.bytes += value;
      } else if (key === 'simulator_objects{resource="pods"}') c.pods = value;
      else if (key === 'simulator_objects{resource="events"}') c.events = value;
    }
    return c;
  }

  return { child, url, kubeconfigPath, buildMs, counters, request };
}

/** Counters at zero, to fill or to sum into. */
export function noCounters(): UpstreamCounters {
  return { requests: 0, bytes: 0, watchRequests: 0, watchBytes: 0, pods: 0, events: 0 };
}

export function delta(after: UpstreamCounters, before: UpstreamCounters): UpstreamCounters {
  return {
    requests: after.requests - before.requests,
    bytes: after.bytes - before.bytes,
    watchRequests: after.watchRequests - before.watchRequests,
    watchBytes: after.watchBytes - before.watchBytes,
    pods: after.pods,
    events: after.events,
  };
}

interface PodItem {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

export interface QueryVariables {
  /** Q4: a namespace, a label selector and a phase with matching pods. */
  namespace: string;
  labelSelector: string;
  phase: 'Running';
  /** Q5: a running pod owned by a job, bound to a node. */
  pod: { namespace: string; name: string; nodeName: string; jobName: string };
}

/**
 * Picks variables from the simulator's data: the commonest app label among running pods
 * of the first 500 pods listed (so a filtered page has rows), and a running job pod.
 */
export async function pickVariables(upstream: Upstream): Promise<QueryVariables> {
  const sample = await upstream.request('/api/v1/pods?limit=500&fieldSelector=status.phase%3DRunning');
  const items = (sample.body as { items?: PodItem[] }).items ?? [];
  const counts = new Map<string, number>();
  for (const p of items) {
    const app = p.metadata.labels?.['app.kubernetes.io/name'];
    if (!app || p.metadata.labels?.['job-name']) continue;
    const key = `${p.metadata.namespace}\u0000${app}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  if (!best) throw new Error('no running pod with an app.kubernetes.io/name label in the simulator sample');
  const [namespace, app] = best[0].split('\u0000');
  return {
    namespace,
    labelSelector: `app.kubernetes.io/name=${app}`,
    phase: 'Running',
    pod: await pickJobPod(upstream),
  };
}

/**
 * A running job pod bound to a node (picked again when the job controller removed it);
 * failing that any job pod on a node, then any running pod on a node (jobName ''). Within
 * `namespace` when given (an RBAC user's Q5 must name a pod it may get).
 */
export async function pickJobPod(upstream: Upstream, namespace?: string): Promise<QueryVariables['pod']> {
  const base = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods';
  const list = async (query: string) =>
    ((await upstream.request(`${base}?limit=200&${query}`)).body as { items?: PodItem[] }).items ?? [];
  const pod =
    (await list('labelSelector=job-name&fieldSelector=status.phase%3DRunning')).find(
      (p) => p.spec?.nodeName,
    ) ??
    (await list('labelSelector=job-name')).find((p) => p.spec?.nodeName) ??
    (await list('fieldSelector=status.phase%3DRunning')).find((p) => p.spec?.nodeName);
  if (!pod?.spec?.nodeName) throw new Error('no pod bound to a node in the simulator');
  return {
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    nodeName: pod.spec.nodeName,
    jobName: pod.metadata.labels?.['job-name'] ?? '',
  };
}

export async function podExists(
  upstream: Upstream,
  pod: { namespace: string; name: string },
): Promise<boolean> {
  const res = await upstream.request(`/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`);
  return res.status === 200;
}
