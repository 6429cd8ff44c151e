/**
 * The informer cache against a live simulator with churn, through every fault a real API
 * server inflicts: dropped watches (reset and clean end), a compacted history (410 →
 * relist), the server gone for seconds, 5xx and 429 bursts. Once the churn stops, each
 * store must equal the simulator's state exactly (keys and resourceVersions), and so must a
 * hub subscriber that only ever saw the events: no consumer missed a change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodAggregates } from '../../src/kube/aggregates.js';
import type { Cluster } from '../../src/kube/cluster.js';
import { EventHub, type HubEvent } from '../../src/kube/event-hub.js';
import { CACHE_KINDS as KIND_NAMES, type KindName, keyOf, objectKey } from '../../src/kube/kinds.js';
import { describe as describeError, Reflector } from '../../src/kube/reflector.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { jobNameOfPod } from '../../src/kube/rules.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { gatewayLog } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';
import {
  converged,
  lines,
  RESOURCE_OF,
  requests,
  simMetrics,
  simState,
  stopBackgroundActivity,
  storeState,
} from './sim-helpers.js';

/** A hub consumer that applies every event to its own map and checks each one continues the last. */
class Mirror {
  readonly objects = new Map<string, { kind: KindName; key: string; rv: string }>();
  readonly violations: string[] = [];
  events = 0;

  apply(event: HubEvent): void {
    this.events += 1;
    const key = objectKey(event.object);
    const id = `${event.kind}:${key}`;
    const held = this.objects.get(id);
    const rv = event.object.metadata?.resourceVersion ?? '';
    switch (event.type) {
      case 'ADDED':
        if (held) this.violations.push(`ADDED ${id}@${rv} while holding @${held.rv}`);
        this.objects.set(id, { kind: event.kind, key, rv });
        break;
      case 'MODIFIED': {
        const before = event.previous?.metadata?.resourceVersion;
        if (!held || held.rv !== before) {
          this.violations.push(`MODIFIED ${id} from @${before} while holding @${held?.rv ?? 'nothing'}`);
        }
        this.objects.set(id, { kind: event.kind, key, rv });
        break;
      }
      case 'DELETED':
        if (!held) this.violations.push(`DELETED ${id} never held`);
        this.objects.delete(id);
        break;
    }
  }

  state(kind: KindName): Map<string, string> {
    const out = new Map<string, string>();
    for (const o of this.objects.values()) if (o.kind === kind) out.set(o.key, o.rv);
    return out;
  }
}

