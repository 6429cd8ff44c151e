/**
 * Events as a cluster writes them, through HTTPS, kubectl and a watch, on a fake clock:
 * a repeat (same object, reason, message, source) raises `count` and moves
 * `lastTimestamp` of one Event instead of writing another; nodes report NodeNotReady and
 * NodeReady; events expire after the TTL (`eventTtlSeconds`, `--event-ttl` as
 * kube-apiserver takes it), a write renewing it, deleted through the store so a watch
 * sees DELETED, while the scenario's own events stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSimulatorArgs, UsageError } from '../../src/simulator/cli.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Kubectl, requireKubectl } from './kubectl-runner.js';
import { type AnyJson, getJson, WatchStream } from './sim-kit.js';

let sim: Simulator;
let kubectl: Kubectl;
const clock = new FakeClock();
const TTL = 600;

beforeAll(async () => {
  await requireKubectl();
  sim = await startSimulator({
    clock,
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    nodeLeaseRenewMs: 0,
    eventTtlSeconds: TTL,
    scenario: { seed: 4, nodes: 6, pods: 40, jobs: 0, namespaces: 1 },
  });
  kubectl = new Kubectl(sim.kubeconfig());
  scenarioEvents = eventUids();
});

let scenarioEvents: Set<string>;

function eventUids(): Set<string> {
  return new Set([...sim.store.scan('events')].map((e) => e.metadata.uid!));
}

afterAll(async () => {
  kubectl?.cleanup();
  await sim?.close();
});

async function createPod(name: string, cpu: string): Promise<void> {
  await getJson(sim, '/api/v1/namespaces/default/pods', {
    method: 'POST',
    body: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu } } }] },
    }),
    headers: { 'content-type': 'application/json' },
    expect: 201,
  });
  clock.advance(0);
}

async function eventsOf(name: string): Promise<AnyJson[]> {
  const out = await kubectl.ok([
    'get',
    'events',
    '-n',
    'default',
    '--field-selector',
    `involvedObject.name=${name}`,
    '-o',
    'json',
  ]);
  return JSON.parse(out).items;
}

describe('event aggregation', () => {
  it('counts a repeat in the first event instead of writing another', async () => {
    await createPod('stuck', '500');
    const [first] = await eventsOf('stuck');
    expect(first).toMatchObject({ reason: 'FailedScheduling', count: 1, type: 'Warning' });
    // A node changes (a label): the scheduler tries again and fails the same way, twice.
    const worker = [...sim.store.scan('nodes')].find(
      (n) => !(n.spec?.taints as AnyJson[] | undefined)?.length,
    )!;
    await kubectl.ok(['label', 'node', worker.metadata.name, 'acme.io/pool=a']);
    clock.advance(0);
    await kubectl.ok(['label', 'node', worker.metadata.name, 'acme.io/pool=b', '--overwrite']);
    clock.advance(0);
    const events = await eventsOf('stuck');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      metadata: { name: first.metadata.name, uid: first.metadata.uid },
      reason: 'FailedScheduling',
      message: first.message,
      count: 3,
      firstTimestamp: first.firstTimestamp,
    });
    expect(Date.parse(events[0].lastTimestamp)).toBeGreaterThanOrEqual(Date.parse(first.lastTimestamp));
    const described = await kubectl.ok(['describe', 'pod', 'stuck']);
    expect(described).toMatch(/Warning\s+FailedScheduling\s+\S+( \(x3 over \S+\))?\s+default-scheduler/);
  });
});

describe('node events', () => {
  it('NodeNotReady from the node controller when Ready leaves True, NodeReady when it returns', async () => {
    const node = [...sim.store.scan('nodes')].find(
      (n) => !(n.spec?.taints as AnyJson[] | undefined)?.length,
    )!;
    const name = node.metadata.name;
    const setReady = (status: string) =>
      sim.store.mutate('nodes', undefined, name, (n) => {
        for (const c of (n.status?.conditions ?? []) as AnyJson[]) if (c.type === 'Ready') c.status = status;
        return n;
      });
    setReady('Unknown');
    clock.advance(0);
    setReady('True');
    clock.advance(0);
    const events = await eventsOf(name);
    expect(events.map((e) => [e.reason, e.source.component, e.message])).toEqual([
      ['NodeNotReady', 'node-controller', `Node ${name} status is now: NodeNotReady`],
      ['NodeReady', 'kubelet', `Node ${name} status is now: NodeReady`],
    ]);
    expect(events[0].involvedObject).toMatchObject({ kind: 'Node', name });
  });
});

describe('event TTL', () => {
  it('deletes events written while running once they are older than the TTL, a watch seeing DELETED', async () => {
    const rv = sim.store.resourceVersion;
    const watch = await WatchStream.open(sim, `/api/v1/events?watch=true&resourceVersion=${rv}`);
    try {
      await createPod('short-lived', '100m');
      clock.advance(5000);
      const written = (await eventsOf('short-lived')).map((e) => e.metadata.name).sort();
      expect(written.length).toBeGreaterThanOrEqual(4);
      // Halfway, one of them is written again (aggregated): that one lives on.
      clock.advance((TTL / 2) * 1000);
      const stuckBefore = (await eventsOf('stuck'))[0];
      const worker = [...sim.store.scan('nodes')].find(
        (n) => !(n.spec?.taints as AnyJson[] | undefined)?.length,
      )!;
      await kubectl.ok(['label', 'node', worker.metadata.name, 'acme.io/pool=c', '--overwrite']);
      clock.advance(0);
      clock.advance((TTL / 2) * 1000);
      expect(await eventsOf('short-lived')).toEqual([]);
      const stuck = await eventsOf('stuck');
      expect(stuck.map((e) => [e.metadata.uid, e.count])).toEqual([
        [stuckBefore.metadata.uid, stuckBefore.count + 1],
      ]);
      const deleted = await watch.until(
        () =>
          written.every((n) =>
            watch.events.some((e) => e.type === 'DELETED' && e.object.metadata.name === n),
          ),
        10_000,
      );
      expect(deleted.length).toBeGreaterThan(0);
      // The renewed one goes a TTL after its last write.
      clock.advance((TTL / 2) * 1000 + 1000);
      expect(await eventsOf('stuck')).toEqual([]);
      // The scenario's events are history from before the simulator started: kept.
      expect(scenarioEvents.size).toBeGreaterThan(0);
      for (const uid of scenarioEvents) expect(eventUids().has(uid)).toBe(true);
    } finally {
      watch.close();
    }
  });

  it('is set with --event-ttl as kube-apiserver takes it, and refuses what is not a duration', () => {
    const ttl = (value: string) => (parseSimulatorArgs(['--event-ttl', value]) as AnyJson).eventTtlSeconds;
    expect(ttl('1h')).toBe(3600);
    expect(ttl('1h30m')).toBe(5400);
    expect(ttl('90s')).toBe(90);
    expect(ttl('1.5h')).toBe(5400);
    expect((parseSimulatorArgs([]) as AnyJson).eventTtlSeconds).toBeUndefined();
    for (const bad of ['1', 'h', '0s', '1d', '-1h', '']) {
      expect(() => parseSimulatorArgs(['--event-ttl', bad])).toThrow(UsageError);
    }
    expect(() => parseSimulatorArgs(['--event-ttl', '1d'])).toThrow(
      '--event-ttl: expected a duration > 0 such as 1h, 30m or 90s, received "1d"',
    );
  });
});

describe('the churn’s crash loops', () => {
  it('write the kubelet’s BackOff event for the container that crashed', async () => {
    const churnClock = new FakeClock();
    const churning = await startSimulator({
      clock: churnClock,
      churnPerSecond: 100,
      jobStepMs: 1000,
      nodeLeaseRenewMs: 0,
      scenario: { seed: 9, nodes: 6, pods: 200, jobs: 2, namespaces: 2 },
    });
    try {
      const before = new Set([...churning.store.scan('events')].map((e) => e.metadata.uid));
      for (let i = 0; i < 300; i++) churnClock.advance(100);
      const backOffs = [...churning.store.scan('events')].filter(
        (e: AnyJson) => !before.has(e.metadata.uid) && e.reason === 'BackOff',
      ) as AnyJson[];
      expect(backOffs.length).toBeGreaterThan(0);
      for (const e of backOffs) {
        const container = /^spec\.containers\{(.+)\}$/.exec(e.involvedObject.fieldPath)![1];
        expect(e).toMatchObject({ type: 'Warning', source: { component: 'kubelet' } });
        expect(e.message).toBe(
          `Back-off restarting failed container ${container} in pod ${e.involvedObject.name}_${e.involvedObject.namespace}(${e.involvedObject.uid})`,
        );
      }
    } finally {
      await churning.close();
    }
  });
});
