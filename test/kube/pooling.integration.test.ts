/**
 * One bounded keep-alive pool per cluster, measured where it matters: the connections the
 * simulator accepted (`simulator_connections_accepted_total`).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/kube/cluster.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { CACHE_KINDS } from '../../src/kube/kinds.js';
import { ClusterReader } from '../../src/kube/reader.js';
import { loadSource } from '../../src/kube/sources.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { connectionsAccepted, requests, simMetrics, stopBackgroundActivity } from './sim-helpers.js';

/** Runs `count` calls of `read(i)` with at most `concurrency` in flight; the first failure stops all. */
async function runConcurrently(count: number, concurrency: number, read: (i: number) => Promise<void>) {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && !failed) {
        try {
          await read(next++);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    }),
  );
}

function openWatches(metrics: Map<string, number>): number {
  let total = 0;
  for (const [key, value] of metrics) if (key.startsWith('apiserver_longrunning_requests{')) total += value;
  return total;
}

describe('pooled clients', () => {
  let sim: Simulator;
  let pods: { namespace: string; name: string; node?: string }[];
  let nodes: string[];
  let namespaces: string[];

  beforeAll(async () => {
    sim = await startSimulator({
      churnPerSecond: 0,
      scenario: { nodes: 8, pods: 200, jobs: 10, namespaces: 4, seed: 3 },
    });
    // A still cluster, so every read can be checked against what was there at the start.
    stopBackgroundActivity(sim);
    pods = [...sim.store.scan('pods')].map((p) => ({
      namespace: p.metadata.namespace!,
      name: p.metadata.name,
      node: p.spec?.nodeName,
    }));
    nodes = [...sim.store.scan('nodes')].map((n) => n.metadata.name);
    namespaces = [...sim.store.scan('namespaces')].map((n) => n.metadata.name);
  });

  afterAll(async () => {
    await sim?.close();
  });

  const spec = (cache: boolean, maxSockets: number) =>
    loadSource(
      {
        type: 'kubeconfig-text',
        text: sim.kubeconfig({ context: `pool-${maxSockets}` }),
        pool: { maxSockets },
      },
      { cache },
    )[0];

  /** A mix of direct gets and selector lists, each checked against the simulator's store. */
  const directRead = (reader: Pick<ClusterReader, 'get' | 'list'>) => async (i: number) => {
    const pod = pods[i % pods.length];
    switch (i % 4) {
      case 0: {
        const got = await reader.get('Pod', pod.namespace, pod.name);
        expect(got?.metadata?.name).toBe(pod.name);
        break;
      }
      case 1: {
        const node = nodes[i % nodes.length];
        const { items } = await reader.list('Pod', { nodeName: node });
        expect(items.length).toBe(pods.filter((p) => p.node === node).length);
        break;
      }
      case 2: {
        const got = await reader.get('Node', undefined, nodes[i % nodes.length]);
        expect(got?.metadata?.name).toBe(nodes[i % nodes.length]);
        break;
      }
      default: {
        const namespace = namespaces[i % namespaces.length];
        const { items } = await reader.list('Job', { namespace });
        expect(items.length).toBe([...sim.store.scan('jobs', { namespace })].length);
      }
    }
  };

  it('serves a thousand direct reads (cache off) over no more connections than the pool bound', async () => {
    const MAX = 4;
    const cluster = new Cluster(spec(false, MAX), { hub: new EventHub() });
    const reader = new ClusterReader(cluster);
    try {
      const m0 = await simMetrics(sim);
      await runConcurrently(1000, 50, directRead(reader));
      const m1 = await simMetrics(sim);
      // Every read went to the API server (nothing cached): each GET, and each LIST unless an
      // identical one was in flight then (they share it: shared-reads.ts)...
      const delta = (verb: string) => requests(m1, { verb }) - requests(m0, { verb });
      expect(delta('GET')).toBe(500);
      const distinct = new Set<string>();
      for (let i = 0; i < 1000; i++) {
        if (i % 4 === 1) distinct.add(`node ${nodes[i % nodes.length]}`);
        if (i % 4 === 3) distinct.add(`namespace ${namespaces[i % namespaces.length]}`);
      }
      expect(delta('LIST')).toBeGreaterThanOrEqual(distinct.size);
      expect(delta('LIST')).toBeLessThanOrEqual(500);
      expect(openWatches(m1)).toBe(0);
      // ...over at most MAX sockets, whatever the concurrency.
      const opened = connectionsAccepted(m1) - connectionsAccepted(m0);
      expect(opened).toBeGreaterThanOrEqual(1);
      expect(opened).toBeLessThanOrEqual(MAX);
    } finally {
      await cluster.stop();
    }

    // The contrast, not asserted: client-node's own KubeConfig builds a new Agent per call.
    const plain = new KubeConfig();
    plain.loadFromString(sim.kubeconfig());
    const core = plain.makeApiClient(CoreV1Api);
    const p0 = connectionsAccepted(await simMetrics(sim));
    await runConcurrently(100, 50, async (i) => {
      const pod = pods[i % pods.length];
      await core.readNamespacedPod({ namespace: pod.namespace, name: pod.name });
    });
    const plainOpened = connectionsAccepted(await simMetrics(sim)) - p0;
    console.info(
      `pooling: 1000 reads through PooledKubeConfig(maxSockets ${MAX}) vs 100 through a plain KubeConfig opened ${plainOpened} connections`,
    );
  });

  it('keeps the request bound for reads and writes while the informers hold their watches', async () => {
    // Fewer sockets than informers: watches counted against the bound would take them all
    // and leave every direct read or write queued until a watch times out (minutes).
    const MAX = 2;
    const m0 = await simMetrics(sim);
    const cluster = new Cluster(spec(true, MAX), { hub: new EventHub() });
    cluster.start();
    try {
      expect(await cluster.waitForSync(15_000, CACHE_KINDS)).toBe(true);
      // Straight through the cluster's pooled client, as writes and cache misses go.
      await runConcurrently(1000, 50, async (i) => {
        const pod = pods[i % pods.length];
        if (i % 2) {
          expect((await cluster.client.get('Pod', pod.namespace, pod.name))?.metadata?.name).toBe(pod.name);
        } else {
          const page = await cluster.client.list('Pod', { namespace: pod.namespace, limit: 20 });
          expect(page.items.length).toBeGreaterThan(0);
        }
      });
      const m1 = await simMetrics(sim);
      const watches = openWatches(m1);
      expect(watches).toBe(CACHE_KINDS.length);
      const opened = connectionsAccepted(m1) - connectionsAccepted(m0);
      expect(opened).toBeLessThanOrEqual(MAX + watches);
    } finally {
      await cluster.stop();
    }
  });
});
