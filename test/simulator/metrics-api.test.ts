/**
 * metrics.k8s.io/v1beta1 over HTTPS, as metrics-server serves it: the wire format of every
 * path, selectors, Table output, discovery, RBAC, the request counters and faults; and the
 * usage model's promises — deterministic for a clock, changing exactly at the resolution
 * boundary, a node being the sum of its pods plus its overhead, some containers above their
 * requests and some close to their memory limits. Time is a FakeClock, moved, never waited for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goDuration } from '../../src/simulator/metrics-api.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import {
  containerUsage,
  formatCpu,
  formatMemory,
  memoryClassOf,
  resourcesOf,
  systemOverhead,
} from '../../src/simulator/usage-model.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { RbacKit } from './rbac-kit.js';
import { type AnyJson, getJson, metric, scrape, simFetch, TABLE_ACCEPT } from './sim-kit.js';

const M = '/apis/metrics.k8s.io/v1beta1';
/** A multiple of 15 s, so the test starts at a bucket's first millisecond. */
const T0 = Date.parse('2030-01-01T00:00:00Z');

let clock: FakeClock;
let sim: Simulator;

function start(options: Parameters<typeof startSimulator>[0] = {}) {
  return startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    nodeLeaseRenewMs: 0,
    scenario: { now: new Date(T0) },
    ...options,
  });
}

beforeAll(async () => {
  clock = new FakeClock(T0);
  sim = await start({ clock });
});
afterAll(() => sim.close());

const CPU = /^(\d+n|\d+u|\d+m|\d+)$/;
const MEMORY = /^\d+(Ki|Mi|Gi)?$/;

function cpuNanos(q: string): number {
  const m = /^(\d+)(n|u|m|)$/.exec(q);
  if (!m) throw new Error(`not a CPU quantity: ${q}`);
  return Number(m[1]) * { n: 1, u: 1e3, m: 1e6, '': 1e9 }[m[2] as 'n']!;
}

function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|)$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  return Number(m[1]) * { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, '': 1 }[m[2] as 'Ki']!;
}

async function pods(): Promise<AnyJson[]> {
  return (await getJson<AnyJson>(sim, '/api/v1/pods')).items;
}

