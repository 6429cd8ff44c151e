/**
 * Live usage at the gateway (issue #14), through real HTTP against a harness gateway on the
 * simulator's metrics API (metrics.k8s.io as metrics-server serves it). One fake clock
 * drives both the gateway (its usage cache's window) and the simulator (its metrics
 * buckets), so a window moves only when a test advances it.
 *
 * - values equal the metrics API's for the same timestamp, and `kubectl top` (rounded as
 *   kubectl rounds: millicores up, Mi down);
 * - upstream cost: 1,000 requests of a nodes page with usage cost one node-metrics LIST per
 *   window, none of pod metrics; one more after the window moves; none while nobody asks;
 * - ordering by usage and utilization, and the signals (memory near limit, CPU over
 *   request) against values computed here from the API and the pods' specs;
 * - the history ring stays bounded after more than an hour of windows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../src/simulator/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { Kubectl, rows } from '../simulator/kubectl-runner.js';
import { type Json, type Subscription, subscribe } from '../subscriptions/clients.js';
import { apiNodes, apiPods, inParallel, metricsLists } from './kit.js';

const WINDOW_MS = 15_000;
const Mi = 2 ** 20;

let h: Harness;
let clock: FakeClock;
let kubectl: Kubectl;

beforeAll(async () => {
  // Mid-window, so that no test starts on a bucket boundary.
  clock = new FakeClock(Date.parse('2026-11-30T12:00:07Z'));
  h = await startHarness({
    simulator: {
      scenario: { nodes: 4, pods: 60, jobs: 2, namespaces: 3, seed: 14 },
      clock: clock as unknown as SimulatorOptions['clock'],
      nodeLeaseRenewMs: 0,
    },
    clock,
  });
  h.sim.pauseActivity();
  kubectl = new Kubectl(h.sim.kubeconfig());
}, 60_000);

afterAll(async () => {
  kubectl?.cleanup();
  await h?.close();
}, 30_000);

const gql = async (query: string, variables?: Record<string, unknown>) => {
  const res = await h.query<Json>(query, variables);
  if (res.errors) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data;
};

const NODES_PAGE = `{ cluster(name: "sim") { nodes(first: 100) { edges { node {
  name usage { cpuMillis memoryBytes timestamp window } utilization { cpu memory }
  allocatable { cpuMillis memoryBytes }
} } } } }`;

const nodesOf = (data: Json): Json[] => data.cluster.nodes.edges.map((e: Json) => e.node);

/** Moves both clocks to the next window (and lets timers' promises settle). */
async function nextWindow(): Promise<void> {
  await clock.advanceAsync(WINDOW_MS);
}

const iso = (t: string) => new Date(t).toISOString();

/**
 * Waits until the gateway shows the metrics API's current window for nodes and pods: the
 * first ask after a window ends is answered from the last one while the refresh runs.
 */
async function current(): Promise<void> {
  const [[node, n]] = [...(await apiNodes(h)).entries()];
  const [[key, p]] = [...(await apiPods(h)).entries()];
  const [namespace, pod] = key.split('/');
  await waitFor(async () => {
    const d = await gql(
      `query($node: String!, $ns: String!, $pod: String!) { cluster(name: "sim") {
          node(name: $node) { usage { timestamp } } pod(namespace: $ns, name: $pod) { usage { timestamp } } } }`,
      { node, ns: namespace, pod },
    );
    return (
      d.cluster.node.usage.timestamp === iso(n.timestamp) &&
      d.cluster.pod.usage.timestamp === iso(p.timestamp)
    );
  }, 'the gateway to show the current metrics window');
}

/** Runs the fake clock's due timers (a live value's first computation) until `n` events came. */
async function events(sub: Subscription, n: number): Promise<void> {
  await waitFor(
    async () => {
      await clock.advanceAsync(0);
      return sub.events.length >= n || sub.ended;
    },
    { message: `${n} events of ${sub.field}`, observe: () => sub.results },
  );
  expect(sub.events.length).toBe(n);
}

