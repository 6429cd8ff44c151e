import { describe, expect, it } from 'vitest';
import {
  buildScenario,
  type ScenarioOptions,
  type ScenarioSummary,
} from '../../src/simulator/scenario/index.js';
import { SimStore } from '../../src/simulator/store.js';
import type { KubeObject, ResourceName } from '../../src/simulator/types.js';

type Json = Record<string, unknown>;

const NOW = new Date('2025-06-01T12:00:00Z');

function build(opts: Partial<ScenarioOptions> = {}): { store: SimStore; summary: ScenarioSummary } {
  const store = new SimStore();
  const summary = buildScenario(store, {
    seed: 7,
    nodes: 60,
    pods: 3000,
    jobs: 80,
    namespaces: 8,
    now: NOW,
    ...opts,
  });
  return { store, summary };
}

const all = (store: SimStore, resource: ResourceName): KubeObject[] => [...store.scan(resource)];
const ownerKind = (pod: KubeObject) => pod.metadata.ownerReferences?.find((o) => o.controller)?.kind;
const conditionsOf = (obj: KubeObject) => (obj.status?.conditions ?? []) as Json[];

// One mid-sized cluster shared by the read-only checks below.
const { store, summary } = build();
const pods = all(store, 'pods');
const nodes = all(store, 'nodes');
const jobs = all(store, 'jobs');

describe('buildScenario: determinism', () => {
  it('gives the same objects, uids and timestamps for the same seed', () => {
    const a = build({ pods: 400, nodes: 12, jobs: 20, namespaces: 3 }).store;
    const b = build({ pods: 400, nodes: 12, jobs: 20, namespaces: 3 }).store;
    for (const resource of ['namespaces', 'nodes', 'pods', 'jobs', 'events'] as const) {
      expect(JSON.stringify(all(a, resource))).toBe(JSON.stringify(all(b, resource)));
    }
  });

  it('gives a different cluster for another seed', () => {
    const a = build({ pods: 200, nodes: 6, jobs: 5, namespaces: 3 }).store;
    const b = build({ pods: 200, nodes: 6, jobs: 5, namespaces: 3, seed: 8 }).store;
    const names = (s: SimStore) => all(s, 'pods').map((p) => p.metadata.name);
    expect(names(a)).not.toEqual(names(b));
  });

  it('rejects options that are not non-negative integers', () => {
    expect(() => build({ pods: -1 })).toThrow(RangeError);
    expect(() => build({ nodes: 1.5 })).toThrow(/nodes must be an integer/);
    expect(() => build({ maxPodsPerNamespace: 0 })).toThrow(/maxPodsPerNamespace/);
  });
});

