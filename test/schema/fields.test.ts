/**
 * Every field family, over HTTP against the simulator with the cache synced, compared with
 * the simulator's own store: cluster status and summary, nodes with their load and pods,
 * jobs with their pods' phases, namespaces, pod detail with node and job, global IDs.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ClusterOverviewDocument,
  JobsPageDocument,
  NodesPageDocument,
  PodByIdDocument,
  PodDetailDocument,
} from '../../src/generated/graphql.js';
import { cpuMillis, memoryBytes } from '../../src/kube/quantity.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import {
  expectedNodeUsage,
  type Json,
  jobOwner,
  phaseOf,
  run,
  SCENARIO,
  simObjects,
  terminated,
} from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: SCENARIO } });
});
afterAll(() => h?.close(), 60_000);

const isTrue = (obj: KubeObject, type: string) =>
  (obj.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === type && c.status === 'True',
  );

describe('Cluster', () => {
  it('has status, version and a summary that match the simulator', async () => {
    const r = await run(h, ClusterOverviewDocument);
    expect(r.errors).toBeUndefined();
    const [c] = r.data!.clusters;
    expect(r.data!.clusters.map((x) => x.name)).toEqual(['sim']);
    expect(c.version).toMatch(/^v1\.\d+/);
    expect(c.status).toMatchObject({ ready: true, cache: true, reachable: true, lastError: null });
    const counts = Object.fromEntries(c.status.kinds.map((k) => [k.kind, k.objects]));
    expect(counts).toEqual({
      Namespace: h.sim.store.count('namespaces'),
      Node: h.sim.store.count('nodes'),
      Pod: h.sim.store.count('pods'),
      Job: h.sim.store.count('jobs'),
      Event: h.sim.store.count('events'),
    });
    for (const k of c.status.kinds) {
      expect(k.synced).toBe(true);
      expect(Number(k.resourceVersion)).toBeGreaterThan(0);
    }

    const pods = simObjects(h, 'pods');
    const nodes = simObjects(h, 'nodes');
    const jobs = simObjects(h, 'jobs');
    const s = c.summary!;
    expect(s.nodes).toBe(nodes.length);
    expect(s.readyNodes).toBe(nodes.filter((n) => isTrue(n, 'Ready')).length);
    expect(s.pods).toBe(pods.length);
    expect(s.podsByPhase).toEqual({
      pending: pods.filter((p) => phaseOf(p) === 'Pending').length,
      running: pods.filter((p) => phaseOf(p) === 'Running').length,
      succeeded: pods.filter((p) => phaseOf(p) === 'Succeeded').length,
      failed: pods.filter((p) => phaseOf(p) === 'Failed').length,
      unknown: pods.filter((p) => phaseOf(p) === 'Unknown').length,
      total: pods.length,
    });
    expect(s.scheduledPods).toBe(pods.filter((p) => p.spec?.nodeName && !terminated(p)).length);
    expect(s.jobs).toBe(jobs.length);
    expect(s.jobsByState.complete).toBe(jobs.filter((j) => isTrue(j, 'Complete')).length);
    expect(s.jobsByState.failed).toBe(jobs.filter((j) => isTrue(j, 'Failed')).length);
    expect(s.allocatable.cpuMillis).toBe(nodes.reduce((n, x) => n + cpuMillis(x.status.allocatable.cpu), 0));
    expect(s.allocatable.memoryBytes).toBe(
      nodes.reduce((n, x) => n + memoryBytes(x.status.allocatable.memory), 0),
    );
    const usage = nodes.map((n) => expectedNodeUsage(h, n.metadata.name));
    expect(s.requested).toEqual({
      cpuMillis: usage.reduce((n, u) => n + u.cpuMillis, 0),
      memoryBytes: usage.reduce((n, u) => n + u.memoryBytes, 0),
    });
    expect(s.namespacesOnly).toBe(false);
  });

  it('answers lookups by name, null for what does not exist, and namespaces with their objects', async () => {
    const ns = simObjects(h, 'jobs')[0].metadata.namespace!;
    const r = await h.query<{ cluster: Record<string, unknown> }>(
      `query($ns: String!) { cluster(name: "sim") {
        namespace(name: $ns) { id name phase labels { key value } createdAt
          pods(first: 1) { totalCount } jobs(first: 1) { totalCount } }
        missingNs: namespace(name: "no-such-ns") { name }
        missingNode: node(name: "no-such-node") { name }
        missingPod: pod(namespace: $ns, name: "no-such-pod") { name }
        missingJob: job(namespace: $ns, name: "no-such-job") { name }
        namespaces(first: 100) { totalCount edges { node { name phase } } }
      } nope: cluster(name: "no-such-cluster") { name } }`,
      { ns },
    );
    expect(r.errors).toBeUndefined();
    const c = r.data!.cluster as Record<string, Json>;
    expect(c.namespace).toMatchObject({
      name: ns,
      phase: 'ACTIVE',
      pods: { totalCount: simObjects(h, 'pods').filter((p) => p.metadata.namespace === ns).length },
      jobs: { totalCount: simObjects(h, 'jobs').filter((j) => j.metadata.namespace === ns).length },
    });
    expect(c.namespace.labels).toContainEqual({ key: 'kubernetes.io/metadata.name', value: ns });
    expect([c.missingNs, c.missingNode, c.missingPod, c.missingJob, (r.data as Json).nope]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(c.namespaces.edges.map((e: Json) => e.node.name)).toEqual(
      simObjects(h, 'namespaces')
        .map((n) => n.metadata.name)
        .sort(),
    );
  });
});

describe('ClusterNode', () => {
  it('shows load from the aggregates, capacity, and its pods', async () => {
    const r = await run(h, NodesPageDocument, { cluster: 'sim', first: 50 });
    expect(r.errors).toBeUndefined();
    const page = r.data!.cluster!.nodes!;
    const nodes = simObjects(h, 'nodes');
    expect(page.totalCount).toBe(nodes.length);
    expect(page.edges.map((e) => e.node.name)).toEqual(nodes.map((n) => n.metadata.name).sort());
    for (const { node } of page.edges) {
      const sim = nodes.find((n) => n.metadata.name === node.name)!;
      const usage = expectedNodeUsage(h, node.name);
      expect(node.podCount).toBe(usage.podCount);
      expect(node.requested).toEqual({ cpuMillis: usage.cpuMillis, memoryBytes: usage.memoryBytes });
      expect(node.capacity).toEqual({
        cpuMillis: cpuMillis(sim.status.capacity.cpu),
        memoryBytes: memoryBytes(sim.status.capacity.memory),
        pods: Number(sim.status.capacity.pods),
      });
      expect(node.allocatable.cpuMillis).toBe(cpuMillis(sim.status.allocatable.cpu));
      expect(node.ready).toBe(isTrue(sim, 'Ready'));
      expect(node.unschedulable).toBe(sim.spec?.unschedulable ?? false);
      expect(node.internalIP).toBe(sim.status.addresses.find((a: Json) => a.type === 'InternalIP').address);
      expect(node.createdAt).toBe(new Date(sim.metadata.creationTimestamp!).toISOString());
      expect(node.taints.map((t) => t.key)).toEqual((sim.spec?.taints ?? []).map((t: Json) => t.key));
      const onNode = simObjects(h, 'pods').filter((p) => p.spec?.nodeName === node.name);
      expect(node.pods!.totalCount).toBe(onNode.length);
      expect(node.pods!.edges.length).toBe(Math.min(5, onNode.length));
    }
    expect(page.edges.some((e) => e.node.roles.includes('control-plane'))).toBe(true);
  });
});

describe('Job', () => {
  it('has its state, counts, and its pods by phase', async () => {
    const r = await run(h, JobsPageDocument, { cluster: 'sim', first: 50 });
    expect(r.errors).toBeUndefined();
    const jobs = simObjects(h, 'jobs');
    const page = r.data!.cluster!.jobs!;
    expect(page.totalCount).toBe(jobs.length);
    const created = page.edges.map((e) => e.node.startedAt);
    expect(created.length).toBe(jobs.length);
    for (const { node } of page.edges) {
      const sim = jobs.find((j) => j.metadata.name === node.name && j.metadata.namespace === node.namespace)!;
      const pods = simObjects(h, 'pods').filter(
        (p) => p.metadata.namespace === node.namespace && jobOwner(p) === node.name,
      );
      const expectedState = isTrue(sim, 'Complete')
        ? 'COMPLETE'
        : isTrue(sim, 'Failed')
          ? 'FAILED'
          : sim.spec.suspend
            ? 'SUSPENDED'
            : 'ACTIVE';
      expect(node.state).toBe(expectedState);
      expect(node.succeeded).toBe(sim.status.succeeded ?? 0);
      expect(node.failed).toBe(sim.status.failed ?? 0);
      expect(node.completions).toBe(sim.spec.completions ?? null);
      expect(node.podsByPhase).toEqual({
        pending: pods.filter((p) => phaseOf(p) === 'Pending').length,
        running: pods.filter((p) => phaseOf(p) === 'Running').length,
        succeeded: pods.filter((p) => phaseOf(p) === 'Succeeded').length,
        failed: pods.filter((p) => phaseOf(p) === 'Failed').length,
        total: pods.length,
      });
      expect(node.pods!.totalCount).toBe(pods.length);
      expect(node.pods!.edges.map((e) => e.node.name).sort()).toEqual(
        pods
          .map((p) => p.metadata.name)
          .sort()
          .slice(0, 10),
      );
    }
  });
});

describe('Pod', () => {
  it('has its details, containers with requests and limits, its node and its job; node(id:) finds it again', async () => {
    const sim = simObjects(h, 'pods').find((p) => jobOwner(p) && p.spec?.nodeName)!;
    const r = await run(h, PodDetailDocument, {
      cluster: 'sim',
      namespace: sim.metadata.namespace!,
      name: sim.metadata.name,
    });
    expect(r.errors).toBeUndefined();
    const pod = r.data!.cluster!.pod!;
    expect(pod).toMatchObject({
      cluster: 'sim',
      namespace: sim.metadata.namespace,
      name: sim.metadata.name,
      uid: sim.metadata.uid,
      phase: phaseOf(sim).toUpperCase(),
      qosClass: sim.status.qosClass,
      hostIP: sim.status.hostIP,
      podIP: sim.status.podIP ?? null,
      createdAt: new Date(sim.metadata.creationTimestamp!).toISOString(),
    });
    expect(pod.labels).toEqual(
      Object.entries(sim.metadata.labels ?? {})
        .map(([key, value]) => ({ key, value }))
        .sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    expect(pod.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Job', name: jobOwner(sim), controller: true }),
    ]);
    expect(pod.conditions.map((c) => c.type)).toEqual((sim.status.conditions ?? []).map((c: Json) => c.type));
    expect(pod.containers.map((c) => c.name)).toEqual(sim.spec.containers.map((c: Json) => c.name));
    const [spec] = sim.spec.containers;
    const [container] = pod.containers;
    expect(container.image).toBe(spec.image);
    expect(container.requests.cpuMillis).toBe(
      spec.resources?.requests?.cpu ? cpuMillis(spec.resources.requests.cpu) : null,
    );
    expect(container.limits.memoryBytes).toBe(
      spec.resources?.limits?.memory ? memoryBytes(spec.resources.limits.memory) : null,
    );
    const status = sim.status.containerStatuses?.[0];
    if (status) {
      expect(container.restartCount).toBe(status.restartCount);
      expect(container.state?.state).toBe(Object.keys(status.state)[0].toUpperCase());
    }
    expect(pod.node).toMatchObject({
      name: sim.spec.nodeName,
      podCount: expectedNodeUsage(h, sim.spec.nodeName).podCount,
    });
    expect(pod.job).toMatchObject({ name: jobOwner(sim) });
    expect(pod.job!.podsByPhase!.total).toBeGreaterThanOrEqual(1);

    const again = await run(h, PodByIdDocument, { id: pod.id });
    expect(again.errors).toBeUndefined();
    expect(again.data!.node).toMatchObject({ id: pod.id, name: sim.metadata.name, uid: sim.metadata.uid });
  });

  it('has podIPs: a single-stack pod its one address (the mirror stores only podIP), a dual-stack pod both, primary first', async () => {
    const sim = simObjects(h, 'pods').find((p) => p.status?.podIP && p.status.phase === 'Running')!;
    // What the simulator serves, as kube-apiserver does: podIPs[0] is podIP.
    expect(sim.status.podIPs).toEqual([{ ip: sim.status.podIP }]);
    const { namespace, name } = sim.metadata;
    const ask = () =>
      h.query<Json>(
        'query($ns: String!, $name: String!) { cluster(name: "sim") { pod(namespace: $ns, name: $name) { podIP podIPs } } }',
        {
          ns: namespace,
          name,
        },
      );
    expect((await ask()).data.cluster.pod).toEqual({ podIP: sim.status.podIP, podIPs: [sim.status.podIP] });

    h.sim.store.mutate('pods', namespace, name, (o) => {
      o.status = { ...o.status, podIPs: [{ ip: sim.status.podIP }, { ip: 'fd00:10:244::7' }] };
      return o;
    });
    await vi.waitFor(
      async () =>
        expect((await ask()).data.cluster.pod).toEqual({
          podIP: sim.status.podIP,
          podIPs: [sim.status.podIP, 'fd00:10:244::7'],
        }),
      { timeout: 10_000 },
    );
  });

  it('resolves every kind of global ID through node(id:) and nodes(ids:)', async () => {
    const ids = await h.query<Json>(`{ clusters { id
      nodes(first: 1) { edges { node { id name } } }
      namespaces(first: 1) { edges { node { id name } } }
      jobs(first: 1) { edges { node { id name } } } } }`);
    const c = ids.data.clusters[0];
    const wanted = [
      [c.id, 'Cluster', 'sim'],
      [c.nodes.edges[0].node.id, 'ClusterNode', c.nodes.edges[0].node.name],
      [c.namespaces.edges[0].node.id, 'Namespace', c.namespaces.edges[0].node.name],
      [c.jobs.edges[0].node.id, 'Job', c.jobs.edges[0].node.name],
    ];
    const r = await h.query<Json>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Cluster { name } ... on KubeObject { name cluster } } }`,
      { ids: wanted.map((w) => w[0]) },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.nodes.map((n: Json) => [n.id, n.__typename, n.name])).toEqual(wanted);
  });
});