describe('usage values', () => {
  it('equal the metrics API for the same timestamp, and kubectl top nodes', async () => {
    await current();
    const nodes = nodesOf(await gql(NODES_PAGE));
    const api = await apiNodes(h);
    expect(nodes.length).toBe(4);
    for (const n of nodes) {
      const a = api.get(n.name)!;
      expect(n.usage.timestamp).toBe(new Date(a.timestamp).toISOString());
      expect(n.usage.cpuMillis).toBe(a.cpuMillis);
      expect(n.usage.memoryBytes).toBe(a.memoryBytes);
      expect(n.usage.window).toBe(15);
      expect(n.utilization.cpu).toBeCloseTo(a.cpuMillis / n.allocatable.cpuMillis, 12);
      expect(n.utilization.memory).toBeCloseTo(a.memoryBytes / n.allocatable.memoryBytes, 12);
    }
    // kubectl top node: CPU(cores) as MilliValue (rounded up), MEMORY(bytes) in Mi (rounded down).
    const top = rows(await kubectl.ok(['top', 'nodes', '--no-headers']));
    expect(top.length).toBe(4);
    for (const [name, cpu, cpuPercent, memory] of top) {
      const n = nodes.find((x) => x.name === name)!;
      expect(cpu).toBe(`${Math.ceil(n.usage.cpuMillis)}m`);
      expect(memory).toBe(`${Math.floor(n.usage.memoryBytes / Mi)}Mi`);
      expect(cpuPercent).toBe(
        `${Math.floor((Math.ceil(n.usage.cpuMillis) / n.allocatable.cpuMillis) * 100)}%`,
      );
    }
  });

  it('of pods and their containers equal the metrics API and kubectl top pod --containers', async () => {
    await current();
    const data = await gql(`{ cluster(name: "sim") { pods(first: 500) { edges { node {
      name namespace usage { cpuMillis memoryBytes timestamp window }
      containers { name usage { cpuMillis memoryBytes timestamp } }
    } } } } }`);
    const pods: Json[] = data.cluster.pods.edges.map((e: Json) => e.node);
    const api = await apiPods(h);
    let withUsage = 0;
    for (const p of pods) {
      const a = api.get(`${p.namespace}/${p.name}`);
      if (!a) {
        expect(p.usage).toBeNull();
        continue;
      }
      withUsage += 1;
      expect(p.usage.timestamp).toBe(new Date(a.timestamp).toISOString());
      expect(p.usage.cpuMillis).toBeCloseTo(a.cpuMillis, 9);
      expect(p.usage.memoryBytes).toBe(a.memoryBytes);
      for (const c of p.containers) {
        const ac = a.containers.get(c.name);
        if (!ac) expect(c.usage).toBeNull();
        else {
          expect(c.usage.cpuMillis).toBe(ac.cpuMillis);
          expect(c.usage.memoryBytes).toBe(ac.memoryBytes);
          expect(c.usage.timestamp).toBe(p.usage.timestamp);
        }
      }
    }
    expect(withUsage).toBeGreaterThan(10);
    // One pod with several containers, through kubectl top pod --containers.
    const pod = pods.find((p) => p.usage && p.containers.length > 1) ?? pods.find((p) => p.usage)!;
    const top = rows(
      await kubectl.ok(['top', 'pod', pod.name, '-n', pod.namespace, '--containers', '--no-headers']),
    );
    expect(top.length).toBe(pod.containers.filter((c: Json) => c.usage).length);
    for (const [podName, name, cpu, memory] of top) {
      expect(podName).toBe(pod.name);
      const c = pod.containers.find((x: Json) => x.name === name);
      expect(cpu).toBe(`${Math.ceil(c.usage.cpuMillis)}m`);
      expect(memory).toBe(`${Math.floor(c.usage.memoryBytes / Mi)}Mi`);
    }
  });
});

describe('upstream cost', () => {
  it('1,000 requests of a nodes page with usage cost one node-metrics LIST per window, none of pods', async () => {
    await nextWindow(); // a window nobody has asked in yet
    const before = await metricsLists(h);
    // The first asks of a window are answered from the last one while the refresh runs.
    let latest = 0;
    await inParallel(1000, 50, async () => {
      const nodes = nodesOf(await gql(NODES_PAGE));
      latest = Math.max(latest, Date.parse(nodes[0].usage.timestamp));
    });
    const after = await metricsLists(h);
    expect(after.nodes - before.nodes).toBe(1);
    expect(after.pods - before.pods).toBe(0);

    // The next window: one more, however many ask; the page then shows the new sample.
    await nextWindow();
    await inParallel(200, 50, async () => {
      await gql(NODES_PAGE);
    });
    const next = await metricsLists(h);
    expect(next.nodes - after.nodes).toBe(1);
    await waitFor(
      async () => Date.parse(nodesOf(await gql(NODES_PAGE))[0].usage.timestamp) - latest === WINDOW_MS,
      'the page to show the next window',
    );
    expect((await metricsLists(h)).nodes).toBe(next.nodes);
  });

  it('sends no metrics LIST while nobody asks, however many windows pass', async () => {
    const before = await metricsLists(h);
    for (let i = 0; i < 8; i++) await nextWindow();
    expect(await metricsLists(h)).toEqual(before);
  });
});