describe('buildScenario: counts and namespaces', () => {
  it('creates exactly the requested nodes, pods and jobs, and reports them', () => {
    expect(summary.counts).toEqual({
      namespaces: store.count('namespaces'),
      nodes: 60,
      pods: 3000,
      jobs: 80,
      events: store.count('events'),
      leases: 60,
      daemonsets: 2,
    });
    const phases = Object.values(summary.podPhases).reduce((a, b) => a + b, 0);
    expect(phases).toBe(3000);
    expect(summary.jobPods).toBe(pods.filter((p) => ownerKind(p) === 'Job').length);
  });

  it("builds the daemon pods' DaemonSets (kube-proxy, cilium): their owners' uids, one pod per node", () => {
    const daemonSets = all(store, 'daemonsets');
    expect(daemonSets.map((ds) => `${ds.metadata.namespace}/${ds.metadata.name}`)).toEqual([
      'kube-system/cilium',
      'kube-system/kube-proxy',
    ]);
    for (const ds of daemonSets) {
      const owned = pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid));
      expect(owned.length).toBe(60);
      expect(owned.every((p) => p.metadata.ownerReferences![0].name === ds.metadata.name)).toBe(true);
      expect(ds.status).toMatchObject({ desiredNumberScheduled: 60, currentNumberScheduled: 60 });
      for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) {
        expect(owned.every((p) => p.metadata.labels?.[k] === v)).toBe(true);
      }
    }
  });

  it('has kube-system, default, the generated team namespaces and kube-node-lease, all Active and labelled', () => {
    expect(summary.namespaces.slice(0, 2)).toEqual(['kube-system', 'default']);
    expect(summary.namespaces.at(-1)).toBe('kube-node-lease');
    expect(summary.namespaces.length).toBe(11);
    for (const ns of all(store, 'namespaces')) {
      expect(ns.metadata.labels?.['kubernetes.io/metadata.name']).toBe(ns.metadata.name);
      expect(ns.status?.phase).toBe('Active');
    }
    expect(
      summary.namespaces.slice(2, -1).every((n) => /^[a-z]+-(prod|staging|dev|qa)(-\d+)?$/.test(n)),
    ).toBe(true);
  });

  it('never puts more pods in a namespace than maxPodsPerNamespace, opening namespaces as needed', () => {
    const capped = build({ pods: 3000, namespaces: 2, maxPodsPerNamespace: 250 });
    const perNamespace = new Map<string, number>();
    for (const pod of capped.store.scan('pods')) {
      perNamespace.set(pod.metadata.namespace!, (perNamespace.get(pod.metadata.namespace!) ?? 0) + 1);
    }
    expect(Math.max(...perNamespace.values())).toBeLessThanOrEqual(250);
    expect(capped.summary.namespaces.length).toBeGreaterThanOrEqual(Math.ceil(3000 / 250));
    expect(capped.store.count('pods')).toBe(3000);
  });

  it('gives jobs fewer pods when there are more jobs than pods, keeping the pod count', () => {
    const crowded = build({ pods: 100, jobs: 300, nodes: 6 });
    expect(crowded.store.count('pods')).toBe(100);
    expect(crowded.store.count('jobs')).toBe(300);
    expect(crowded.summary.jobPods).toBeLessThanOrEqual(50);
  });

  it('keeps events bounded whatever the number of pods', () => {
    const big = build({ pods: 12_000, nodes: 150, jobs: 50 });
    expect(big.store.count('events')).toBeGreaterThan(100);
    expect(big.store.count('events')).toBeLessThanOrEqual(1000);
  });
});

