/**
 * `initial: true` under churn, and a relist after 410 Gone, seen by real clients: every
 * subscriber applies its events to a Map (ADDED sets, MODIFIED replaces, DELETED removes)
 * and, once the churn stops, its Map equals the simulator's matching objects, key for key
 * and resourceVersion for resourceVersion — no gap, no duplicate, no event out of order.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Churn } from '../../src/simulator/churn.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { sleep, waitFor } from '../helpers/wait.js';
import {
  barePod,
  type Json,
  keyOf,
  listeners,
  nodeNames,
  type Subscription,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribe,
  TRANSPORTS,
} from './clients.js';

const SCENARIO = { nodes: 8, pods: 900, jobs: 6, namespaces: 3, seed: 21 };

let h: Harness;
let ns0: string;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: SCENARIO, bookmarkIntervalMs: 60_000 } });
  stopBackgroundActivity(h.sim);
  // The namespace with the most pods, so the namespace filter has something to say.
  const counts = new Map<string, number>();
  for (const p of h.sim.store.scan('pods')) {
    counts.set(p.metadata.namespace!, (counts.get(p.metadata.namespace!) ?? 0) + 1);
  }
  ns0 = [...counts].sort((a, b) => b[1] - a[1])[0][0];
});

afterAll(() => h?.close(), 30_000);

/** A subscriber's view of the world, built only from the events it received. */
interface Mirror {
  objects: Map<string, string>;
  problems: string[];
}

function mirror(sub: Subscription): Mirror {
  const objects = new Map<string, string>();
  const problems: string[] = [];
  const lastRV = new Map<string, number>();
  for (const e of sub.events as Json[]) {
    const key = `${e.object.namespace}/${e.object.name}`;
    const rv = Number(e.resourceVersion);
    if (rv <= (lastRV.get(key) ?? 0)) problems.push(`${key}: ${e.type} at ${rv} after ${lastRV.get(key)}`);
    lastRV.set(key, rv);
    switch (e.type) {
      case 'ADDED':
        if (objects.has(key)) problems.push(`${key}: a second ADDED (at ${rv}) before any DELETED`);
        objects.set(key, e.object.resourceVersion);
        break;
      case 'MODIFIED':
        if (!objects.has(key)) problems.push(`${key}: MODIFIED (at ${rv}) for an object never ADDED`);
        objects.set(key, e.object.resourceVersion);
        break;
      case 'DELETED':
        if (!objects.delete(key)) problems.push(`${key}: DELETED (at ${rv}) for an object never ADDED`);
        break;
    }
  }
  return { objects, problems };
}

function simPods(match: (p: KubeObject) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of h.sim.store.scan('pods')) if (match(p)) out.set(keyOf(p), p.metadata.resourceVersion!);
  return out;
}

/** Sorted `key@rv` lines: equal iff same keys and resourceVersions, and a diff reads well. */
const lines = (m: Map<string, string>) => [...m].map(([k, rv]) => `${k}@${rv}`).sort();

const SELECTION = 'type cluster resourceVersion object { namespace name resourceVersion }';

/**
 * Changes made while the test runs: the simulator's own churn (pods scheduled, started,
 * crashing, finished and replaced, jobs, node heartbeats), driven tick by tick, plus a
 * label flipped on random pods so that objects keep entering and leaving a filter.
 */
function drive(perTick: number) {
  const churn = new Churn(h.sim.store, { ratePerSecond: 0, seed: 99 });
  let running = true;
  let changes = 0;
  let keys: [string, string][] = [];
  let n = 0;
  const burst = (count: number) => {
    if (n++ % 20 === 0)
      keys = [...h.sim.store.scan('pods')].map((p) => [p.metadata.namespace!, p.metadata.name]);
    churn.tick(count);
    for (let i = 0; i < 2; i++) {
      const [ns, name] = keys[(n * 7919 + i * 104_729) % keys.length];
      try {
        h.sim.store.mutate('pods', ns, name, (d) => ({
          ...d,
          metadata: {
            ...d.metadata,
            labels: { ...d.metadata.labels, flip: d.metadata.labels?.flip === 'on' ? 'off' : 'on' },
          },
        }));
      } catch {
        // deleted by the churn meanwhile
      }
    }
    changes += count + 2;
  };
  const loop = (async () => {
    while (running) {
      burst(perTick);
      await sleep(2);
    }
  })();
  return {
    burst,
    get changes() {
      return changes;
    },
    async stop() {
      running = false;
      await loop;
      churn.stop();
    },
  };
}