describe('ordering and signals', () => {
  const PODS = `query($field: PodOrderField!, $direction: OrderDirection!) { cluster(name: "sim") {
    pods(first: 500, orderBy: { field: $field, direction: $direction }) { edges { node {
      name namespace usage { cpuMillis memoryBytes }
      utilization { cpuOfRequest memoryOfRequest cpuOfLimit memoryOfLimit }
    } } }
  } }`;

  const podsBy = async (field: string, direction: string): Promise<Json[]> =>
    (await gql(PODS, { field, direction })).cluster.pods.edges.map((e: Json) => e.node);

  it('orders pods by usage and utilization, pods without usage last either way', async () => {
    await current();
    const api = await apiPods(h);
    for (const [field, value] of [
      ['CPU_USAGE', (p: Json) => p.usage?.cpuMillis],
      ['MEMORY_USAGE', (p: Json) => p.usage?.memoryBytes],
      ['CPU_UTILIZATION', (p: Json) => p.utilization?.cpuOfRequest ?? undefined],
      ['MEMORY_UTILIZATION', (p: Json) => p.utilization?.memoryOfRequest ?? undefined],
    ] as const) {
      for (const direction of ['ASC', 'DESC']) {
        const pods = await podsBy(field, direction);
        const values = pods.map(value);
        const known = values.filter((v) => v !== undefined) as number[];
        // Every value first, sorted; then the pods without one.
        expect(values.slice(0, known.length).every((v) => v !== undefined)).toBe(true);
        const sorted = [...known].sort((a, b) => (direction === 'ASC' ? a - b : b - a));
        expect(known).toEqual(sorted);
        if (field === 'CPU_USAGE') {
          expect(known.length).toBe(api.size);
          for (const p of pods.filter((x) => x.usage))
            expect(p.usage.cpuMillis).toBeCloseTo(api.get(`${p.namespace}/${p.name}`)!.cpuMillis, 9);
        }
      }
    }
  });

  it('orders nodes by usage and utilization', async () => {
    const api = await apiNodes(h);
    const data = await gql(`{ cluster(name: "sim") {
      byCpu: nodes(orderBy: { field: CPU_USAGE, direction: DESC }) { edges { node { name } } }
      byMemory: nodes(orderBy: { field: MEMORY_UTILIZATION, direction: ASC }) { edges { node { name utilization { memory } } } }
    } }`);
    const expected = [...api.entries()].sort((a, b) => b[1].cpuMillis - a[1].cpuMillis).map(([n]) => n);
    expect(data.cluster.byCpu.edges.map((e: Json) => e.node.name)).toEqual(expected);
    const memory = data.cluster.byMemory.edges.map((e: Json) => e.node.utilization.memory);
    expect(memory).toEqual([...memory].sort((a, b) => a - b));
  });

  it('lists the pods near their memory limit and over their CPU request, and counts them in the summary', async () => {
    // Expected from the API's usage and the pods' specs, computed here.
    const api = await apiPods(h);
    const nearLimit = new Set<string>();
    const overRequest = new Set<string>();
    for (const pod of h.sim.store.scan('pods')) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const usage = api.get(key);
      const spec = pod.spec as Json;
      if (!usage || spec.initContainers?.length || spec.overhead || spec.resources) continue;
      const limits = spec.containers.map((c: Json) => c.resources?.limits?.memory);
      if (limits.every((l: unknown) => l !== undefined)) {
        const limit = limits.reduce((n: number, l: string) => n + apiBytesOf(l), 0);
        if (usage.memoryBytes >= 0.9 * limit) nearLimit.add(key);
      }
      const request = spec.containers.reduce(
        (n: number, c: Json) => n + (c.resources?.requests?.cpu ? cpuOf(c.resources.requests.cpu) : 0),
        0,
      );
      if (request > 0 && usage.cpuMillis > request) overRequest.add(key);
    }
    expect(nearLimit.size).toBeGreaterThan(0);
    expect(overRequest.size).toBeGreaterThan(0);
    const data = await gql(`{ cluster(name: "sim") {
      near: pods(first: 500, memoryNearLimit: true) { totalCount edges { node { name namespace utilization { memoryOfLimit } } } }
      over: pods(first: 500, cpuOverRequest: true) { totalCount edges { node { name namespace utilization { cpuOfRequest } } } }
      notNear: pods(memoryNearLimit: false) { totalCount }
      all: pods { totalCount }
      summary { podsNearMemoryLimit podsOverCpuRequest usage { cpuMillis memoryBytes } utilization { cpu memory } }
    } }`);
    const c = data.cluster;
    const keys = (conn: Json) => new Set(conn.edges.map((e: Json) => `${e.node.namespace}/${e.node.name}`));
    expect(keys(c.near)).toEqual(nearLimit);
    expect(keys(c.over)).toEqual(overRequest);
    for (const e of c.near.edges) expect(e.node.utilization.memoryOfLimit).toBeGreaterThanOrEqual(0.9);
    for (const e of c.over.edges) expect(e.node.utilization.cpuOfRequest).toBeGreaterThan(1);
    expect(c.near.totalCount + c.notNear.totalCount).toBe(c.all.totalCount);
    expect(c.summary.podsNearMemoryLimit).toBe(nearLimit.size);
    expect(c.summary.podsOverCpuRequest).toBe(overRequest.size);
    // The cluster's usage is the sum over its nodes.
    const nodes = await apiNodes(h);
    const cpu = [...nodes.values()].reduce((n, u) => n + u.cpuMillis, 0);
    expect(c.summary.usage.cpuMillis).toBeCloseTo(cpu, 6);
    expect(c.summary.usage.memoryBytes).toBe([...nodes.values()].reduce((n, u) => n + u.memoryBytes, 0));
  });
});

