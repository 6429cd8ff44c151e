/**
 * @kubernetes/client-node 2.0.1, unchanged, against the simulator: its generated list
 * calls (paging, selectors, errors) and its own informer through churn, a dropped watch
 * and a 410, ending with the informer's cache equal to the simulator's state.
 */
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type Informer,
  KubeConfig,
  makeInformer,
  type ObjectCache,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Churn } from '../../src/simulator/churn.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { waitFor } from '../helpers/wait.js';
import { keyOf, metric, scrape } from './sim-kit.js';

let sim: Simulator;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  sim = await startSimulator({
    // Pods stay as created: the tests compare them with what they wrote and read back.
    podLifecycle: false,
    // No lease renewals: the tests compare resourceVersions with the store's.
    nodeLeaseRenewMs: 0,
    // The test drives the churn itself (below), so it can stop it before comparing.
    churnPerSecond: 0,
    // Jobs the churn starts get their first pods at once, then stay put.
    jobStepMs: 3_600_000,
    scenario: { seed: 5, nodes: 5, pods: 80, jobs: 4, namespaces: 3 },
  });
  kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await sim?.close();
});

const storePods = (filter: (p: KubeObject) => boolean = () => true) =>
  [...sim.store.scan('pods')].filter(filter).map(keyOf);

/** Every page of listPodForAllNamespaces, following `_continue`. */
async function allPages(request: { limit: number; labelSelector?: string; fieldSelector?: string }) {
  const pages: V1Pod[][] = [];
  let token: string | undefined;
  do {
    const page = await core.listPodForAllNamespaces({ ...request, _continue: token });
    pages.push(page.items);
    token = page.metadata?._continue;
  } while (token && pages.length < 1000);
  return pages;
}

async function apiError(promise: Promise<unknown>): Promise<ApiException<string>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiException) return err as ApiException<string>;
    throw err;
  }
  throw new Error('expected an ApiException, but the call succeeded');
}

describe('client-node list calls', () => {
  it('lists every pod of every namespace in one call', async () => {
    const list = await core.listPodForAllNamespaces();
    expect(list.items.map(keyOf)).toEqual(storePods());
    expect(list.items.length).toBe(sim.summary.counts.pods);
    expect(list.metadata?.resourceVersion).toBe(String(sim.store.resourceVersion));
    expect(list.metadata?._continue).toBeUndefined();
    // Deserialised into client-node's model classes, dates included.
    expect(list.items[0].metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(
      list.items.every((p) => p.metadata?.namespace && p.metadata.uid && p.metadata.resourceVersion),
    ).toBe(true);
  });

  it('pages with limit and _continue, every pod exactly once', async () => {
    const pages = await allPages({ limit: 9 });
    expect(pages.length).toBe(Math.ceil(sim.store.count('pods') / 9));
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(9);
    expect(pages.flat().map(keyOf)).toEqual(storePods());
  });

  it('filters with label selectors, equality and set-based, paged or not', async () => {
    const sample = [...sim.store.scan('pods')].find((p) => p.metadata.labels?.['app.kubernetes.io/name'])!;
    const app = sample.metadata.labels!['app.kubernetes.io/name'];
    const byApp = await core.listPodForAllNamespaces({ labelSelector: `app.kubernetes.io/name=${app}` });
    expect(byApp.items.map(keyOf)).toEqual(
      storePods((p) => p.metadata.labels?.['app.kubernetes.io/name'] === app),
    );
    expect(byApp.items.length).toBeGreaterThan(0);

    const jobPods = (await allPages({ limit: 3, labelSelector: 'job-name' })).flat();
    expect(jobPods.map(keyOf)).toEqual(storePods((p) => p.metadata.labels?.['job-name'] !== undefined));
    expect(jobPods.length).toBeGreaterThan(0);

    const notJobs = await core.listPodForAllNamespaces({
      labelSelector: `!job-name,app.kubernetes.io/name notin (${app})`,
    });
    expect(notJobs.items.map(keyOf)).toEqual(
      storePods(
        (p) =>
          p.metadata.labels?.['job-name'] === undefined &&
          p.metadata.labels?.['app.kubernetes.io/name'] !== app,
      ),
    );
  });

  it('filters with field selectors (spec.nodeName, status.phase) and namespaced lists', async () => {
    const node = [...sim.store.scan('nodes')][1].metadata.name;
    const onNode = (await allPages({ limit: 5, fieldSelector: `spec.nodeName=${node}` })).flat();
    expect(onNode.map(keyOf)).toEqual(storePods((p) => p.spec?.nodeName === node));
    expect(onNode.length).toBeGreaterThan(0);
    const notRunning = await core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Running' });
    expect(notRunning.items.map(keyOf)).toEqual(storePods((p) => p.status?.phase !== 'Running'));

    const namespace = sim.summary.namespaces[2];
    const inNs = await core.listNamespacedPod({ namespace });
    expect(inNs.items.map(keyOf)).toEqual(storePods((p) => p.metadata.namespace === namespace));
    const jobs = await kc.makeApiClient(BatchV1Api).listJobForAllNamespaces();
    expect(jobs.items.map(keyOf)).toEqual([...sim.store.scan('jobs')].map(keyOf));
    expect(jobs.items.length).toBe(sim.summary.counts.jobs);
  });

  it('creates, reads and deletes a pod, and raises ApiException with the Status for errors', async () => {
    const name = 'client-node-made';
    const created = await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name, labels: { made: 'by-client-node' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    });
    expect(created.metadata?.uid).toBe(sim.store.get('pods', 'default', name)?.metadata.uid);
    expect((await core.readNamespacedPod({ namespace: 'default', name })).metadata?.labels).toEqual({
      made: 'by-client-node',
    });
    const deleted = await core.deleteNamespacedPod({ namespace: 'default', name });
    expect(deleted.metadata?.name).toBe(name);
    expect(sim.store.get('pods', 'default', name)).toBeUndefined();

    const missing = await apiError(core.readNamespacedPod({ namespace: 'default', name }));
    expect(missing.code).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', reason: 'NotFound' });

    const badSelector = await apiError(core.listPodForAllNamespaces({ labelSelector: 'a in (b' }));
    expect(badSelector.code).toBe(400);

    const stranger = new KubeConfig();
    stranger.loadFromString(sim.kubeconfig({ token: 'not-a-known-token' }));
    const unauthorized = await apiError(stranger.makeApiClient(CoreV1Api).listPodForAllNamespaces());
    expect(unauthorized.code).toBe(401);
  });
});