describe('informers under churn and faults', () => {
  let sim: Simulator;
  let registry: ClusterRegistry;
  let cluster: Cluster;
  const mirror = new Mirror();
  const errors: string[] = [];
  let bumps = 0;
  /** Events the mirror had seen once the first lists were in: everything after is churn or relist. */
  let eventsAtSync = 0;

  const statuses = () => cluster.status().kinds;
  const counter = (field: 'relists' | 'watchRestarts') =>
    Object.fromEntries(statuses().map((s) => [s.kind, s[field]])) as Record<KindName, number>;
  const allConnected = () => statuses().every((s) => s.connected) && sim.openWatchCount() >= 4;
  /** Moves the global resourceVersion past every informer's with an object no informer watches. */
  const bumpResourceVersion = () => {
    bumps += 1;
    sim.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `rv-bump-${bumps}`, namespace: 'default' },
    });
  };
  /** Everything described since `mark`. */
  const errorsSince = (mark: number) => errors.slice(mark).join('\n');

  beforeAll(async () => {
    sim = await startSimulator({
      scenario: { nodes: 12, pods: 400, jobs: 30, namespaces: 4, seed: 7 },
      churnPerSecond: 30,
      bookmarkIntervalMs: 300,
      jobStepMs: 200,
    });
    const hub = new EventHub();
    // Subscribed before the registry starts, so the first list's ADDED events are seen too.
    hub.subscribe({}, (event) => mirror.apply(event));
    registry = new ClusterRegistry({
      hub,
      sources: [{ type: 'kubeconfig-text', text: sim.kubeconfig({ context: 'chaos' }), label: 'chaos' }],
      defaults: { cache: true },
      reflector: { backoff: { initialMs: 50, maxMs: 1000 } },
      onError: (cluster, kind, err) => {
        gatewayLog().onClusterError(cluster, kind, err);
        errors.push(describeError(err));
      },
    });
    registry.start();
    cluster = registry.get('chaos')!;
    expect(await registry.waitForSync(20_000)).toBe(true);
    await waitFor(allConnected, 'every informer watching');
    eventsAtSync = mirror.events;
  });

  afterAll(async () => {
    await registry?.stop();
    await sim?.close();
  });

  it('survives dropped watches (reset and clean end) by resuming', async () => {
    for (const mode of ['reset', 'end'] as const) {
      const before = counter('watchRestarts');
      const relists = counter('relists');
      expect(sim.dropWatches(mode)).toBeGreaterThanOrEqual(4);
      await waitFor(
        () => KIND_NAMES.every((k) => counter('watchRestarts')[k] > before[k]) && allConnected(),
        `every informer resumed after a dropped watch (${mode})`,
      );
      // Resumed from the last resourceVersion: history still holds it, so no relist.
      expect(counter('relists')).toEqual(relists);
    }
  });

  it('relists after a compacted history answers 410', async () => {
    const before = counter('relists');
    bumpResourceVersion();
    sim.injectFaults({ compact: true, dropWatches: 'reset' });
    await waitFor(
      () => KIND_NAMES.every((k) => counter('relists')[k] === before[k] + 1) && allConnected(),
      'every informer relisted once after 410 Expired',
    );
  });

  it('rides out the API server going away', async () => {
    const mark = errors.length;
    sim.injectFaults({ refuseConnectionsSeconds: 2 });
    await waitFor(() => statuses().every((s) => !s.connected), 'every watch noticed the outage');
    await waitFor(() => !sim.down && allConnected(), {
      message: 'every informer back after the outage',
      timeoutMs: 20_000,
    });
    expect(errorsSince(mark)).toMatch(/connection failed \(ECONNREFUSED\)/);
  });

  it('retries through a 5xx burst on watches, then on the relist itself', async () => {
    let mark = errors.length;
    let m0 = await simMetrics(sim);
    sim.injectFaults({ errorRate: 1, errorCode: 500, dropWatches: 'reset' });
    await waitFor(async () => {
      const m = await simMetrics(sim);
      return KIND_NAMES.every(
        (k) =>
          requests(m, { verb: 'WATCH', resource: RESOURCE_OF[k], code: '500' }) >
          requests(m0, { verb: 'WATCH', resource: RESOURCE_OF[k], code: '500' }),
      );
    }, 'every informer met a 500 on watch');
    sim.injectFaults({ reset: true });
    await waitFor(allConnected, 'every informer back after the 500 burst');
    expect(errorsSince(mark)).toMatch(/HTTP 500 on watch/);

    // A relist that meets 503s keeps retrying the list (no watch without a fresh list).
    mark = errors.length;
    m0 = await simMetrics(sim);
    const relists = counter('relists');
    bumpResourceVersion();
    sim.injectFaults({ errorRate: 1, errorCode: 503, verbs: ['LIST'], compact: true, dropWatches: 'reset' });
    await waitFor(async () => {
      const m = await simMetrics(sim);
      return KIND_NAMES.every(
        (k) =>
          requests(m, { verb: 'LIST', resource: RESOURCE_OF[k], code: '503' }) >=
          requests(m0, { verb: 'LIST', resource: RESOURCE_OF[k], code: '503' }) + 2,
      );
    }, 'every informer retried its relist through 503s');
    sim.injectFaults({ reset: true });
    await waitFor(
      () => KIND_NAMES.every((k) => counter('relists')[k] === relists[k] + 1) && allConnected(),
      'every informer relisted once the 503s stopped',
    );
    expect(errorsSince(mark)).toMatch(/HTTP 503/);
  });

  it('honours Retry-After through a 429 burst', async () => {
    const mark = errors.length;
    const m0 = await simMetrics(sim);
    // One more reflector on the same client, on a fake clock: how long it waits after a
    // real 429 from the simulator is read off the clock, not measured by sleeping.
    const clock = new FakeClock();
    const own: string[] = [];
    let attempts = 0;
    const reflector = new Reflector({
      kind: 'Namespace',
      client: {
        list: (kind, options) => cluster.client.list(kind, options),
        watch: (kind, options, onEvent) => {
          attempts += 1;
          return cluster.client.watch(kind, options, onEvent);
        },
      },
      sink: { replace() {}, added() {}, modified() {}, deleted() {} },
      clock,
      backoff: { initialMs: 50, maxMs: 1000 },
      onError: (err) => own.push(describeError(err)),
    });
    reflector.start();
    try {
      await waitFor(() => reflector.status.connected, 'the fake-clock reflector watching');
      sim.injectFaults({ errorRate: 1, errorCode: 429, retryAfterSeconds: 3, dropWatches: 'reset' });
      await waitFor(() => !reflector.status.connected && clock.pending === 1, 'the dropped watch noticed');
      // Its backoff (37.5 ms: random() is 0.5) runs out; the retry meets the 429.
      expect(clock.nextDueIn).toBe(37.5);
      await clock.advanceAsync(38);
      await waitFor(() => own.includes('HTTP 429 on watch') && clock.pending === 1, 'a 429 met');
      const retried = attempts;
      // The backoff cap is 1 s; the server asked for 3.
      expect(clock.nextDueIn).toBe(3000);
      await clock.advanceAsync(2999);
      expect(attempts).toBe(retried);
      await clock.advanceAsync(1);
      expect(attempts).toBe(retried + 1);

      // The cluster's own informers (on the real clock) meet it too and report it.
      await waitFor(async () => {
        const m = await simMetrics(sim);
        return KIND_NAMES.every(
          (k) =>
            requests(m, { verb: 'WATCH', resource: RESOURCE_OF[k], code: '429' }) >
            requests(m0, { verb: 'WATCH', resource: RESOURCE_OF[k], code: '429' }),
        );
      }, 'every informer met a 429 on watch');
      expect(errorsSince(mark)).toMatch(/HTTP 429 on watch/);
    } finally {
      sim.injectFaults({ reset: true });
      await reflector.stop();
    }
    await waitFor(allConnected, { message: 'every informer back after the 429 burst', timeoutMs: 20_000 });
  });

  it('converges to exactly the simulator state once the churn stops, and so does every hub consumer', async () => {
    // How much churn happened during the faults depends on the machine's speed; wait for
    // enough of it (30 changes a second) that the comparison below means something.
    await waitFor(() => mirror.events - eventsAtSync >= 500, {
      message: 'the mirror followed 500 changes after the sync',
      timeoutMs: 60_000,
    });
    stopBackgroundActivity(sim);
    const informers = cluster.informers!;
    await waitFor(() => converged(sim, informers), {
      message: 'every store equal to the simulator',
      timeoutMs: 20_000,
    });
    for (const kind of KIND_NAMES) {
      const expected = lines(simState(sim, kind));
      expect(expected.length).toBeGreaterThan(0);
      expect(lines(storeState(informers[kind]!))).toEqual(expected);
      expect(lines(mirror.state(kind))).toEqual(expected);
    }
    expect(mirror.violations).toEqual([]);
    expect(eventsAtSync).toBeGreaterThan(400);
    expect(mirror.events - eventsAtSync).toBeGreaterThanOrEqual(500);

    for (const s of statuses()) {
      expect(s.relists, `${s.kind} relists`).toBe(2);
      expect(s.watchRestarts, `${s.kind} watch restarts`).toBeGreaterThanOrEqual(5);
      expect(s.lastError, `${s.kind} lastError`).toBeTruthy();
      expect(s.lastErrorAt).toBeInstanceOf(Date);
      expect(s.synced && s.connected).toBe(true);
      expect(s.objects).toBe(simState(sim, s.kind).size);
    }
  });

  it('keeps the pod aggregates equal to a recomputation from scratch', () => {
    const pods = cluster.informers!.Pod!.store.list();
    const fresh = new PodAggregates();
    fresh.reset(pods);
    const live = cluster.aggregates;
    expect(live.totals()).toEqual(fresh.totals());
    expect(live.phaseCounts()).toEqual(fresh.phaseCounts());
    expect(live.nodeNames().sort()).toEqual(fresh.nodeNames().sort());
    for (const node of fresh.nodeNames()) expect(live.node(node)).toEqual(fresh.node(node));
    const jobs = new Set(cluster.informers!.Job!.store.keys());
    for (const pod of pods) {
      const job = jobNameOfPod(pod);
      if (job) jobs.add(keyOf(pod.metadata?.namespace, job));
    }
    expect(jobs.size).toBeGreaterThan(0);
    for (const key of jobs) {
      const [namespace, name] = key.split('/');
      expect(live.job(namespace, name), key).toEqual(fresh.job(namespace, name));
    }
    expect(fresh.totals().pods).toBe(pods.length);
  });
});