describe('history', () => {
  it('keeps the last hour per node and per cluster, bounded, one sample per window asked', async () => {
    const HISTORY = `{ cluster(name: "sim") {
      usageHistory { timestamp cpuMillis }
      nodes(first: 1) { edges { node { name usage { timestamp cpuMillis } usageHistory { timestamp cpuMillis memoryBytes } last: usageHistory(last: 2) { timestamp } } } }
    } }`;
    // 250 windows (over an hour), a page asking in each (until it shows that window).
    for (let i = 0; i < 250; i++) {
      await nextWindow();
      const due = iso(new Date(Math.floor(clock.now() / WINDOW_MS) * WINDOW_MS).toISOString());
      await waitFor(
        async () => (await gql(HISTORY)).cluster.nodes.edges[0].node.usage.timestamp === due,
        `the gateway to show the window of ${due}`,
      );
    }
    const data = await gql(HISTORY);
    const node = data.cluster.nodes.edges[0].node;
    const samples: Json[] = node.usageHistory;
    expect(samples.length).toBe(240);
    expect(data.cluster.usageHistory.length).toBe(240);
    const times = samples.map((s) => Date.parse(s.timestamp));
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(WINDOW_MS);
    expect(samples.at(-1)).toEqual({
      timestamp: node.usage.timestamp,
      cpuMillis: node.usage.cpuMillis,
      memoryBytes: samples.at(-1).memoryBytes,
    });
    expect(node.last.map((s: Json) => s.timestamp)).toEqual(samples.slice(-2).map((s) => s.timestamp));
    const bad = await h.query('{ cluster(name: "sim") { usageHistory(last: 0) { timestamp } } }');
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  }, 120_000);
});

describe('subscriptions', () => {
  it('nodeSummary and clusterSummary push usage once per window while subscribed', async () => {
    const node = nodesOf(await gql(NODES_PAGE))[0].name;
    const nodeSub = subscribe(
      'sse',
      h.url,
      `subscription($name: String!) { nodeSummary(cluster: "sim", name: $name) { name usage { timestamp cpuMillis } } }`,
      { variables: { name: node } },
    );
    const clusterSub = subscribe(
      'ws',
      h.url,
      `subscription { clusterSummary(cluster: "sim") { nodes usage { timestamp cpuMillis } podsNearMemoryLimit } }`,
    );
    try {
      await events(nodeSub, 1);
      await events(clusterSub, 1);
      const first = nodeSub.events[0].usage.timestamp;
      for (let w = 1; w <= 3; w++) {
        await nextWindow();
        await events(nodeSub, 1 + w);
        await events(clusterSub, 1 + w);
        expect(Date.parse(nodeSub.events[w].usage.timestamp) - Date.parse(first)).toBe(w * WINDOW_MS);
        expect(clusterSub.events[w].usage.timestamp).toBe(nodeSub.events[w].usage.timestamp);
      }
      // Within a window, nothing more is pushed.
      await clock.advanceAsync(WINDOW_MS / 3);
      expect(nodeSub.events.length).toBe(4);
      expect(clusterSub.events.length).toBe(4);
      expect(nodeSub.errors).toEqual([]);
      expect(clusterSub.errors).toEqual([]);
    } finally {
      nodeSub.dispose();
      clusterSub.dispose();
    }
    // Unsubscribed: no more ticks, no more LISTs.
    const before = await metricsLists(h);
    for (let i = 0; i < 3; i++) await nextWindow();
    expect(await metricsLists(h)).toEqual(before);
  });
});

function apiBytesOf(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`unexpected memory quantity ${q}`);
  return Number(m[1]) * ({ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] as 'Ki'] ?? 1);
}

function cpuOf(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}
