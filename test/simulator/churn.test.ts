import { describe, expect, it } from 'vitest';
import { Churn, type ChurnAction } from '../../src/simulator/churn.js';
import { JobController, jobFinished } from '../../src/simulator/job-controller.js';
import { buildScenario, mulberry32 } from '../../src/simulator/scenario/index.js';
import { SimStore } from '../../src/simulator/store.js';
import type { KubeObject, ResourceName } from '../../src/simulator/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

type Json = Record<string, unknown>;

const NOW = new Date('2025-06-01T12:00:00Z');

/** A scenario with churn and a job controller; time moves a second per change. */
function setup(seed = 3, pods = 1500, churnSeed = seed) {
  const clock = new FakeClock();
  const now = () => new Date(NOW.getTime() + clock.now());
  const store = new SimStore({ now });
  buildScenario(store, { seed, nodes: 40, pods, jobs: 40, namespaces: 5, now: NOW });
  const churn = new Churn(store, { ratePerSecond: 100, seed: churnSeed, now });
  const controller = new JobController(store, { clock, stepMs: 1000, random: mulberry32(seed), now });
  controller.start();
  const tick = (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(1000);
      churn.tick(1);
    }
  };
  const stop = () => {
    churn.stop();
    controller.stop();
  };
  return { store, churn, tick, stop };
}

const snapshot = (store: SimStore) =>
  JSON.stringify((['nodes', 'pods', 'jobs'] as ResourceName[]).map((r) => [...store.scan(r)]));

const conditionsOf = (obj: KubeObject) => (obj.status?.conditions ?? []) as Json[];

function expectLegalPods(store: SimStore): void {
  const nodes = new Set([...store.scan('nodes')].map((n) => n.metadata.name));
  for (const pod of store.scan('pods')) {
    const status = pod.status as Json;
    const nodeName = pod.spec?.nodeName as string | undefined;
    expect(['Pending', 'Running', 'Succeeded', 'Failed']).toContain(status.phase);
    if (nodeName) expect(nodes.has(nodeName), `${pod.metadata.name} is on ${nodeName}`).toBe(true);
    if (status.phase === 'Pending' && !nodeName) {
      expect(conditionsOf(pod)).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'False' })]);
    }
    if (status.phase === 'Running') {
      expect(nodeName).toBeTruthy();
      expect(status.hostIP).toBeTruthy();
      expect(status.podIP).toBeTruthy();
      expect(
        (status.containerStatuses as Json[]).every(
          (c) => (c.state as Json).running || (c.state as Json).waiting,
        ),
      ).toBe(true);
    }
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      expect((status.containerStatuses as Json[]).every((c) => (c.state as Json).terminated)).toBe(true);
    }
  }
}

