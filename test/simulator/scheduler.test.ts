/**
 * The simulator's scheduler through HTTPS and the real kubectl, on a fake clock: a pod too
 * big for any node stays Pending with the real scheduler's FailedScheduling message; cordon
 * and taints keep pods off nodes until uncordoned or tolerated; nodeSelector is honoured;
 * pods go only where their requests fit and a waiting pod is bound once room is freed.
 * Then the invariants over a long churn run (thousands of churn steps, jobs and API pods on
 * the same clock): no node's summed requests ever exceed its allocatable, and every pod
 * created through the API ends Running or Succeeded or says why with an event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullMs } from '../../src/simulator/pod-runtime.js';
import { podRequest, quantityValue } from '../../src/simulator/resources.js';
import { buildScenario } from '../../src/simulator/scenario/index.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { SimStore } from '../../src/simulator/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Kubectl, requireKubectl, rows } from './kubectl-runner.js';
import { type AnyJson, getJson } from './sim-kit.js';

/** Per node, what its bound unfinished pods request against its allocatable, summed from scratch. */
function overcommitted(store: SimStore): string[] {
  const used = new Map<string, { cpu: number; memory: number; pods: number }>();
  for (const pod of store.scan('pods')) {
    const node = pod.spec?.nodeName as string | undefined;
    const phase = pod.status?.phase;
    if (!node || phase === 'Succeeded' || phase === 'Failed') continue;
    const r = podRequest(pod.spec as AnyJson);
    const u = used.get(node) ?? { cpu: 0, memory: 0, pods: 0 };
    used.set(node, { cpu: u.cpu + r.milliCpu, memory: u.memory + r.memory, pods: u.pods + 1 });
  }
  const out: string[] = [];
  for (const [name, u] of used) {
    const allocatable = (store.get('nodes', undefined, name)?.status?.allocatable ?? {}) as AnyJson;
    const cpu = Math.round(quantityValue(allocatable.cpu) * 1000);
    const memory = quantityValue(allocatable.memory);
    const pods = quantityValue(allocatable.pods);
    if (u.cpu > cpu || u.memory > memory || u.pods > pods) {
      out.push(`${name}: ${u.cpu}m/${cpu}m cpu, ${u.memory}/${memory} memory, ${u.pods}/${pods} pods`);
    }
  }
  return out;
}

describe('the scenario', () => {
  it('places its pods within every node allocatable, at every size', () => {
    for (const [nodes, pods] of [
      [6, 120],
      [3, 150],
      [50, 5000],
      [250, 20_000],
    ]) {
      const store = new SimStore();
      const summary = buildScenario(store, { seed: 1, nodes, pods, jobs: 12, namespaces: 4 });
      expect(summary.counts.pods).toBe(pods);
      expect(overcommitted(store), `${nodes} nodes, ${pods} pods`).toEqual([]);
    }
  });
});