describe('the wire format, as metrics-server writes it', () => {
  it('lists NodeMetrics without a resourceVersion, each with the node metadata, timestamp, window and usage', async () => {
    const list = await getJson<AnyJson>(sim, `${M}/nodes`);
    expect(Object.keys(list)).toEqual(['kind', 'apiVersion', 'metadata', 'items']);
    expect(list).toMatchObject({
      kind: 'NodeMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
    });
    expect(list.metadata.resourceVersion).toBeUndefined();
    const nodes = (await getJson<AnyJson>(sim, '/api/v1/nodes')).items;
    const ready = nodes.filter((n: AnyJson) =>
      n.status.conditions.some((c: AnyJson) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(list.items.map((i: AnyJson) => i.metadata.name)).toEqual(
      ready.map((n: AnyJson) => n.metadata.name),
    );
    const item = list.items[0];
    expect(Object.keys(item)).toEqual(['metadata', 'timestamp', 'window', 'usage']);
    expect(item.metadata).toEqual({
      name: ready[0].metadata.name,
      creationTimestamp: '2030-01-01T00:00:00Z',
      labels: ready[0].metadata.labels,
    });
    expect(item.timestamp).toBe('2030-01-01T00:00:00Z');
    expect(item.window).toBe('15s');
    expect(item.usage.cpu).toMatch(CPU);
    expect(item.usage.memory).toMatch(MEMORY);

    const one = await getJson<AnyJson>(sim, `${M}/nodes/${item.metadata.name}`);
    expect(one).toEqual({ kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...item });
  });

  it('lists PodMetrics of Running pods only, with their running containers, in all namespaces or one', async () => {
    const all = await getJson<AnyJson>(sim, `${M}/pods`);
    expect(all).toMatchObject({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {} });
    const byKey = new Map((await pods()).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    const running = [...byKey.values()].filter((p) => p.status.phase === 'Running');
    expect(all.items.length).toBeGreaterThan(running.length * 0.9);
    for (const item of all.items) {
      const pod = byKey.get(`${item.metadata.namespace}/${item.metadata.name}`);
      expect(pod.status.phase).toBe('Running');
      const runningNames = pod.status.containerStatuses
        .filter((s: AnyJson) => s.state.running)
        .map((s: AnyJson) => s.name);
      expect(item.containers.map((c: AnyJson) => c.name)).toEqual(
        pod.spec.containers.map((c: AnyJson) => c.name).filter((n: string) => runningNames.includes(n)),
      );
      for (const c of item.containers) {
        expect(c.usage.cpu).toMatch(CPU);
        expect(c.usage.memory).toMatch(MEMORY);
      }
    }
    const item = all.items[0];
    expect(Object.keys(item)).toEqual(['metadata', 'timestamp', 'window', 'containers']);
    expect(Object.keys(item.metadata)).toEqual(['name', 'namespace', 'creationTimestamp', 'labels']);

    const namespace = item.metadata.namespace;
    const inNamespace = await getJson<AnyJson>(sim, `${M}/namespaces/${namespace}/pods`);
    expect(inNamespace.items).toEqual(all.items.filter((i: AnyJson) => i.metadata.namespace === namespace));
    const one = await getJson<AnyJson>(sim, `${M}/namespaces/${namespace}/pods/${item.metadata.name}`);
    expect(one).toEqual({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...item });
  });

  it('answers 404 as metrics-server for a pod without metrics and an unknown node', async () => {
    const pending = (await pods()).find((p) => p.status.phase !== 'Running')!;
    const { namespace, name } = pending.metadata;
    const res = await simFetch(sim, `${M}/namespaces/${namespace}/pods/${name}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: `podmetrics.metrics.k8s.io "${namespace}/${name}" not found`,
      code: 404,
    });
    const node = await simFetch(sim, `${M}/nodes/no-such-node`);
    expect(node.status).toBe(404);
    expect(((await node.json()) as AnyJson).message).toBe(
      'nodemetrics.metrics.k8s.io "no-such-node" not found',
    );
  });

  it('applies label selectors, and field selectors on metadata.name and metadata.namespace', async () => {
    const all = (await getJson<AnyJson>(sim, `${M}/pods`)).items;
    const labelled = all.find((i: AnyJson) => i.metadata.labels?.app);
    const app = labelled.metadata.labels.app;
    const selected = await getJson<AnyJson>(
      sim,
      `${M}/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`,
    );
    expect(selected.items.length).toBeGreaterThan(0);
    expect(selected.items).toEqual(all.filter((i: AnyJson) => i.metadata.labels?.app === app));

    const byName = await getJson<AnyJson>(
      sim,
      `${M}/pods?fieldSelector=${encodeURIComponent(`metadata.name=${labelled.metadata.name}`)}`,
    );
    expect(byName.items.map((i: AnyJson) => i.metadata.name)).toEqual([labelled.metadata.name]);
    const notNs = await getJson<AnyJson>(sim, `${M}/pods?fieldSelector=metadata.namespace!%3Dkube-system`);
    expect(notNs.items.length).toBe(
      all.filter((i: AnyJson) => i.metadata.namespace !== 'kube-system').length,
    );

    const zone = await getJson<AnyJson>(
      sim,
      `${M}/nodes?labelSelector=${encodeURIComponent('topology.kubernetes.io/zone=eu-west-1a')}`,
    );
    expect(zone.items.length).toBeGreaterThan(0);
    for (const n of zone.items) expect(n.metadata.labels['topology.kubernetes.io/zone']).toBe('eu-west-1a');

    const bad = await simFetch(sim, `${M}/pods?labelSelector=${encodeURIComponent('a in (')}`);
    expect(bad.status).toBe(400);
  });

  it('refuses watch and writes with MethodNotAllowed: the resources are get and list only', async () => {
    const watch = await simFetch(sim, `${M}/pods?watch=true`);
    expect(watch.status).toBe(405);
    expect(((await watch.json()) as AnyJson).message).toBe(
      'watch is not supported on resources of kind "pods.metrics.k8s.io"',
    );
    const del = await simFetch(sim, `${M}/nodes/x`, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('answers Table output with metrics-server columns (Name, cpu, memory, Window)', async () => {
    const list = await getJson<AnyJson>(sim, `${M}/pods`);
    const table = await getJson<AnyJson>(sim, `${M}/pods`, { headers: { accept: TABLE_ACCEPT } });
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: AnyJson) => c.name)).toEqual(['Name', 'cpu', 'memory', 'Window']);
    expect(table.rows).toHaveLength(list.items.length);
    const first = list.items[0];
    const cpu = first.containers.reduce((s: number, c: AnyJson) => s + cpuNanos(c.usage.cpu), 0);
    const mem = first.containers.reduce((s: number, c: AnyJson) => s + bytes(c.usage.memory), 0);
    expect(table.rows[0].cells).toEqual([first.metadata.name, formatCpu(cpu), formatMemory(mem), '15s']);
    expect(table.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: first.metadata });

    const nodes = await getJson<AnyJson>(sim, `${M}/nodes`);
    const nodeTable = await getJson<AnyJson>(sim, `${M}/nodes`, { headers: { accept: TABLE_ACCEPT } });
    expect(nodeTable.rows.map((r: AnyJson) => r.cells)).toEqual(
      nodes.items.map((n: AnyJson) => [n.metadata.name, n.usage.cpu, n.usage.memory, '15s']),
    );
  });

  it('is in discovery: /apis lists metrics.k8s.io, its version lists nodes and pods, get and list', async () => {
    const groups = await getJson<AnyJson>(sim, '/apis');
    expect(groups.groups.at(-1)).toEqual({
      name: 'metrics.k8s.io',
      versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
      preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
    });
    const group = await getJson<AnyJson>(sim, '/apis/metrics.k8s.io');
    expect(group).toMatchObject({ kind: 'APIGroup', name: 'metrics.k8s.io' });
    const resources = await getJson<AnyJson>(sim, M);
    expect(resources.resources).toEqual([
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ]);
  });
});

describe('the usage model', () => {
  it('formats quantities as resource.Quantity prints them, and the window as time.Duration does', () => {
    expect([123_456_789, 250e6, 1.5e9, 2e9, 0].map(formatCpu)).toEqual([
      '123456789n',
      '250m',
      '1500m',
      '2',
      '0',
    ]);
    expect([3 * 4096, 2 * 2 ** 20, 3 * 2 ** 30, 1000].map(formatMemory)).toEqual([
      '12Ki',
      '2Mi',
      '3Gi',
      '1000',
    ]);
    expect([15_000, 60_000, 90_000, 1500, 500].map(goDuration)).toEqual([
      '15s',
      '1m0s',
      '1m30s',
      '1.5s',
      '500ms',
    ]);
  });

  it('is deterministic: another simulator of the same scenario on the same clock answers the same bytes', async () => {
    const other = await start({ clock: new FakeClock(clock.now()) });
    try {
      for (const path of [`${M}/nodes`, `${M}/pods`]) {
        const a = await (await simFetch(sim, path)).text();
        const b = await (await simFetch(other, path)).text();
        expect(b).toBe(a);
      }
    } finally {
      await other.close();
    }
  });

  it('changes values exactly at the resolution boundary, with timestamp moving by the window', async () => {
    const local = new FakeClock(T0);
    const s = await start({ clock: local, metricsResolutionSeconds: 30 });
    try {
      const read = async (): Promise<AnyJson[]> => (await getJson<AnyJson>(s, `${M}/pods`)).items;
      const usages = (items: AnyJson[]) => items.map((i) => i.containers);
      const first = await read();
      expect(first[0]).toMatchObject({ timestamp: '2030-01-01T00:00:00Z', window: '30s' });
      local.advance(29_999);
      const same = await read();
      expect(usages(same)).toEqual(usages(first));
      expect(same[0].timestamp).toBe('2030-01-01T00:00:00Z');
      local.advance(1);
      const next = await read();
      expect(next[0].timestamp).toBe('2030-01-01T00:00:30Z');
      const changed = next.filter(
        (item: AnyJson, i: number) => JSON.stringify(item.containers) !== JSON.stringify(first[i].containers),
      );
      // Drift moves every container's CPU; a few memory values may round to the same page.
      expect(changed.length).toBe(next.length);
    } finally {
      await s.close();
    }
  });

  it('gives each node the sum of its running pods plus its system overhead', async () => {
    const nodes = (await getJson<AnyJson>(sim, `${M}/nodes`)).items;
    const podMetrics = (await getJson<AnyJson>(sim, `${M}/pods`)).items;
    const nodeOf = new Map(
      (await pods()).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.spec.nodeName]),
    );
    const bucket = Math.floor(clock.now() / 15_000);
    for (const node of nodes) {
      let cpu = 0;
      let memory = 0;
      for (const p of podMetrics) {
        if (nodeOf.get(`${p.metadata.namespace}/${p.metadata.name}`) !== node.metadata.name) continue;
        for (const c of p.containers) {
          cpu += cpuNanos(c.usage.cpu);
          memory += bytes(c.usage.memory);
        }
      }
      const overhead = systemOverhead(node.metadata.name, bucket);
      expect(node.usage).toEqual({
        cpu: formatCpu(cpu + overhead.cpuNanos),
        memory: formatMemory(memory + overhead.memoryBytes),
      });
      // The overhead is what a kubelet, a runtime and an OS use: tens of millicores, ~1 GiB.
      expect(overhead.cpuNanos).toBeGreaterThan(50e6);
      expect(overhead.cpuNanos).toBeLessThan(350e6);
      expect(overhead.memoryBytes).toBeGreaterThan(500 * 2 ** 20);
      expect(overhead.memoryBytes).toBeLessThan(1300 * 2 ** 20);
    }
  });

  it('puts some containers above their requests and a few at 90-99 % of their memory limit', async () => {
    const specs = new Map((await pods()).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    const items = (await getJson<AnyJson>(sim, `${M}/pods`)).items;
    let measured = 0;
    let overCpu = 0;
    let overMemory = 0;
    let nearLimit = 0;
    for (const item of items) {
      const pod = specs.get(`${item.metadata.namespace}/${item.metadata.name}`);
      for (const c of item.containers) {
        const spec = pod.spec.containers.find((s: AnyJson) => s.name === c.name);
        const r = resourcesOf(spec);
        const memory = bytes(c.usage.memory);
        measured += 1;
        if (r.cpuRequest !== undefined && cpuNanos(c.usage.cpu) > r.cpuRequest * 1e9) overCpu += 1;
        if (r.memoryRequest !== undefined && memory > r.memoryRequest) overMemory += 1;
        if (r.memoryLimit !== undefined) {
          const ratio = memory / r.memoryLimit;
          expect(ratio).toBeLessThan(1);
          if (ratio >= 0.9) {
            nearLimit += 1;
            expect(ratio).toBeLessThanOrEqual(0.99);
            expect(memoryClassOf(pod.metadata.uid, spec)).toBe('nearLimit');
          }
        }
        // The wire value is the model's value for this bucket.
        const model = containerUsage(pod.metadata.uid, spec, Math.floor(clock.now() / 15_000));
        expect(c.usage).toEqual({ cpu: formatCpu(model.cpuNanos), memory: formatMemory(model.memoryBytes) });
      }
    }
    expect(measured).toBeGreaterThan(50);
    expect(overCpu).toBeGreaterThan(0);
    expect(overMemory).toBeGreaterThan(0);
    expect(nearLimit).toBeGreaterThan(0);
    // "A few": most containers are below their limits' danger zone.
    expect(nearLimit).toBeLessThan(measured * 0.2);
  });
});

describe('requests to the metrics API', () => {
  it('are counted under their group-qualified resource, apart from the core nodes and pods', async () => {
    const before = await scrape(sim);
    await getJson(sim, `${M}/nodes`);
    await getJson(sim, `${M}/pods`);
    await getJson(sim, `${M}/namespaces/kube-system/pods`);
    const after = await scrape(sim);
    const delta = (verb: string, resource: string) =>
      metric(after, 'apiserver_request_total', { verb, resource, code: '200' }) -
      metric(before, 'apiserver_request_total', { verb, resource, code: '200' });
    expect(delta('LIST', 'nodes.metrics.k8s.io')).toBe(1);
    expect(delta('LIST', 'pods.metrics.k8s.io')).toBe(2);
    expect(delta('LIST', 'nodes')).toBe(0);
    expect(delta('LIST', 'pods')).toBe(0);
  });

  it('are subject to injected faults, restricted to their resource when asked', async () => {
    sim.injectFaults({ errorRate: 1, errorCode: 503, resources: ['nodes.metrics.k8s.io'] });
    try {
      expect((await simFetch(sim, `${M}/nodes`)).status).toBe(503);
      expect((await simFetch(sim, `${M}/pods`)).status).toBe(200);
    } finally {
      sim.injectFaults({ reset: true });
    }
    expect((await simFetch(sim, `${M}/nodes`)).status).toBe(200);
  });

  it('are authorised as get/list of nodes and pods in metrics.k8s.io: view grants them, pods alone do not', async () => {
    const rbac = new RbacKit(sim);
    sim.addUser({ token: 'viewer-token', user: 'viewer', groups: [] });
    sim.addUser({ token: 'pods-token', user: 'pod-reader', groups: [] });
    await rbac.roleBinding('kube-system', 'viewer-view', 'view', [{ user: 'viewer' }]);
    await rbac.role('kube-system', 'pods-only', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    ]);
    await rbac.roleBinding('kube-system', 'pods-only', 'role:pods-only', [{ user: 'pod-reader' }]);

    const path = `${M}/namespaces/kube-system/pods`;
    expect((await rbac.answer('GET', path, { token: 'viewer-token' })).status).toBe(200);
    const refused = await rbac.answer('GET', path, { token: 'pods-token' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'pods.metrics.k8s.io is forbidden: User "pod-reader" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "kube-system"',
    );
    // view in one namespace is no grant on nodes.
    expect((await rbac.answer('GET', `${M}/nodes`, { token: 'viewer-token' })).status).toBe(403);
  });
});

describe('a simulator without the metrics API', () => {
  it('leaves metrics.k8s.io out of discovery and answers its paths 404, as a cluster without metrics-server', async () => {
    const bare = await start({ metrics: false });
    try {
      const groups = await getJson<AnyJson>(bare, '/apis');
      expect(groups.groups.map((g: AnyJson) => g.name)).not.toContain('metrics.k8s.io');
      for (const path of [`${M}/nodes`, `${M}/pods`, M, '/apis/metrics.k8s.io']) {
        const res = await simFetch(bare, path);
        expect(res.status).toBe(404);
        expect(((await res.json()) as AnyJson).reason).toBe('NotFound');
      }
      const role = await simFetch(
        bare,
        '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:aggregated-metrics-reader',
      );
      expect(role.status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
