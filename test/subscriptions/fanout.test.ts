/**
 * Fan-out and clean-up: 500 subscribers cost the cluster nothing more than one (the
 * informers' watches serve them all through the event hub), and 1,000 subscribe and
 * disconnect cycles, over SSE and WebSocket, leave no hub listener and no memory behind.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CACHE_KINDS } from '../../src/kube/kinds.js';
import { relayStats } from '../../src/loaders/streams.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  barePod,
  ensureNamespace,
  listeners,
  nodeNames,
  type Subscription,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribe,
  subscribeOn,
  wsConnection,
} from './clients.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

let h: Harness;
let baseline: number;
let hubBaseline: number;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 3, pods: 30, jobs: 2, namespaces: 2, seed: 8 } },
  });
  stopBackgroundActivity(h.sim);
  await waitFor(() => h.sim.openWatchCount() === CACHE_KINDS.length, 'every informer watching');
  baseline = serverSubscriptions(h);
  hubBaseline = h.hub.listenerCount();
});

afterAll(() => h?.close(), 30_000);

/** What the gateway costs the API server: open watches per resource, and LIST/WATCH requests so far. */
async function upstreamCost() {
  const metrics = await h.upstream();
  const out: Record<string, number> = { open: h.sim.openWatchCount() };
  for (const [key, value] of metrics) {
    if (key.startsWith('apiserver_longrunning_requests{')) out[key] = value;
    if (key.startsWith('apiserver_request_total{') && /verb="(LIST|WATCH)"/.test(key)) out[key] = value;
  }
  return out;
}

it('500 subscribers open no more upstream watches than one, and each gets every event', async () => {
  const ns = 'fanout';
  ensureNamespace(h, ns);
  const query = `subscription { podEvents(namespace: "${ns}") { type object { name } } }`;
  const first = subscribe('ws', h.url, query);
  const subs: Subscription[] = [first];
  const connections = [0, 1, 2].map(() => wsConnection(h.url));
  try {
    await listeners(h, baseline + 1);
    const withOne = await upstreamCost();
    expect(withOne.open).toBe(CACHE_KINDS.length);
    expect(withOne['apiserver_longrunning_requests{verb="WATCH",resource="pods"}']).toBe(1);

    // 450 over three graphql-ws connections, 49 over SSE (a connection each).
    for (const client of connections) for (let i = 0; i < 150; i++) subs.push(subscribeOn(client, query));
    for (let i = 0; i < 49; i++) subs.push(subscribe('sse', h.url, query));
    await listeners(h, baseline + 500, 30_000);
    expect(await upstreamCost()).toEqual(withOne);
    // Identical subscriptions of one principal share one relay: one hub listener, one
    // filter evaluation per change, one execution per event.
    expect(relayStats(h.hub)).toEqual({ relays: 1, subscribers: 500, hubListeners: 1 });
    expect(h.hub.listenerCount()).toBe(hubBaseline + 1);

    h.sim.store.create('pods', barePod(ns, 'fanned-out', { nodeName: nodeNames(h)[0] }));
    for (const sub of subs) await sub.eventFor('fanned-out', 'ADDED');
    expect(subs.every((s) => s.events.length === 1 && s.errors.length === 0)).toBe(true);
    expect(await upstreamCost()).toEqual(withOne);
  } finally {
    for (const s of subs) s.dispose();
    await Promise.all(connections.map((c) => c.dispose()));
  }
  await listeners(h, baseline);
});

/** One subscribe/disconnect cycle; `early`: leave before anything arrived. */
type Cycle = (i: number, early: boolean) => Promise<void>;

it('1,000 subscribe/disconnect cycles over SSE and WebSocket leave the hub and the heap as they were', async () => {
  const ns = 'cycles';
  ensureNamespace(h, ns);
  h.sim.store.create('pods', barePod(ns, 'only', { nodeName: nodeNames(h)[0] }));
  const queries = [
    `subscription { podEvents(namespace: "${ns}", initial: true) { type object { name node { name } } } }`,
    'subscription { nodeEvents(initial: true) { type object { name } } }',
    'subscription { clusterSummary(cluster: "sim") { pods } }',
    `subscription { nodeSummary(cluster: "sim", name: "${nodeNames(h)[0]}") { podCount } }`,
  ];
  const shared = wsConnection(h.url);
  // Three ways to go: SSE (the request aborted), a WebSocket of its own (closed), and one
  // subscription among others on a shared WebSocket (unsubscribed with `complete`).
  const ways: Cycle[] = [
    (i, early) => cycle(subscribe('sse', h.url, queries[i % queries.length]), early),
    (i, early) => cycle(subscribe('ws', h.url, queries[i % queries.length]), early),
    (i, early) => cycle(subscribeOn(shared, queries[i % queries.length]), early),
  ];
  async function cycle(sub: Subscription, early: boolean) {
    try {
      if (!early) await sub.count(1);
      expect(sub.errors).toEqual([]);
    } finally {
      sub.dispose();
    }
  }
  async function run(count: number, offset: number) {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = offset + next++;
        await ways[i % ways.length](Math.floor(i / ways.length), i % 10 === 9);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
  }

  try {
    // Warm-up: caches, pools and lazily built things are made once, not per subscriber.
    await run(150, 0);
    await listeners(h, baseline);
    const heapBefore = heapMB();
    await run(1000, 150);
    await listeners(h, baseline);
    expect(h.hub.listenerCount()).toBe(hubBaseline);
    expect(relayStats(h.hub)).toEqual({ relays: 0, subscribers: 0, hubListeners: 0 });
    const grown = heapMB() - heapBefore;
    expect(grown).toBeLessThan(8);
    // And what is left still works.
    const after = subscribe('ws', h.url, queries[0]);
    await after.eventFor('only', 'ADDED');
    after.dispose();
  } finally {
    await shared.dispose();
  }
  await listeners(h, baseline);
}, 60_000);

function heapMB(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}