describe('client-node informer', () => {
  type PodInformer = Informer<V1Pod> & ObjectCache<V1Pod>;
  let informer: PodInformer;
  let churn: Churn;
  let ticker: NodeJS.Timeout | undefined;
  let stopping = false;
  const errors: unknown[] = [];
  const seen = { add: 0, update: 0, delete: 0 };
  const deletedNames: string[] = [];

  const informerState = () =>
    new Map(informer.list().map((p) => [keyOf(p), String(p.metadata?.resourceVersion)] as const));
  const simulatorState = () =>
    new Map([...sim.store.scan('pods')].map((p) => [keyOf(p), String(p.metadata.resourceVersion)] as const));
  const sorted = (m: Map<string, string>) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const inSync = () => {
    const a = informerState();
    const b = simulatorState();
    return a.size === b.size && [...b].every(([k, rv]) => a.get(k) === rv);
  };
  const waitInSync = async (what: string) => {
    await waitFor(inSync, {
      message: `the informer's cache to equal the simulator's pods (${what})`,
      timeoutMs: 15_000,
    });
    expect(sorted(informerState())).toEqual(sorted(simulatorState()));
  };
  const events = () => seen.add + seen.update + seen.delete;
  const startChurn = () => {
    ticker = setInterval(() => churn.tick(3), 10);
  };
  const stopChurn = () => {
    clearInterval(ticker);
    ticker = undefined;
  };

  beforeAll(async () => {
    churn = new Churn(sim.store, { ratePerSecond: 0, seed: 99 });
    informer = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
    informer.on('add', () => seen.add++);
    informer.on('update', () => seen.update++);
    informer.on('delete', (pod) => {
      seen.delete++;
      deletedNames.push(keyOf(pod));
    });
    // client-node's informer stops for good on a connection reset or a failed list;
    // its documentation says to restart it from the error handler.
    informer.on('error', (err) => {
      if (stopping) return;
      errors.push(err);
      setTimeout(() => {
        if (!stopping) informer.start().catch(() => undefined);
      }, 50);
    });
    await informer.start();
  });

  afterAll(async () => {
    stopChurn();
    churn?.stop();
    stopping = true;
    await informer?.stop();
  });

  it('syncs: the cache holds every pod at its resourceVersion', async () => {
    await waitInSync('after the first list');
    expect(informer.list().length).toBe(sim.summary.counts.pods);
    expect(seen.add).toBeGreaterThanOrEqual(sim.summary.counts.pods);
  });

  it('follows churn through its watch', async () => {
    const before = events();
    const rv = sim.store.resourceVersion;
    startChurn();
    await waitFor(() => events() - before >= 60, {
      message: 'the informer to see 60 churn events',
      timeoutMs: 15_000,
    });
    stopChurn();
    expect(sim.store.resourceVersion).toBeGreaterThan(rv);
    expect(seen.update).toBeGreaterThan(0);
    await waitInSync('after churn');
    expect(errors).toEqual([]);
  });

  it('recovers from a dropped watch (connection reset), restarted from its error handler', async () => {
    const metricsBefore = await scrape(sim);
    const watchesBefore = metric(metricsBefore, 'apiserver_request_total', {
      verb: 'WATCH',
      resource: 'pods',
      code: '200',
    });
    await waitFor(() => sim.openWatchCount() === 1, 'the informer watch to be open');
    startChurn();
    expect(sim.dropWatches()).toBe(1);
    await waitFor(() => errors.length >= 1, 'the informer to report the reset');
    await waitFor(async () => {
      const m = await scrape(sim);
      return (
        metric(m, 'apiserver_request_total', { verb: 'WATCH', resource: 'pods', code: '200' }) > watchesBefore
      );
    }, 'the informer to watch again');
    const after = events();
    await waitFor(() => events() - after >= 20, {
      message: 'the informer to see churn after the reset',
      timeoutMs: 15_000,
    });
    stopChurn();
    await waitInSync('after a dropped watch');
    expect(errors).toHaveLength(1);
  });

  it('re-lists after a 410 Expired (history compacted, then the watch dropped) and drops what went away', async () => {
    await waitInSync('before the compaction');
    const before = await scrape(sim);
    const count = (m: Map<string, number>, name: string, labels: Record<string, string>) =>
      metric(m, name, labels);
    const errorsBefore = errors.length;
    deletedNames.length = 0;

    // A change the pod watch does not carry moves the store past the informer's last
    // resourceVersion, so that the compaction leaves that resourceVersion behind.
    const [node] = [...sim.store.scan('nodes')];
    sim.store.patch('nodes', undefined, node.metadata.name, { metadata: { labels: { compacted: 'yes' } } });
    sim.compact();
    expect(sim.dropWatches()).toBe(1);
    // While the informer is away: churn, and pods deleted outright.
    churn.tick(30);
    const victims = [...sim.store.scan('pods')]
      .filter((p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'Job'))
      .slice(0, 3)
      .map(keyOf);
    for (const key of victims) {
      const [ns, name] = key.split('/');
      sim.store.delete('pods', ns, name);
    }

    await waitInSync('after the 410');
    const after = await scrape(sim);
    expect(
      count(after, 'simulator_watch_events_sent_total', { resource: 'pods', type: 'ERROR' }) -
        count(before, 'simulator_watch_events_sent_total', { resource: 'pods', type: 'ERROR' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      count(after, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '200' }) -
        count(before, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '200' }),
    ).toBeGreaterThanOrEqual(1);
    // The re-list told the informer's handlers about the pods that vanished meanwhile.
    for (const key of victims) expect(deletedNames).toContain(key);
    expect(errors.length).toBe(errorsBefore + 1);
  });

  it('ends, churn stopped, with the cache equal to the simulator (keys and resourceVersions)', async () => {
    startChurn();
    const before = events();
    await waitFor(() => events() - before >= 30, { message: 'more churn events', timeoutMs: 15_000 });
    stopChurn();
    churn.stop();
    await waitInSync('at the end');
    const cache = informerState();
    expect(cache.size).toBe(sim.store.count('pods'));
    for (const pod of sim.store.scan('pods'))
      expect(cache.get(keyOf(pod))).toBe(pod.metadata.resourceVersion);
  });
});