describe('scheduling through the API and kubectl', () => {
  let sim: Simulator;
  let kubectl: Kubectl;
  const clock = new FakeClock();
  let workers: string[];

  beforeAll(async () => {
    await requireKubectl();
    sim = await startSimulator({
      clock,
      churnPerSecond: 0,
      jobStepMs: 3_600_000,
      nodeLeaseRenewMs: 0,
      scenario: { seed: 8, nodes: 6, pods: 40, jobs: 0, namespaces: 1 },
    });
    kubectl = new Kubectl(sim.kubeconfig());
    workers = [...sim.store.scan('nodes')]
      .filter((n) => !(n.spec?.taints as AnyJson[] | undefined)?.length)
      .map((n) => n.metadata.name)
      .sort();
    expect(workers).toHaveLength(3);
  });

  afterAll(async () => {
    kubectl?.cleanup();
    await sim?.close();
  });

  function pod(name: string): AnyJson {
    return sim.store.get('pods', 'default', name);
  }

  function lastEvent(name: string, reason: string): AnyJson {
    return [...sim.store.scan('events', { namespace: 'default' })]
      .filter((e: AnyJson) => e.involvedObject.name === name && e.reason === reason)
      .at(-1);
  }

  async function create(name: string, spec: AnyJson): Promise<void> {
    await getJson(sim, '/api/v1/namespaces/default/pods', {
      method: 'POST',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec }),
      headers: { 'content-type': 'application/json' },
      expect: 201,
    });
    clock.advance(0);
  }

  const container = (cpu = '100m') => ({
    name: 'app',
    image: 'nginx:1.27',
    resources: { requests: { cpu, memory: '64Mi' } },
  });

  it('leaves a pod too big for any node Pending, with the scheduler’s FailedScheduling message', async () => {
    await create('huge', { containers: [container('1000')] });
    const message =
      '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. ' +
      'preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.';
    expect(pod('huge').spec.nodeName).toBeUndefined();
    expect(pod('huge').status.conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }),
    ]);
    expect(lastEvent('huge', 'FailedScheduling')).toMatchObject({
      type: 'Warning',
      message,
      source: { component: 'default-scheduler' },
    });
    expect(rows(await kubectl.ok(['get', 'pod', 'huge']))[1].slice(1, 3)).toEqual(['0/1', 'Pending']);
    const described = await kubectl.ok(['describe', 'pod', 'huge']);
    expect(described).toMatch(/Warning\s+FailedScheduling\s/);
    expect(described.replace(/\s+/g, ' ')).toContain('3 Insufficient cpu');
    await kubectl.ok(['delete', 'pod', 'huge', '--grace-period=0', '--force']);
  });

  it('keeps pods off cordoned nodes until they are uncordoned, with the nodes’ events', async () => {
    for (const node of workers) await kubectl.ok(['cordon', node]);
    clock.advance(0);
    await create('waits', { containers: [container()] });
    expect(pod('waits').spec.nodeName).toBeUndefined();
    expect(lastEvent('waits', 'FailedScheduling').message).toBe(
      '0/6 nodes are available: 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) were unschedulable. ' +
        'preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.',
    );
    const nodeEvents = await kubectl.ok([
      'get',
      'events',
      '-n',
      'default',
      '--field-selector',
      'involvedObject.kind=Node,reason=NodeNotSchedulable',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    for (const node of workers)
      expect(nodeEvents).toContain(`Node ${node} status is now: NodeNotSchedulable`);

    await kubectl.ok(['uncordon', workers[1]]);
    clock.advance(0);
    expect(pod('waits').spec.nodeName).toBe(workers[1]);
    expect(lastEvent('waits', 'Scheduled').message).toBe(
      `Successfully assigned default/waits to ${workers[1]}`,
    );
    for (const node of [workers[0], workers[2]]) await kubectl.ok(['uncordon', node]);
    clock.advance(0);
  });

  it('respects taints, and tolerations of them', async () => {
    for (const node of workers) await kubectl.ok(['taint', 'nodes', node, 'dedicated=gpu:NoSchedule']);
    await create('plain', { containers: [container()] });
    expect(pod('plain').spec.nodeName).toBeUndefined();
    expect(lastEvent('plain', 'FailedScheduling').message).toContain(
      '3 node(s) had untolerated taint {dedicated: gpu}',
    );
    await create('tolerant', {
      containers: [container()],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    });
    expect(workers).toContain(pod('tolerant').spec.nodeName);
    for (const node of workers) await kubectl.ok(['taint', 'nodes', node, 'dedicated=gpu:NoSchedule-']);
    clock.advance(0);
    expect(workers).toContain(pod('plain').spec.nodeName);
  });

  it('honours nodeSelector and required node affinity', async () => {
    await create('pinned', {
      containers: [container()],
      nodeSelector: { 'kubernetes.io/hostname': workers[2] },
    });
    expect(pod('pinned').spec.nodeName).toBe(workers[2]);
    await create('nowhere', {
      containers: [container()],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'acme.io/pool', operator: 'In', values: ['gpu'] }] },
            ],
          },
        },
      },
    });
    expect(lastEvent('nowhere', 'FailedScheduling').message).toContain(
      "3 node(s) didn't match Pod's node affinity/selector",
    );
  });

  it('binds only where requests fit, and binds a waiting pod once a pod frees room', async () => {
    // Two-core pods until the workers are full.
    let n = 0;
    while (n < 200) {
      await create(`fill-${n}`, { containers: [container('2')] });
      if (!pod(`fill-${n}`).spec.nodeName) break;
      n += 1;
    }
    expect(n).toBeGreaterThan(3);
    expect(n).toBeLessThan(200);
    const waiting = `fill-${n}`;
    expect(lastEvent(waiting, 'FailedScheduling').message).toMatch(
      /^0\/6 nodes are available: 3 Insufficient cpu, /,
    );
    expect(overcommitted(sim.store)).toEqual([]);
    // A pod on the node with the least room left goes: the waiting one takes its place.
    const freed = pod('fill-0').spec.nodeName;
    await kubectl.ok(['delete', 'pod', 'fill-0', '--grace-period=0', '--force']);
    clock.advance(0);
    expect(pod(waiting).spec.nodeName).toBeUndefined();
    // Tried again after the scheduler's backoff of a second.
    clock.advance(1000);
    expect(pod(waiting).spec.nodeName).toBe(freed);
    clock.advance(pullMs(pod(waiting)));
    expect(pod(waiting).status.phase).toBe('Running');
    expect(overcommitted(sim.store)).toEqual([]);
  });
});