describe('buildScenario: nodes', () => {
  it('names and labels nodes like a cloud cluster across three zones', () => {
    const zones = new Set<string>();
    for (const node of nodes) {
      const labels = node.metadata.labels!;
      expect(node.metadata.name).toMatch(/^node-eu-west-1[abc]-\d+$/);
      expect(labels['kubernetes.io/hostname']).toBe(node.metadata.name);
      expect(labels['topology.kubernetes.io/region']).toBe('eu-west-1');
      expect(labels['node.kubernetes.io/instance-type']).toBeTruthy();
      expect(labels['kubernetes.io/os']).toBe('linux');
      expect(['amd64', 'arm64']).toContain(labels['kubernetes.io/arch']);
      zones.add(labels['topology.kubernetes.io/zone']);
    }
    expect(zones).toEqual(new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']));
    const controlPlanes = nodes.filter((n) => 'node-role.kubernetes.io/control-plane' in n.metadata.labels!);
    expect(controlPlanes.length).toBe(3);
    expect(nodes.filter((n) => 'node-role.kubernetes.io/worker' in n.metadata.labels!).length).toBe(57);
  });

  it('reports capacity, conditions, addresses and nodeInfo as a kubelet does', () => {
    for (const node of nodes) {
      const status = node.status as Json & { capacity: Json; allocatable: Json; nodeInfo: Json };
      expect(['16', '32', '64']).toContain(status.capacity.cpu);
      expect(status.capacity.memory).toMatch(/^\d+Ki$/);
      expect(['110', '250']).toContain(status.capacity.pods);
      expect(status.allocatable['ephemeral-storage']).toBeTruthy();
      expect(conditionsOf(node).map((c) => c.type)).toEqual([
        'MemoryPressure',
        'DiskPressure',
        'PIDPressure',
        'Ready',
      ]);
      for (const c of conditionsOf(node)) expect(c.lastHeartbeatTime && c.lastTransitionTime).toBeTruthy();
      expect(((status.addresses ?? []) as Json[]).map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);
      expect(status.nodeInfo.kubeletVersion).toMatch(/^v1\.31\.\d+$/);
      expect(status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.7\.\d+$/);
      expect(((status.images ?? []) as Json[]).length).toBeGreaterThan(2);
      expect(node.metadata.managedFields?.length).toBeGreaterThan(0);
    }
  });

  it('has a few tainted, cordoned and not-ready nodes, most Ready', () => {
    const ready = (n: KubeObject) => conditionsOf(n).find((c) => c.type === 'Ready')?.status;
    const cordoned = nodes.filter((n) => n.spec?.unschedulable === true);
    const tainted = nodes.filter((n) =>
      ((n.spec?.taints ?? []) as Json[]).some(
        (t) => t.effect === 'NoSchedule' && t.key === 'acme.io/dedicated',
      ),
    );
    const notReady = nodes.filter((n) => ready(n) !== 'True');
    expect(cordoned.length).toBeGreaterThanOrEqual(1);
    expect(tainted.length).toBeGreaterThanOrEqual(1);
    expect(notReady.length).toBeGreaterThanOrEqual(1);
    expect(notReady.length).toBeLessThan(nodes.length / 10);
    expect(notReady.map(ready).every((s) => s === 'False' || s === 'Unknown')).toBe(true);
  });
});

describe('buildScenario: pods', () => {
  const nodeNames = new Set(nodes.map((n) => n.metadata.name));
  const workloadPods = pods.filter((p) => p.metadata.namespace !== 'kube-system');

  it('places every scheduled pod on an existing node and leaves only unschedulable pods without one', () => {
    for (const pod of pods) {
      const nodeName = pod.spec?.nodeName as string | undefined;
      if (nodeName) {
        expect(nodeNames.has(nodeName)).toBe(true);
        continue;
      }
      expect(pod.status?.phase).toBe('Pending');
      expect(conditionsOf(pod)).toEqual([
        expect.objectContaining({ type: 'PodScheduled', reason: 'Unschedulable' }),
      ]);
    }
  });

  it('has owners like a real cluster: ReplicaSets with pod-template-hash, StatefulSets, DaemonSets, Jobs', () => {
    const kinds = new Set(pods.map(ownerKind));
    expect(kinds).toEqual(new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'Node']));
    for (const pod of pods.filter((p) => ownerKind(p) === 'ReplicaSet')) {
      const hash = pod.metadata.labels!['pod-template-hash'];
      expect(hash).toBeTruthy();
      expect(pod.metadata.ownerReferences![0].name.endsWith(`-${hash}`)).toBe(true);
      expect(pod.metadata.name.startsWith(pod.metadata.ownerReferences![0].name)).toBe(true);
    }
    for (const pod of workloadPods.filter((p) => ownerKind(p) === 'ReplicaSet')) {
      expect(pod.metadata.labels!['app.kubernetes.io/name']).toBeTruthy();
    }
    for (const pod of pods.filter((p) => ownerKind(p) === 'StatefulSet')) {
      expect(pod.metadata.name).toMatch(/-\d+$/);
      expect(pod.metadata.labels!['statefulset.kubernetes.io/pod-name']).toBe(pod.metadata.name);
    }
  });

  it('runs 1 to 3 containers with requests, limits, probes, env and the service account volume', () => {
    let inits = 0;
    let sidecars = 0;
    const cpu = new Set<unknown>();
    const memory = new Set<unknown>();
    for (const pod of workloadPods) {
      const spec = pod.spec as { containers: Json[]; initContainers?: Json[]; volumes: Json[] };
      expect(spec.containers.length).toBeGreaterThanOrEqual(1);
      expect(spec.containers.length).toBeLessThanOrEqual(3);
      if (spec.initContainers) inits += 1;
      if (spec.initContainers?.some((c) => c.restartPolicy === 'Always')) sidecars += 1;
      const access = spec.volumes.find((v) => String(v.name).startsWith('kube-api-access-'));
      expect(access?.projected).toBeTruthy();
      // The application container (sidecars are smaller).
      const r = spec.containers[0].resources as { requests?: Json; limits?: Json };
      if (r.requests) {
        cpu.add(r.requests.cpu);
        memory.add(r.requests.memory);
      }
    }
    expect(inits).toBeGreaterThan(0);
    expect(sidecars).toBeGreaterThan(0);
    for (const value of cpu) expect(['50m', '100m', '250m', '500m', '1']).toContain(value);
    for (const value of memory) expect(['64Mi', '128Mi', '256Mi', '512Mi', '1Gi', '2Gi']).toContain(value);
    const withProbes = workloadPods.filter((p) => (p.spec!.containers as Json[])[0].livenessProbe);
    expect(withProbes.length).toBeGreaterThan(workloadPods.length / 2);
    expect(workloadPods.filter((p) => (p.spec!.containers as Json[])[0].env).length).toBeGreaterThan(
      workloadPods.length / 2,
    );
  });

  it('has plausible phases and container states', () => {
    const { Pending, Running, Succeeded, Failed } = summary.podPhases;
    expect(Running / 3000).toBeGreaterThan(0.8);
    expect(Pending).toBeGreaterThan(0);
    expect(Succeeded).toBeGreaterThan(0);
    expect(Failed).toBeGreaterThan(0);
    const reasons = new Set<unknown>();
    let restarted = 0;
    for (const pod of pods) {
      for (const c of (pod.status?.containerStatuses ?? []) as Json[]) {
        const state = c.state as Json;
        reasons.add(state.running ? 'running' : ((state.waiting ?? state.terminated) as Json).reason);
        if (Number(c.restartCount) > 0) {
          restarted += 1;
          expect((c.lastState as Json).terminated).toBeTruthy();
        }
      }
    }
    for (const reason of [
      'running',
      'CrashLoopBackOff',
      'ImagePullBackOff',
      'ContainerCreating',
      'Completed',
      'Error',
    ]) {
      expect(reasons).toContain(reason);
    }
    expect(restarted).toBeGreaterThan(0);
  });

  it('reports status fields consistent with the phase', () => {
    for (const pod of pods) {
      const status = pod.status as Json;
      expect(['BestEffort', 'Burstable', 'Guaranteed']).toContain(status.qosClass);
      if (status.phase !== 'Running') continue;
      expect(conditionsOf(pod).map((c) => c.type)).toEqual([
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ]);
      expect(status.podIP).toBeTruthy();
      expect(status.podIPs).toEqual([{ ip: status.podIP }]);
      expect(status.hostIP).toBeTruthy();
      expect(status.startTime).toBeTruthy();
    }
  });

  it('carries kube-controller-manager and kubelet managedFields', () => {
    for (const pod of workloadPods.filter((p) => p.spec?.nodeName)) {
      const managers = (pod.metadata.managedFields as Json[]).map(
        (m) => `${m.manager}/${m.subresource ?? ''}`,
      );
      expect(managers).toEqual(['kube-controller-manager/', 'kubelet/status']);
    }
  });

  it('makes a typical pod 4 to 10 KB of JSON', () => {
    const sizes = workloadPods
      .filter((_, i) => i % 7 === 0)
      .map((p) => JSON.stringify(p).length)
      .sort((a, b) => a - b);
    const median = sizes[sizes.length >> 1];
    expect(median).toBeGreaterThanOrEqual(4096);
    expect(median).toBeLessThanOrEqual(10_240);
    const inRange = sizes.filter((s) => s >= 4096 && s <= 10_240).length;
    expect(inRange / sizes.length).toBeGreaterThan(0.85);
  });

  it('shares the immutable parts of a workload between its pods, frozen', () => {
    const byOwner = new Map<string, KubeObject[]>();
    for (const pod of workloadPods.filter((p) => ownerKind(p) === 'ReplicaSet')) {
      const uid = pod.metadata.ownerReferences![0].uid;
      byOwner.set(uid, [...(byOwner.get(uid) ?? []), pod]);
    }
    const [a, b] = [...byOwner.values()].find((group) => group.length >= 2)!;
    expect(a.spec!.containers).toBe(b.spec!.containers);
    expect(a.metadata.labels).toBe(b.metadata.labels);
    expect(a.metadata.managedFields![0]).toBe(b.metadata.managedFields![0]);
    expect(Object.isFrozen(a.spec!.containers)).toBe(true);
    expect(Object.isFrozen((a.status!.containerStatuses as Json[])[0])).toBe(true);
  });
});

