import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../../src/simulator/cli.js';
import { NodeLeaseController, slotOf, slotsIn } from '../../src/simulator/node-lease.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { eachKubectl, Kubectl, rows, startKubectlSimulator } from './kubectl-runner.js';
import { type AnyJson, getJson, simFetch, TABLE_ACCEPT, WatchStream } from './sim-kit.js';

const NS = 'kube-node-lease';
let sim: Simulator;
const watches: WatchStream[] = [];

beforeAll(async () => {
  sim = await startKubectlSimulator(
    { seed: 11, nodes: 4, pods: 20, jobs: 0, namespaces: 1 },
    {
      // The heartbeat is driven by hand below, on a fake clock.
      nodeLeaseRenewMs: 0,
    },
  );
});

afterAll(async () => {
  for (const w of watches) w.close();
  await sim?.close();
});

const nodes = () => [...sim.store.scan('nodes')];
const lease = (name: string) => sim.store.get('leases', NS, name) as AnyJson;

function setReady(name: string, status: 'True' | 'False') {
  sim.store.mutate('nodes', undefined, name, (node: KubeObject) => {
    for (const c of node.status.conditions) if (c.type === 'Ready') c.status = status;
    return node;
  });
}

describe('the scenario', () => {
  it('has kube-node-lease and one Lease per node, held by it, 40 s, owned by the Node', () => {
    expect(sim.store.get('namespaces', undefined, NS)?.status?.phase).toBe('Active');
    expect(sim.summary.namespaces).toContain(NS);
    expect(sim.store.count('leases')).toBe(nodes().length);
    expect(sim.summary.counts.leases).toBe(nodes().length);
    for (const node of nodes()) {
      const l = lease(node.metadata.name);
      expect(l).toMatchObject({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: node.metadata.name,
          namespace: NS,
          ownerReferences: [
            { apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid },
          ],
        },
        spec: { holderIdentity: node.metadata.name, leaseDurationSeconds: 40 },
      });
      expect(l.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
  });
});

describe('the heartbeat (fake clock)', () => {
  const T0 = Date.parse('2030-01-01T00:00:00Z');
  /** When `name` renews in the k-th interval after start: its own slot of ~100 ms in each. */
  const due = (name: string, k: number) =>
    new Date(T0 + (slotOf(name, 100) + 1) * 100 + k * 10_000).toISOString().replace('Z', '000Z');

  it('renews every Ready node every 10 s, each in its own slot, and a node that is not Ready stops renewing', () => {
    const clock = new FakeClock(T0);
    const controller = new NodeLeaseController(sim.store, { clock, now: () => new Date(clock.now()) });
    const [sick, ...healthy] = nodes().map((n) => n.metadata.name);
    for (const name of healthy) setReady(name, 'True');
    setReady(sick, 'False');
    const sickBefore = lease(sick).spec.renewTime;
    controller.start();
    // Every Ready node once in the first 10 s, at its own time; the first slot is 100 ms in.
    clock.advance(99);
    expect(controller.stats.renewed).toBe(0);
    clock.advance(10_000 - 99);
    expect(controller.stats.renewed).toBe(healthy.length);
    for (const name of healthy) expect(lease(name).spec.renewTime).toBe(due(name, 0));
    expect(lease(sick).spec.renewTime).toBe(sickBefore);
    clock.advance(10_000);
    for (const name of healthy) expect(lease(name).spec.renewTime).toBe(due(name, 1));
    expect(controller.stats.renewed).toBe(2 * healthy.length);
    // A node going NotReady stops renewing; back to Ready, it renews in its next slot.
    setReady(healthy[0], 'False');
    clock.advance(10_000);
    expect(lease(healthy[0]).spec.renewTime).toBe(due(healthy[0], 1));
    expect(lease(healthy[1]).spec.renewTime).toBe(due(healthy[1], 2));
    setReady(sick, 'True');
    clock.advance(10_000);
    expect(lease(sick).spec.renewTime).toBe(due(sick, 3));
    expect(lease(sick).spec.holderIdentity).toBe(sick);
    // A lease deleted under a Ready node comes back in its next slot.
    sim.store.delete('leases', NS, healthy[1]);
    clock.advance(10_000);
    expect(lease(healthy[1])).toMatchObject({
      spec: { holderIdentity: healthy[1], leaseDurationSeconds: 40, renewTime: due(healthy[1], 4) },
    });
    expect(controller.stats.created).toBe(1);
    // heartbeat(): every kubelet at once, now.
    const renewed = controller.stats.renewed;
    controller.heartbeat();
    expect(controller.stats.renewed).toBe(renewed + healthy.length);
    for (const name of [sick, ...healthy.slice(1)])
      expect(lease(name).spec.renewTime).toBe(new Date(clock.now()).toISOString().replace('Z', '000Z'));
    controller.stop();
    const after = lease(sick).spec.renewTime;
    clock.advance(60_000);
    expect(lease(sick).spec.renewTime).toBe(after);
    expect(clock.pending).toBe(0);
    setReady(healthy[0], 'True');
  });

  it('spreads a thousand nodes over the interval: about ten a slot, none empty-handed for long', () => {
    const names = Array.from({ length: 1_000 }, (_, i) => `node-${String(i).padStart(4, '0')}`);
    const perSlot = new Array<number>(slotsIn(10_000)).fill(0);
    for (const name of names) perSlot[slotOf(name, perSlot.length)] += 1;
    expect(perSlot.length).toBe(100);
    expect(Math.max(...perSlot)).toBeLessThanOrEqual(25);
    expect(perSlot.filter((n) => n === 0).length).toBeLessThanOrEqual(2);
    // A short interval keeps one slot: every node at each tick, as before.
    expect(slotsIn(50)).toBe(1);
    expect(slotsIn(149)).toBe(1);
  });
});

describe('the simulator wiring', () => {
  it('renews on its own timer (nodeLeaseRenewMs), stops on pauseActivity, and takes --node-lease-renew-ms', async () => {
    const live = await startSimulator({
      churnPerSecond: 0,
      jobStepMs: 3_600_000,
      nodeLeaseRenewMs: 50,
      scenario: { seed: 2, nodes: 2, pods: 4, jobs: 0, namespaces: 1 },
    });
    try {
      const ready = [...live.store.scan('nodes')].find((n) =>
        n.status.conditions.some((c: AnyJson) => c.type === 'Ready' && c.status === 'True'),
      )!;
      const renewed = () => live.store.get('leases', NS, ready.metadata.name)?.spec.renewTime;
      const before = renewed();
      await waitFor(() => renewed() !== before, "a renewal on the simulator's own timer");
      live.pauseActivity();
      const paused = renewed();
      await sleep(200);
      expect(renewed()).toBe(paused);
    } finally {
      await live.close();
    }
    expect(parseSimulatorArgs(['--node-lease-renew-ms', '0'])).toMatchObject({ nodeLeaseRenewMs: 0 });
    expect(parseSimulatorArgs([])).toMatchObject({ nodeLeaseRenewMs: undefined });
  });
});

describe('over HTTP', () => {
  it('discovers coordination.k8s.io/v1 leases', async () => {
    const groups = await getJson<AnyJson>(sim, '/apis');
    const coordination = { groupVersion: 'coordination.k8s.io/v1', version: 'v1' };
    expect(groups.groups).toContainEqual({
      name: 'coordination.k8s.io',
      versions: [coordination],
      preferredVersion: coordination,
    });
    expect(groups.groups.map((g: AnyJson) => g.name)).toContain('batch');
    expect(await getJson<AnyJson>(sim, '/apis/coordination.k8s.io')).toMatchObject({
      kind: 'APIGroup',
      name: 'coordination.k8s.io',
    });
    const list = await getJson<AnyJson>(sim, '/apis/coordination.k8s.io/v1');
    expect(list).toMatchObject({ kind: 'APIResourceList', groupVersion: 'coordination.k8s.io/v1' });
    expect(list.resources).toEqual([
      expect.objectContaining({
        name: 'leases',
        singularName: 'lease',
        namespaced: true,
        kind: 'Lease',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      }),
    ]);
  });

  it('lists, gets, watches, creates, updates, patches and deletes leases', async () => {
    const base = '/apis/coordination.k8s.io/v1';
    const all = await getJson<AnyJson>(sim, `${base}/leases`);
    expect(all.kind).toBe('LeaseList');
    expect(all.items).toHaveLength(nodes().length);
    const [first] = nodes();
    const got = await getJson<AnyJson>(sim, `${base}/namespaces/${NS}/leases/${first.metadata.name}`);
    expect(got.spec.holderIdentity).toBe(first.metadata.name);
    expect((await simFetch(sim, `/api/v1/namespaces/${NS}/leases`)).status).toBe(404);

    const w = await WatchStream.open(
      sim,
      `${base}/namespaces/default/leases?watch=true&resourceVersion=${all.metadata.resourceVersion}`,
    );
    watches.push(w);
    const created = await simFetch(sim, `${base}/namespaces/default/leases`, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'my-lock' },
        spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as AnyJson;
    body.spec.holderIdentity = 'b';
    const updated = await simFetch(sim, `${base}/namespaces/default/leases/my-lock`, {
      method: 'PUT',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(updated.status).toBe(200);
    const merged = await simFetch(sim, `${base}/namespaces/default/leases/my-lock`, {
      method: 'PATCH',
      body: JSON.stringify({ spec: { leaseTransitions: 1 } }),
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    expect(merged.status).toBe(200);
    const jsonPatched = await simFetch(sim, `${base}/namespaces/default/leases/my-lock`, {
      method: 'PATCH',
      body: JSON.stringify([
        { op: 'test', path: '/spec/holderIdentity', value: 'b' },
        { op: 'replace', path: '/spec/holderIdentity', value: 'c' },
      ]),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    expect(jsonPatched.status).toBe(200);
    expect(sim.store.get('leases', 'default', 'my-lock')?.spec).toEqual({
      holderIdentity: 'c',
      leaseDurationSeconds: 15,
      leaseTransitions: 1,
    });
    expect(
      (await simFetch(sim, `${base}/namespaces/default/leases/my-lock`, { method: 'DELETE' })).status,
    ).toBe(200);
    const events = await w.take(5);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    expect(events.every((e) => (e.object as AnyJson).kind === 'Lease')).toBe(true);
  });

  it('prints leases as a Table: Name, Holder, Age', async () => {
    const table = await getJson<AnyJson>(sim, `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, {
      headers: { accept: TABLE_ACCEPT },
    });
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: AnyJson) => c.name)).toEqual(['Name', 'Holder', 'Age']);
    expect(table.rows.map((r: AnyJson) => r.cells.slice(0, 2))).toEqual(
      nodes().map((n) => [n.metadata.name, n.metadata.name]),
    );
  });

  it('deletes a node lease with its node (the garbage collector follows the ownerReference)', async () => {
    const node = sim.store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gc-node' } });
    sim.store.create('leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'gc-node',
        namespace: NS,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'gc-node', uid: node.metadata.uid! }],
      },
      spec: { holderIdentity: 'gc-node', leaseDurationSeconds: 40 },
    });
    expect((await simFetch(sim, '/api/v1/nodes/gc-node', { method: 'DELETE' })).status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(sim.store.get('leases', NS, 'gc-node')).toBeUndefined();
  });
});

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label}${skipped}`, () => {
    let kubectl: Kubectl;
    beforeAll(() => {
      kubectl = new Kubectl(sim.kubeconfig(), binary);
    });
    afterAll(() => kubectl?.cleanup());

    it('get leases -n kube-node-lease shows NAME, HOLDER, AGE', async () => {
      const out = rows(await kubectl.ok(['get', 'leases', '-n', NS]));
      expect(out[0]).toEqual(['NAME', 'HOLDER', 'AGE']);
      expect(out.slice(1).map((r) => r.slice(0, 2))).toEqual(
        nodes().map((n) => [n.metadata.name, n.metadata.name]),
      );
    });

    it('describe node shows the Lease with HolderIdentity and RenewTime', async () => {
      const [node] = nodes();
      const name = node.metadata.name;
      const out = await kubectl.ok(['describe', 'node', name]);
      const renew = new Date(lease(name).spec.renewTime).toUTCString().replace('GMT', '+0000');
      const section = out.slice(out.indexOf('Lease:'), out.indexOf('Conditions:'));
      expect(section.split('\n').map((line) => line.trim().split(/:\s+/))).toEqual([
        ['Lease:'],
        ['HolderIdentity', name],
        ['AcquireTime', '<unset>'],
        ['RenewTime', renew],
        [''],
      ]);
      expect(out).not.toContain('Failed to get lease');
    });
  });
}
