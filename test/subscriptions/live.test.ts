/**
 * Live aggregates and cluster status over real clients: `nodeSummary` and `clusterSummary`
 * push when the pods behind them change, coalesced (a burst of 50 pod changes is a few
 * pushes, not 50) and not at all for changes that do not concern them; `clusterStatus`
 * says DISCONNECTED when the watches go down and CONNECTED (or RELISTED) when they are back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { expectedNodeUsage } from '../schema/helpers.js';
import {
  barePod,
  ensureNamespace,
  type Json,
  listeners,
  nodeNames,
  type Subscription,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribe,
  TRANSPORTS,
} from './clients.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 4, pods: 40, jobs: 2, namespaces: 2, seed: 13 } },
  });
  stopBackgroundActivity(h.sim);
});

afterAll(() => h?.close(), 30_000);

let baseline = 0;

/** One subscriber per transport; live values take one hub listener each (status is polled: none). */
async function subscribeAll(query: string, hubListeners = true): Promise<Subscription[]> {
  baseline = serverSubscriptions(h);
  const subs = TRANSPORTS.map((t) => subscribe(t, h.url, query));
  if (hubListeners) await listeners(h, baseline + subs.length);
  return subs;
}

/** Disconnects, and waits until the gateway has let go of them. */
async function closeAll(subs: Subscription[]): Promise<void> {
  for (const s of subs) s.dispose();
  await listeners(h, baseline);
}

const last = (s: Subscription) => s.events.at(-1);

describe('live aggregates', () => {
  it('nodeSummary pushes podCount and requested when pods on its node change, coalesced', async () => {
    const ns = 'live-node';
    ensureNamespace(h, ns);
    const [node, other] = nodeNames(h);
    const subs = await subscribeAll(
      `subscription { nodeSummary(cluster: "sim", name: "${node}") { name podCount requested { cpuMillis memoryBytes } } }`,
    );
    try {
      const start = expectedNodeUsage(h, node);
      for (const sub of subs) {
        await sub.count(1);
        expect(sub.events[0]).toEqual({
          name: node,
          podCount: start.podCount,
          requested: { cpuMillis: start.cpuMillis, memoryBytes: start.memoryBytes },
        });
      }

      // A burst of 50 pods on the node.
      for (let i = 0; i < 50; i++)
        h.sim.store.create('pods', barePod(ns, `burst-${i}`, { nodeName: node, cpu: '10m' }));
      const burst = expectedNodeUsage(h, node);
      expect(burst.podCount).toBe(start.podCount + 50);
      for (const sub of subs) {
        await sub.until('the burst', (s) => last(s).podCount === burst.podCount);
        // Coalesced: a few pushes for 50 changes, and the last one is the final state.
        expect(sub.events.length - 1).toBeGreaterThanOrEqual(1);
        expect(sub.events.length - 1).toBeLessThanOrEqual(5);
        expect(last(sub).requested.cpuMillis).toBe(burst.cpuMillis);
      }
      const pushes = subs.map((s) => s.events.length);

      // Pods on another node, and a change to one of ours that moves none of the numbers: no push.
      for (let i = 0; i < 20; i++)
        h.sim.store.create('pods', barePod(ns, `elsewhere-${i}`, { nodeName: other }));
      h.sim.store.mutate('pods', ns, 'burst-0', (d) => ({
        ...d,
        metadata: { ...d.metadata, labels: { ...d.metadata.labels, touched: 'yes' } },
      }));
      // Then one that does: a pod finishes, and stops counting.
      h.sim.store.mutate('pods', ns, 'burst-1', (d) => ({
        ...d,
        status: { ...d.status, phase: 'Succeeded' },
      }));
      const done = expectedNodeUsage(h, node);
      expect(done.podCount).toBe(burst.podCount - 1);
      for (const [i, sub] of subs.entries()) {
        await sub.until('the finished pod', (s) => last(s).podCount === done.podCount);
        expect(sub.events.length).toBe(pushes[i] + 1);
        expect(last(sub).requested.cpuMillis).toBe(done.cpuMillis);
      }
    } finally {
      await closeAll(subs);
    }
  });

  it('clusterSummary pushes the cluster’s numbers when pods change, coalesced', async () => {
    const ns = 'live-cluster';
    ensureNamespace(h, ns);
    const subs = await subscribeAll(
      'subscription { clusterSummary(cluster: "sim") { pods scheduledPods podsByPhase { running succeeded } } }',
    );
    const count = (phase: string) =>
      [...h.sim.store.scan('pods')].filter((p) => p.status?.phase === phase).length;
    try {
      for (const sub of subs) {
        await sub.count(1);
        expect(sub.events[0]).toMatchObject({
          pods: h.sim.store.count('pods'),
          podsByPhase: { running: count('Running'), succeeded: count('Succeeded') },
        });
      }
      const [node] = nodeNames(h);
      // 50 changes: 25 pods created, then each of them finishes.
      for (let i = 0; i < 25; i++) h.sim.store.create('pods', barePod(ns, `c-${i}`, { nodeName: node }));
      for (let i = 0; i < 25; i++) {
        h.sim.store.mutate('pods', ns, `c-${i}`, (d) => ({
          ...d,
          status: { ...d.status, phase: 'Succeeded' },
        }));
      }
      const want = {
        pods: h.sim.store.count('pods'),
        podsByPhase: { running: count('Running'), succeeded: count('Succeeded') },
      };
      for (const sub of subs) {
        await sub.until(
          'the final numbers',
          (s) => last(s).podsByPhase.succeeded === want.podsByPhase.succeeded,
        );
        expect(last(sub)).toMatchObject(want);
        expect(sub.events.length - 1).toBeGreaterThanOrEqual(1);
        expect(sub.events.length - 1).toBeLessThanOrEqual(5);
      }
    } finally {
      await closeAll(subs);
    }
  });
});