describe('buildScenario: jobs', () => {
  const podsOf = (job: KubeObject) =>
    pods.filter((p) => p.metadata.ownerReferences?.[0]?.uid === job.metadata.uid);
  const outcome = (job: KubeObject) => {
    if (job.spec.suspend) return 'suspended';
    const done = conditionsOf(job).find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    return done ? String(done.type) : 'running';
  };

  it('has complete, failed, running and suspended jobs', () => {
    expect(new Set(jobs.map(outcome))).toEqual(new Set(['Complete', 'Failed', 'running', 'suspended']));
  });

  it('selects and labels job pods by controller uid, owned by the job', () => {
    for (const job of jobs) {
      const uid = job.metadata.uid!;
      expect(job.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
      const expected = {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': job.metadata.name,
        'controller-uid': uid,
        'job-name': job.metadata.name,
      };
      expect(job.spec.template.metadata.labels).toMatchObject(expected);
      expect(job.spec.completions).toBeGreaterThanOrEqual(1);
      expect(job.spec.completions).toBeLessThanOrEqual(5);
      for (const pod of podsOf(job)) {
        expect(pod.metadata.labels).toMatchObject(expected);
        expect(pod.metadata.ownerReferences).toEqual([
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name,
            uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]);
      }
    }
  });

  it('keeps job status and pod phases consistent', () => {
    for (const job of jobs) {
      const status = job.status as Json;
      const phases = podsOf(job).map((p) => p.status!.phase);
      const active = phases.filter((p) => p === 'Pending' || p === 'Running').length;
      expect(status.active ?? 0).toBe(active);
      expect(phases.filter((p) => p === 'Succeeded').length).toBeLessThanOrEqual(
        Number(status.succeeded ?? 0),
      );
      expect(phases.filter((p) => p === 'Failed').length).toBeLessThanOrEqual(Number(status.failed ?? 0));
      switch (outcome(job)) {
        case 'Complete':
          expect(status.succeeded).toBe(job.spec.completions);
          expect(status.completionTime).toBeTruthy();
          expect(active).toBe(0);
          break;
        case 'Failed':
          expect(Number(status.failed)).toBeGreaterThan(job.spec.backoffLimit);
          expect(active).toBe(0);
          break;
        case 'running':
          expect(status.startTime).toBeTruthy();
          expect(Number(status.succeeded ?? 0)).toBeLessThan(job.spec.completions);
          expect(active).toBeLessThanOrEqual(job.spec.parallelism);
          break;
        case 'suspended':
          expect(active).toBe(0);
          expect(conditionsOf(job)).toContainEqual(
            expect.objectContaining({ type: 'Suspended', status: 'True' }),
          );
          break;
      }
    }
  });
});

describe('buildScenario: events', () => {
  it('describes pods that exist, with the fields kubectl describe reads', () => {
    const byUid = new Map(pods.map((p) => [p.metadata.uid, p]));
    const reasons = new Set<unknown>();
    for (const event of all(store, 'events')) {
      const involved = event.involvedObject as Json;
      const pod = byUid.get(involved.uid as string);
      expect(pod?.metadata.name).toBe(involved.name);
      expect(event.metadata.namespace).toBe(involved.namespace);
      reasons.add(event.reason);
    }
    for (const reason of ['Scheduled', 'Pulled', 'Created', 'Started']) expect(reasons).toContain(reason);
  });
});

describe('buildScenario: scale', () => {
  // How fast is for bench/ (npm run bench); here only that a large scenario comes out whole.
  it('builds 20,000 pods over 250 nodes and 40 namespaces', () => {
    const big = build({ pods: 20_000, nodes: 250, jobs: 300, namespaces: 40 });
    expect(big.store.count('pods')).toBe(20_000);
    expect(big.store.count('nodes')).toBe(250);
  });
});