describe('Churn', () => {
  it('changes the store through watchable writes, a mix of kinds', () => {
    const { store, churn, tick, stop } = setup();
    const rv = store.resourceVersion;
    const events = { pods: 0, nodes: 0, jobs: 0 };
    for (const r of ['pods', 'nodes', 'jobs'] as const) store.subscribe(r, () => (events[r] += 1));
    const before = snapshot(store);
    tick(2000);
    expect(snapshot(store)).not.toBe(before);
    expect(store.resourceVersion - rv).toBeGreaterThanOrEqual(2000);
    expect(events.pods).toBeGreaterThan(300);
    expect(events.nodes).toBeGreaterThan(300);
    expect(events.jobs).toBeGreaterThan(10);
    const done = Object.entries(churn.stats)
      .filter(([, n]) => n > 0)
      .map(([a]) => a as ChurnAction);
    for (const action of [
      'start',
      'finish',
      'replace',
      'restart',
      'recover',
      'heartbeat',
      'nodeFlip',
      'nodeRecover',
      'jobStart',
      'jobCleanup',
    ] as const) {
      expect(done).toContain(action);
    }
    expect(Object.values(churn.stats).reduce((a, b) => a + b, 0)).toBe(2000);
    stop();
  });

  it('keeps pods legal and on existing nodes, and counts near the initial ones', () => {
    const { store, tick, stop } = setup();
    const initial = { pods: store.count('pods'), jobs: store.count('jobs'), nodes: store.count('nodes') };
    for (let round = 0; round < 4; round++) {
      tick(750);
      expectLegalPods(store);
    }
    expect(store.count('nodes')).toBe(initial.nodes);
    expect(Math.abs(store.count('pods') - initial.pods)).toBeLessThanOrEqual(initial.pods * 0.05);
    expect(Math.abs(store.count('jobs') - initial.jobs)).toBeLessThanOrEqual(initial.jobs * 0.1 + 2);
    stop();
  });

  it('replaces a finished pod as its controller would: same owner, new name and uid', () => {
    const { store, churn, tick, stop } = setup();
    const owners = new Map<string, string>();
    for (const pod of store.scan('pods'))
      owners.set(pod.metadata.uid!, pod.metadata.ownerReferences?.[0]?.uid ?? '');
    const deleted: KubeObject[] = [];
    const added: KubeObject[] = [];
    store.subscribe('pods', (e) =>
      (e.type === 'DELETED' ? deleted : e.type === 'ADDED' ? added : []).push(e.object),
    );
    tick(1500);
    expect(churn.stats.replace).toBeGreaterThan(0);
    const replacements = added.filter((p) => p.metadata.ownerReferences?.[0]?.kind !== 'Job');
    expect(replacements.length).toBe(churn.stats.replace);
    const deletedOwners = new Set(deleted.map((p) => p.metadata.ownerReferences?.[0]?.uid));
    for (const pod of replacements) {
      expect(owners.has(pod.metadata.uid!)).toBe(false);
      expect(deletedOwners.has(pod.metadata.ownerReferences![0].uid)).toBe(true);
      expect(pod.status?.phase).toBe('Pending');
    }
    stop();
  });

  it('brings back the nodes it takes down', () => {
    const { store, churn, tick, stop } = setup();
    const unready = () =>
      [...store.scan('nodes')].filter((n) =>
        conditionsOf(n).some((c) => c.type === 'Ready' && c.status !== 'True'),
      ).length;
    const initiallyUnready = unready();
    tick(4000);
    expect(churn.stats.nodeFlip).toBeGreaterThan(0);
    expect(churn.stats.nodeRecover).toBeGreaterThan(0);
    expect(unready() - initiallyUnready).toBe(churn.stats.nodeFlip - churn.stats.nodeRecover);
    expect(churn.stats.nodeFlip - churn.stats.nodeRecover).toBeLessThanOrEqual(3);
    stop();
  });

  it('is deterministic for a seed and a tick sequence', () => {
    const a = setup(9, 800);
    const b = setup(9, 800);
    const c = setup(9, 800, 10);
    expect(snapshot(a.store)).toBe(snapshot(c.store));
    for (const run of [a, b, c]) run.tick(1200);
    expect(snapshot(a.store)).toBe(snapshot(b.store));
    expect(a.churn.stats).toEqual(b.churn.stats);
    expect(snapshot(c.store)).not.toBe(snapshot(a.store));
    for (const run of [a, b, c]) run.stop();
  });

  it('runs at the configured rate once started, and stops', () => {
    const clock = new FakeClock();
    const store = new SimStore();
    buildScenario(store, { seed: 1, nodes: 10, pods: 300, jobs: 10, namespaces: 2, now: NOW });
    const churn = new Churn(store, { ratePerSecond: 25, seed: 1, clock });
    churn.start();
    clock.advance(2000);
    const total = () => Object.values(churn.stats).reduce((x, y) => x + y, 0);
    expect(total()).toBe(50);
    churn.stop();
    expect(clock.pending).toBe(0);
    clock.advance(2000);
    expect(total()).toBe(50);
  });

  it('creates jobs that the JobController runs, through the store only', () => {
    const clock = new FakeClock();
    const store = new SimStore();
    buildScenario(store, { seed: 2, nodes: 20, pods: 400, jobs: 10, namespaces: 3, now: NOW });
    const controller = new JobController(store, {
      clock,
      stepMs: 1000,
      random: mulberry32(2),
      failureRate: 0,
    });
    controller.start();
    const churn = new Churn(store, { ratePerSecond: 20, seed: 2, clock });
    const created: string[] = [];
    store.subscribe('jobs', (e) => {
      if (e.type === 'ADDED') created.push(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
    });
    churn.start();
    clock.advance(60_000);
    churn.stop();
    clock.advance(30_000);
    controller.stop();
    expect(created.length).toBeGreaterThan(0);
    const finished = created
      .map((key) => store.get('jobs', ...(key.split('/') as [string, string])))
      .filter((job): job is KubeObject => job !== undefined);
    expect(finished.length).toBeGreaterThan(0);
    for (const job of finished) {
      expect(jobFinished(job)).toBe('Complete');
      expect(job.status.succeeded).toBe(job.spec.completions);
    }
  });
});
