/**
 * ClusterReader's two paths, told apart by what reaches the API server: with the cache off
 * (or before it has synced) a read is one LIST with its selectors pushed down; once the
 * informers have synced, reads cost no upstream request at all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/kube/cluster.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { ClusterReader } from '../../src/kube/reader.js';
import { loadSource } from '../../src/kube/sources.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { lines, requests, rvMap, simMetrics, stopBackgroundActivity } from './sim-helpers.js';

describe('ClusterReader', () => {
  let sim: Simulator;
  const requestLog: string[] = [];
  const clusters: Cluster[] = [];
  let node: string;
  let labelled: { namespace: string; key: string; value: string };

  beforeAll(async () => {
    sim = await startSimulator({
      churnPerSecond: 0,
      scenario: { nodes: 6, pods: 180, jobs: 8, namespaces: 3, seed: 11 },
      log: (line) => requestLog.push(line),
    });
    stopBackgroundActivity(sim);
    node = [...sim.store.scan('nodes')][2].metadata.name;
    const pod = [...sim.store.scan('pods')].find((p) => Object.keys(p.metadata.labels ?? {}).length > 0)!;
    const [key, value] = Object.entries(pod.metadata.labels!)[0];
    labelled = { namespace: pod.metadata.namespace!, key, value };
  });

  afterEach(async () => {
    sim.injectFaults({ reset: true });
    await Promise.all(clusters.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await sim?.close();
  });

  const makeCluster = (cache: boolean) => {
    const spec = loadSource(
      { type: 'kubeconfig-text', text: sim.kubeconfig({ context: 'reader' }) },
      { cache },
    )[0];
    const cluster = new Cluster(spec, { hub: new EventHub() });
    clusters.push(cluster);
    return cluster;
  };

  /** What the simulator holds for a filter, as key@rv lines. */
  const expectedPods = (filter: (p: KubeObject) => boolean) =>
    lines(rvMap([...sim.store.scan('pods')].filter(filter)));

  /** A cached cluster started with `faults` injected, before anything synced, and the metrics then. */
  const startUnsynced = async (faults: Parameters<Simulator['injectFaults']>[0]) => {
    sim.injectFaults(faults);
    const cluster = makeCluster(true);
    const reader = new ClusterReader(cluster);
    const m0 = await simMetrics(sim);
    cluster.start();
    expect(reader.cached('Pod')).toBe(false);
    return { cluster, reader, m0 };
  };

  /** Pod LISTs the simulator answered since `m0`. */
  const podListsSince = async (m0: Map<string, number>) =>
    requests(await simMetrics(sim), { verb: 'LIST', resource: 'pods' }) -
    requests(m0, { verb: 'LIST', resource: 'pods' });

  /** The request lines logged while `work` ran. */
  const logged = async (work: () => Promise<unknown>) => {
    const mark = requestLog.length;
    await work();
    return requestLog.slice(mark);
  };

  it('with the cache off, lists with the selector pushed down: exactly one LIST', async () => {
    const reader = new ClusterReader(makeCluster(false));
    expect(reader.cached('Pod')).toBe(false);
    const m0 = await simMetrics(sim);
    let result: Awaited<ReturnType<ClusterReader['list']>> | undefined;
    const urls = await logged(async () => {
      result = await reader.list('Pod', { nodeName: node });
    });
    const m1 = await simMetrics(sim);
    expect(
      requests(m1, { verb: 'LIST', resource: 'pods' }) - requests(m0, { verb: 'LIST', resource: 'pods' }),
    ).toBe(1);
    expect(requests(m1, {}) - requests(m0, {})).toBe(1);
    expect(urls).toHaveLength(1);
    expect(decodeURIComponent(urls[0])).toContain(`fieldSelector=spec.nodeName=${node}`);
    expect(result!.source).toBe('api');
    const expected = expectedPods((p) => p.spec?.nodeName === node);
    expect(expected.length).toBeGreaterThan(0);
    expect(lines(rvMap(result!.items))).toEqual(expected);
    // Trimmed and frozen like cached objects.
    expect(Object.isFrozen(result!.items[0])).toBe(true);
    expect(result!.items[0].metadata?.managedFields).toBeUndefined();

    // A namespace and a label selector go down too.
    const selector = `${labelled.key}=${labelled.value}`;
    const urls2 = await logged(async () => {
      result = await reader.list('Pod', { namespace: labelled.namespace, labelSelector: selector });
    });
    expect(urls2).toHaveLength(1);
    expect(decodeURIComponent(urls2[0])).toContain(`/namespaces/${labelled.namespace}/pods?`);
    expect(decodeURIComponent(urls2[0])).toContain(`labelSelector=${selector}`);
    expect(lines(rvMap(result!.items))).toEqual(
      expectedPods(
        (p) =>
          p.metadata.namespace === labelled.namespace && p.metadata.labels?.[labelled.key] === labelled.value,
      ),
    );
  });

  it('with the cache synced, reads cost no upstream request', async () => {
    const cluster = makeCluster(true);
    cluster.start();
    expect(await cluster.waitForSync(15_000)).toBe(true);
    const reader = new ClusterReader(cluster);
    const someNode = [...sim.store.scan('nodes')][0].metadata.name;
    const somePod = [...sim.store.scan('pods')][5];
    const m0 = await simMetrics(sim);
    const urls = await logged(async () => {
      for (let i = 0; i < 50; i++) {
        const byNode = await reader.list('Pod', { nodeName: node });
        expect(byNode.source).toBe('cache');
        expect(lines(rvMap(byNode.items))).toEqual(expectedPods((p) => p.spec?.nodeName === node));
        const byLabel = await reader.list('Pod', {
          namespace: labelled.namespace,
          labelSelector: `${labelled.key}=${labelled.value}`,
        });
        expect(byLabel.source).toBe('cache');
        expect(byLabel.items.length).toBeGreaterThan(0);
        expect((await reader.get('Node', undefined, someNode))?.metadata?.name).toBe(someNode);
        const pod = await reader.get('Pod', somePod.metadata.namespace, somePod.metadata.name);
        expect(pod?.metadata?.resourceVersion).toBe(somePod.metadata.resourceVersion);
        expect((await reader.list('Job', {})).items.length).toBe(sim.store.count('jobs'));
      }
    });
    const m1 = await simMetrics(sim);
    expect(urls).toEqual([]);
    expect(requests(m1, {})).toBe(requests(m0, {}));
  });

  it('before the informers have synced, falls back to the API server', async () => {
    // Pod LISTs are slow, so the Pod informer stays unsynced for a while.
    const { cluster, reader, m0 } = await startUnsynced({
      latencyMs: 1500,
      verbs: ['LIST'],
      resources: ['pods'],
    });
    let result: Awaited<ReturnType<ClusterReader['list']>> | undefined;
    const urls = await logged(async () => {
      result = await reader.list('Pod', { nodeName: node });
    });
    expect(result!.source).toBe('api');
    expect(lines(rvMap(result!.items))).toEqual(expectedPods((p) => p.spec?.nodeName === node));
    expect(urls.some((u) => decodeURIComponent(u).includes(`fieldSelector=spec.nodeName=${node}`))).toBe(
      true,
    );

    expect(await cluster.waitForSync(15_000)).toBe(true);
    const m1 = await simMetrics(sim);
    // The informer's one paged list plus our direct one.
    expect(await podListsSince(m0)).toBe(2);
    const cached = await reader.list('Pod', { nodeName: node });
    expect(cached.source).toBe('cache');
    expect(lines(rvMap(cached.items))).toEqual(lines(rvMap(result!.items)));
    expect(requests(await simMetrics(sim), { verb: 'LIST' })).toBe(requests(m1, { verb: 'LIST' }));
  });

  it('before the informers have synced, a read of the whole kind waits for the initial LIST: no LIST of its own', async () => {
    const { reader, m0 } = await startUnsynced({ latencyMs: 1500, verbs: ['LIST'], resources: ['pods'] });
    // `search` is filtered here, never pushed down: both are LISTs of every pod.
    const [a, b] = await Promise.all([reader.list('Pod'), reader.list('Pod', { search: '-1' })]);
    expect(a.source).toBe('cache');
    expect(lines(rvMap(a.items))).toEqual(expectedPods(() => true));
    expect(b.source).toBe('cache');
    expect(b.items.length).toBeGreaterThan(0);
    expect(lines(rvMap(b.items))).toEqual(expectedPods((p) => p.metadata.name.includes('-1')));
    // The informer's paged list, and nothing else.
    expect(await podListsSince(m0)).toBe(1);
  });

  it('when the initial LIST fails, a read of the whole kind goes to the API server and meets the failure itself', async () => {
    const { cluster, reader, m0 } = await startUnsynced({
      errorRate: 1,
      errorCode: 503,
      verbs: ['LIST'],
      resources: ['pods'],
    });
    await expect(reader.list('Pod')).rejects.toThrow(/503|unavailable/i);
    // The informer's attempt and the read's own.
    expect(await podListsSince(m0)).toBeGreaterThanOrEqual(2);
    expect(reader.cached('Pod')).toBe(false);
    sim.injectFaults({ reset: true });
    expect(await cluster.waitForSync(15_000)).toBe(true);
    expect((await reader.list('Pod')).source).toBe('cache');
  });
});