describe('a long churn run on the fake clock', () => {
  it('never overcommits a node, and every API pod runs, completes or says why not', async () => {
    const clock = new FakeClock();
    const sim = await startSimulator({
      clock,
      churnPerSecond: 200,
      jobStepMs: 1000,
      nodeLeaseRenewMs: 0,
      scenario: { seed: 3, nodes: 12, pods: 1500, jobs: 20, namespaces: 3 },
    });
    try {
      const created: string[] = [];
      const violations: string[] = [];
      const sizes = ['100m', '500m', '2', '8', '200'];
      for (let round = 0; round < 60; round++) {
        // Five API pods a second: small ones, big ones, one too big for any node.
        for (let k = 0; k < 5; k++) {
          const name = `api-${round}-${k}`;
          await getJson(sim, '/api/v1/namespaces/default/pods', {
            method: 'POST',
            body: JSON.stringify({
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name },
              spec: {
                restartPolicy: k % 2 ? 'Never' : 'Always',
                containers: [
                  { name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: sizes[k] } } },
                ],
              },
            }),
            headers: { 'content-type': 'application/json' },
            expect: 201,
          });
          created.push(name);
        }
        for (let t = 0; t < 10; t++) {
          clock.advance(100);
          if (t % 5 === 0) violations.push(...overcommitted(sim.store));
        }
      }
      // Let the last ones start and finish.
      clock.advance(20_000);
      violations.push(...overcommitted(sim.store));
      expect(violations).toEqual([]);
      expect(sim.churnStats.schedule + sim.churnStats.replace).toBeGreaterThan(100);
      expect(Object.values(sim.churnStats).reduce((a, b) => a + b, 0)).toBeGreaterThan(10_000);

      const explained = new Set(
        [...sim.store.scan('events', { namespace: 'default' })]
          .filter((e: AnyJson) => e.reason === 'FailedScheduling' || e.reason === 'BackOff')
          .map((e: AnyJson) => e.involvedObject.name),
      );
      const unexplained = created.filter((name) => {
        const p = sim.store.get('pods', 'default', name);
        const phase = p?.status?.phase;
        return phase !== 'Running' && phase !== 'Succeeded' && !explained.has(name);
      });
      expect(unexplained).toEqual([]);
      const phases = created.map((name) => sim.store.get('pods', 'default', name)?.status?.phase);
      expect(phases.filter((p) => p === 'Running').length).toBeGreaterThan(30);
      expect(phases.filter((p) => p === 'Succeeded').length).toBeGreaterThanOrEqual(20);
      expect(phases.filter((p) => p === 'Pending').length).toBeGreaterThanOrEqual(60);
    } finally {
      await sim.close();
    }
  }, 120_000);
});