describe('clusterStatus', () => {
  const QUERY = `subscription { clusterStatus(cluster: "sim") {
    cluster reason live stale status { ready kinds { kind connected relists } } } }`;

  /** Events after index `from` until one with live: true; checks the way there. */
  async function backLive(sub: Subscription, from: number): Promise<Json> {
    await sub.until('live again', (s) => s.events.slice(from).some((e: Json) => e.live));
    const back = sub.events.slice(from).find((e: Json) => e.live);
    expect(['CONNECTED', 'RELISTED']).toContain(back.reason);
    expect(back.status.kinds.every((k: Json) => k.connected)).toBe(true);
    return back;
  }

  it('reports DISCONNECTED when the watches drop and cannot come back, and CONNECTED when they do', async () => {
    const subs = await subscribeAll(QUERY, false);
    try {
      for (const sub of subs) {
        await sub.count(1);
        expect(sub.events[0]).toMatchObject({ cluster: 'sim', reason: 'INITIAL', live: true, stale: false });
      }
      const marks = subs.map((s) => s.events.length);
      h.sim.injectFaults({ errorRate: 1, errorCode: 503, verbs: ['WATCH'] });
      h.sim.dropWatches('reset');
      for (const [i, sub] of subs.entries()) {
        await sub.until('DISCONNECTED', (s) =>
          s.events.slice(marks[i]).some((e: Json) => e.reason === 'DISCONNECTED'),
        );
        const down = sub.events.slice(marks[i]).find((e: Json) => e.reason === 'DISCONNECTED');
        expect(down.live).toBe(false);
        expect(down.status.kinds.some((k: Json) => !k.connected)).toBe(true);
      }
      const downMarks = subs.map((s) => s.events.length);
      h.sim.injectFaults({ reset: true });
      for (const [i, sub] of subs.entries()) {
        const back = await backLive(sub, downMarks[i]);
        expect(back.reason).toBe('CONNECTED');
      }
    } finally {
      h.sim.injectFaults({ reset: true });
      await closeAll(subs);
    }
  });

  it('reports DISCONNECTED while the API server refuses connections, then RELISTED after its history was compacted', async () => {
    const subs = await subscribeAll(QUERY, false);
    try {
      for (const sub of subs) await sub.count(1);
      const marks = subs.map((s) => s.events.length);
      h.sim.refuseConnections(2);
      for (const [i, sub] of subs.entries()) {
        await sub.until('DISCONNECTED', (s) =>
          s.events.slice(marks[i]).some((e: Json) => e.reason === 'DISCONNECTED'),
        );
      }
      // While it is away, the cluster moves on and forgets its history: resuming means 410, so a relist.
      h.sim.store.create('pods', barePod('default', 'while-away'));
      h.sim.compact();
      await waitFor(() => !h.sim.down, { message: 'the simulator back', timeoutMs: 10_000 });
      for (const [i, sub] of subs.entries()) {
        const back = await backLive(sub, marks[i]);
        // Informers come back one by one: the relist may be told before all of them are live.
        const reasons = sub.events.slice(marks[i]).map((e: Json) => e.reason);
        expect(reasons).toContain('RELISTED');
        expect(reasons.indexOf('RELISTED')).toBeGreaterThan(reasons.indexOf('DISCONNECTED'));
        expect(back.status.kinds.find((k: Json) => k.kind === 'Pod').relists).toBeGreaterThan(0);
      }
    } finally {
      await closeAll(subs);
    }
  });
});