it('initial: true sends a snapshot and then the live events, without gap or duplicate, while changes run', async () => {
  const churn = drive(4);
  await waitFor(() => churn.changes > 100, 'some changes before subscribing');
  const specs = [
    { name: 'all', args: 'initial: true, allChanges: true', match: () => true },
    // Default change filtering: whoever selects resourceVersion gets every change.
    {
      name: 'namespace',
      args: `initial: true, namespace: "${ns0}"`,
      match: (p: KubeObject) => p.metadata.namespace === ns0,
    },
    {
      name: 'label',
      args: 'initial: true, allChanges: true, labelSelector: "flip=on"',
      match: (p: KubeObject) => p.metadata.labels?.flip === 'on',
    },
  ];
  const before = serverSubscriptions(h);
  const subs = TRANSPORTS.flatMap((transport) =>
    specs.map((spec) => ({
      spec,
      transport,
      sub: subscribe(transport, h.url, `subscription { podEvents(${spec.args}) { ${SELECTION} } }`),
      matching: simPods(spec.match).size,
    })),
  );
  // Changes made while a snapshot is arriving, for certain: every 100 results a client receives.
  const during = subs.map(() => 0);
  for (const [i, { sub, matching }] of subs.entries()) {
    sub.onResult = (s) => {
      if (s.results.length % 100 === 0 && s.results.length < matching) {
        churn.burst(10);
        during[i] += 1;
      }
    };
  }
  try {
    await listeners(h, before + subs.length);
    for (const s of subs) await s.sub.count(s.matching, 30_000);
    const afterSnapshots = churn.changes;
    await waitFor(() => churn.changes > afterSnapshots + 300, 'more changes after the snapshots');
    await churn.stop();
    for (const [i, { matching }] of subs.entries()) {
      if (matching >= 100) expect(during[i]).toBeGreaterThan(0);
    }

    // A marker every subscriber matches: once it arrived, everything before it has too.
    h.sim.store.create('pods', barePod(ns0, 'snapshot-marker', { labels: { flip: 'on' } }));
    for (const { spec, transport, sub } of subs) {
      await sub.eventFor('snapshot-marker', 'ADDED');
      const seen = mirror(sub);
      const label = `${spec.name} over ${transport}`;
      expect(seen.problems, label).toEqual([]);
      expect(lines(seen.objects), label).toEqual(lines(simPods(spec.match)));
      expect(sub.errors, label).toEqual([]);
      expect(sub.events.length, label).toBeGreaterThan(seen.objects.size); // live events came after the snapshot
    }
  } finally {
    await churn.stop();
    for (const s of subs) s.sub.dispose();
    await listeners(h, before);
    if (h.sim.store.get('pods', ns0, 'snapshot-marker')) h.sim.store.delete('pods', ns0, 'snapshot-marker');
  }
});

it('a relist after 410 Gone reaches subscribers as the synthetic events that bring them to the new state', async () => {
  const cluster = h.registry.get('sim')!;
  const podStatus = () => cluster.status().kinds.find((k) => k.kind === 'Pod')!;
  const relistsBefore = podStatus().relists;
  const before = serverSubscriptions(h);
  const subs = TRANSPORTS.map((transport) =>
    subscribe(
      transport,
      h.url,
      `subscription { podEvents(initial: true, allChanges: true) { ${SELECTION} } }`,
    ),
  );
  try {
    await listeners(h, before + subs.length);
    const count = h.sim.store.count('pods');
    for (const sub of subs) await sub.count(count);

    // The watches go down and stay down (every WATCH answers 503) while the cluster changes.
    h.sim.injectFaults({ errorRate: 1, errorCode: 503, verbs: ['WATCH'] });
    h.sim.dropWatches('reset');
    await waitFor(() => cluster.status().kinds.every((k) => !k.connected), 'every informer disconnected');
    const pods = [...h.sim.store.scan('pods')];
    const [node] = nodeNames(h);
    const created = h.sim.store.create('pods', barePod(ns0, 'made-while-down', { nodeName: node }));
    // Changed three times: only the last state can reach anyone.
    const changed = pods[10];
    for (let i = 0; i < 3; i++) {
      h.sim.store.mutate('pods', changed.metadata.namespace, changed.metadata.name, (d) => ({
        ...d,
        metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, step: String(i) } },
      }));
    }
    const removed = pods[20];
    h.sim.store.delete('pods', removed.metadata.namespace, removed.metadata.name);
    // Created and deleted while down: never seen by anyone.
    h.sim.store.create('pods', barePod(ns0, 'ephemeral'));
    h.sim.store.delete('pods', ns0, 'ephemeral');
    const churn = new Churn(h.sim.store, { ratePerSecond: 0, seed: 7 });
    churn.tick(150);
    churn.stop();
    // History is compacted: resuming from the last seen resourceVersion now means 410 Gone.
    h.sim.injectFaults({ compact: true });
    const marks = subs.map((s) => s.events.length);
    h.sim.injectFaults({ reset: true });

    await waitFor(() => {
      const s = podStatus();
      return s.relists > relistsBefore && s.connected;
    }, 'the pod informer relisted and watches again');
    h.sim.store.create('pods', barePod(ns0, 'relist-marker', { nodeName: node }));
    const expected = simPods(() => true);
    for (const [i, sub] of subs.entries()) {
      await sub.eventFor('relist-marker', 'ADDED');
      const seen = mirror(sub);
      expect(seen.problems, TRANSPORTS[i]).toEqual([]);
      expect(lines(seen.objects), TRANSPORTS[i]).toEqual(lines(expected));
      const after = sub.events
        .slice(marks[i])
        .map((e: Json) => `${e.type} ${e.object.namespace}/${e.object.name}`);
      expect(after).toContain(`ADDED ${keyOf(created)}`);
      expect(after.filter((l: string) => l === `MODIFIED ${keyOf(changed)}`)).toHaveLength(1);
      expect(after).toContain(`DELETED ${keyOf(removed)}`);
      expect(after.some((l: string) => l.endsWith(`${ns0}/ephemeral`))).toBe(false);
      // Nothing for the objects that did not change: at most one event per object, plus the marker.
      expect(new Set(after).size).toBe(after.length);
    }
  } finally {
    h.sim.injectFaults({ reset: true });
    for (const s of subs) s.dispose();
    await listeners(h, before);
  }
});
