/**
 * The sync gate (src/kube/sync-gate.ts) and what the registry does with it: slots in FIFO
 * order, a waiter that gives up leaves the queue, and a cluster whose initial LIST fails
 * gives its slot back so that a healthy one behind it syncs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/kube/event-hub.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { SyncGate } from '../../src/kube/sync-gate.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';

describe('SyncGate', () => {
  it('grants up to its limit, then in arrival order as slots are released', async () => {
    const gate = new SyncGate(2);
    const a = await gate.acquire();
    const b = await gate.acquire();
    const order: string[] = [];
    const c = gate.acquire().then((r) => {
      order.push('c');
      return r;
    });
    const d = gate.acquire().then((r) => {
      order.push('d');
      return r;
    });
    await Promise.resolve();
    expect(gate.stats).toEqual({ syncing: 2, waiting: 2 });
    a!();
    a!(); // idempotent: one release frees one slot
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(gate.stats).toEqual({ syncing: 2, waiting: 1 });
    b!();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC!();
    releaseD!();
    expect(gate.stats).toEqual({ syncing: 0, waiting: 0 });
  });

  it('lets a waiter leave the queue when its signal aborts, without taking a slot', async () => {
    const gate = new SyncGate(1);
    const held = await gate.acquire();
    const abort = new AbortController();
    const waiting = gate.acquire(abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
    expect(gate.stats).toEqual({ syncing: 1, waiting: 0 });
    held!();
    expect(gate.stats).toEqual({ syncing: 0, waiting: 0 });
    expect(await gate.acquire(abort.signal)).toBeUndefined();
    expect(() => new SyncGate(0)).toThrow(/limit/);
  });
});

describe('a registry syncing one cluster at a time', () => {
  const sims: Simulator[] = [];
  let registry: ClusterRegistry | undefined;
  afterAll(async () => {
    await registry?.stop();
    await Promise.all(sims.map((s) => s.close()));
  });

  it('does not let a cluster whose LISTs fail hold the slot: the next one syncs', async () => {
    const small = { nodes: 2, pods: 6, jobs: 1, namespaces: 1 };
    const down = await startSimulator({ churnPerSecond: 0, scenario: small });
    const healthy = await startSimulator({ churnPerSecond: 0, scenario: { ...small, seed: 2 } });
    sims.push(down, healthy);
    down.injectFaults({ errorRate: 1, errorCode: 500, verbs: ['LIST'] });
    const errors: string[] = [];
    registry = new ClusterRegistry({
      hub: new EventHub(),
      sources: [
        { type: 'kubeconfig-text', text: down.kubeconfig({ context: 'down' }), label: 'down' },
        { type: 'kubeconfig-text', text: healthy.kubeconfig({ context: 'healthy' }), label: 'healthy' },
      ],
      defaults: { cache: true, identities: false },
      reflector: { backoff: { initialMs: 50, maxMs: 200 } },
      concurrentSyncs: 1,
      onError: (cluster) => errors.push(cluster),
    });
    registry.start();
    expect(await registry.get('healthy')!.waitForSync(15_000)).toBe(true);
    expect(registry.get('down')!.ready).toBe(false);
    expect(errors).toContain('down');
    // Once the faults end, the failed cluster syncs on its own backoff.
    down.injectFaults({ reset: true });
    expect(await registry.get('down')!.waitForSync(15_000)).toBe(true);
  });
});
