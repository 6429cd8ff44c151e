import type { V1Job, V1JobCondition, V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  JobAggregates,
  type JobPodCounts,
  NodeAggregates,
  type NodeUsage,
  nodeTotalsOf,
  PodAggregates,
  podPhase,
} from '../../src/kube/aggregates.js';
import { Indexer } from '../../src/kube/indexer.js';
import { podIndexers } from '../../src/kube/kinds/pod.js';
import { effectivePodRequests } from '../../src/kube/quantity.js';
import { JOB_STATES, jobState } from '../../src/kube/rules.js';
import { transformObject } from '../../src/kube/transform.js';
import { pod as fixturePod } from './object-fixtures.js';

const MiB = 1024 ** 2;

interface PodSpecOpts {
  name: string;
  namespace?: string;
  node?: string;
  phase?: string;
  cpu?: string;
  memory?: string;
  initCpu?: string;
  job?: string;
  jobVia?: 'label' | 'legacyLabel' | 'owner';
}

function mkPod(o: PodSpecOpts): V1Pod {
  const labels: Record<string, string> = {};
  let ownerReferences: NonNullable<V1Pod['metadata']>['ownerReferences'];
  if (o.job) {
    if (o.jobVia === 'legacyLabel') labels['job-name'] = o.job;
    else if (o.jobVia === 'owner') {
      ownerReferences = [
        { apiVersion: 'batch/v1', kind: 'Job', name: o.job, uid: `uid-${o.job}`, controller: true },
      ];
    } else labels['batch.kubernetes.io/job-name'] = o.job;
  }
  return {
    metadata: { name: o.name, namespace: o.namespace ?? 'ns', labels, ownerReferences },
    spec: {
      nodeName: o.node,
      containers: [
        { name: 'c', resources: { requests: { cpu: o.cpu ?? '100m', memory: o.memory ?? '64Mi' } } },
      ],
      initContainers: o.initCpu ? [{ name: 'i', resources: { requests: { cpu: o.initCpu } } }] : undefined,
    },
    status: o.phase === undefined ? undefined : { phase: o.phase },
  };
}

describe('PodAggregates', () => {
  it('counts a bound running pod on its node, its job and its phase', () => {
    const agg = new PodAggregates();
    agg.apply(
      undefined,
      mkPod({ name: 'a', node: 'n1', phase: 'Running', cpu: '250m', memory: '128Mi', job: 'j' }),
    );
    expect(agg.node('n1')).toEqual({ podCount: 1, cpuMillis: 250, memoryBytes: 128 * MiB });
    expect(agg.job('ns', 'j')).toEqual({
      pending: 0,
      running: 1,
      succeeded: 0,
      failed: 0,
      unknown: 0,
      total: 1,
    });
    expect(agg.phaseCounts()).toEqual({ Pending: 0, Running: 1, Succeeded: 0, Failed: 0, Unknown: 0 });
    expect(agg.totals()).toEqual({ pods: 1, podCount: 1, cpuMillis: 250, memoryBytes: 128 * MiB });
  });

  it('answers zeros for unknown nodes and jobs, and hands out copies', () => {
    const agg = new PodAggregates();
    expect(agg.node('nope')).toEqual({ podCount: 0, cpuMillis: 0, memoryBytes: 0 });
    expect(agg.job('ns', 'nope').total).toBe(0);
    agg.apply(undefined, mkPod({ name: 'a', node: 'n1', phase: 'Running' }));
    const copy = agg.node('n1');
    copy.podCount = 99;
    expect(agg.node('n1').podCount).toBe(1);
  });

  it('reads live entries with nodeNow and jobNow: what node and job copy, as the pods are now', () => {
    const agg = new PodAggregates();
    const none = agg.jobNow('ns', 'j');
    expect(none).toEqual(agg.job('ns', 'j'));
    expect(Object.isFrozen(none)).toBe(true); // the shared zeros cannot be changed by a reader
    expect(Object.isFrozen(agg.nodeNow('n1'))).toBe(true);
    const pending = mkPod({ name: 'a', node: 'n1', phase: 'Pending', job: 'j' });
    agg.apply(undefined, pending);
    const live = agg.jobNow('ns', 'j');
    expect(live).toEqual(agg.job('ns', 'j'));
    expect(live).toMatchObject({ pending: 1, running: 0, total: 1 });
    agg.apply(pending, mkPod({ name: 'a', node: 'n1', phase: 'Running', job: 'j' }));
    // An entry is read at once (a field's value): after a change, read again.
    expect(agg.jobNow('ns', 'j')).toMatchObject({ pending: 0, running: 1, total: 1 });
    expect(agg.jobNow('ns', 'j')).toEqual(agg.job('ns', 'j'));
    expect(agg.jobNow('other', 'j').total).toBe(0);
    expect(agg.nodeNow('n1')).toEqual(agg.node('n1'));
  });

  it('uses effective requests (init containers) for node totals', () => {
    const agg = new PodAggregates();
    agg.apply(undefined, mkPod({ name: 'a', node: 'n1', phase: 'Pending', cpu: '100m', initCpu: '2' }));
    expect(agg.node('n1').cpuMillis).toBe(2000);
  });

  it('removes a pod from node totals when it succeeds, but keeps counting it in its job', () => {
    const agg = new PodAggregates();
    const running = mkPod({ name: 'a', node: 'n1', phase: 'Running', cpu: '500m', job: 'j' });
    const other = mkPod({ name: 'b', node: 'n1', phase: 'Running', cpu: '100m' });
    agg.apply(undefined, running);
    agg.apply(undefined, other);
    const done = mkPod({ name: 'a', node: 'n1', phase: 'Succeeded', cpu: '500m', job: 'j' });
    agg.apply(running, done);
    expect(agg.node('n1')).toEqual({ podCount: 1, cpuMillis: 100, memoryBytes: 64 * MiB });
    expect(agg.job('ns', 'j')).toMatchObject({ running: 0, succeeded: 1, total: 1 });
    expect(agg.phaseCounts()).toMatchObject({ Running: 1, Succeeded: 1 });
    expect(agg.totals().pods).toBe(2);
  });

  it('counts a Failed pod out of the node too, and forgets a node once it is empty', () => {
    const agg = new PodAggregates();
    const p = mkPod({ name: 'a', node: 'n1', phase: 'Running' });
    agg.apply(undefined, p);
    expect(agg.nodeNames()).toEqual(['n1']);
    agg.apply(p, mkPod({ name: 'a', node: 'n1', phase: 'Failed' }));
    expect(agg.node('n1').podCount).toBe(0);
    expect(agg.nodeNames()).toEqual([]);
  });

  it('moves a pod between nodes when it is bound or rebound', () => {
    const agg = new PodAggregates();
    const pending = mkPod({ name: 'a', phase: 'Pending', cpu: '300m' });
    agg.apply(undefined, pending);
    expect(agg.totals()).toMatchObject({ pods: 1, podCount: 0, cpuMillis: 0 }); // unbound: on no node
    const bound = mkPod({ name: 'a', node: 'n1', phase: 'Pending', cpu: '300m' });
    agg.apply(pending, bound);
    expect(agg.node('n1').cpuMillis).toBe(300);
    const rebound = mkPod({ name: 'a', node: 'n2', phase: 'Running', cpu: '300m' });
    agg.apply(bound, rebound);
    expect(agg.node('n1')).toEqual({ podCount: 0, cpuMillis: 0, memoryBytes: 0 });
    expect(agg.node('n2')).toEqual({ podCount: 1, cpuMillis: 300, memoryBytes: 64 * MiB });
  });

  it('keeps jobs of one name in different namespaces apart, and each one’s pods to itself', () => {
    const agg = new PodAggregates();
    const a = mkPod({ name: 'a', namespace: 'ns-a', phase: 'Running', job: 'j' });
    const b = mkPod({ name: 'b', namespace: 'ns-b', phase: 'Pending', job: 'j' });
    const b2 = mkPod({ name: 'b2', namespace: 'ns-b', phase: 'Failed', job: 'j', jobVia: 'owner' });
    for (const p of [a, b, b2]) agg.apply(undefined, p);
    expect(agg.jobNow('ns-a', 'j')).toMatchObject({ running: 1, pending: 0, failed: 0, total: 1 });
    expect(agg.job('ns-b', 'j')).toMatchObject({ running: 0, pending: 1, failed: 1, total: 2 });
    // A job's name in a namespace it is not in counts nothing, whatever the other namespaces hold.
    expect(agg.jobNow('ns-c', 'j').total).toBe(0);
    expect(agg.jobNow('ns-a', 'ns-b').total).toBe(0);
    agg.apply(a, undefined);
    expect(agg.job('ns-a', 'j').total).toBe(0);
    expect(agg.jobNow('ns-b', 'j').total).toBe(2);
    // Emptied and filled again: counted from zero.
    agg.apply(undefined, a);
    expect(agg.jobNow('ns-a', 'j')).toMatchObject({ running: 1, total: 1 });
  });

  it('removes everything a deleted pod contributed', () => {
    const agg = new PodAggregates();
    const p = mkPod({ name: 'a', node: 'n1', phase: 'Running', job: 'j', jobVia: 'owner' });
    agg.apply(undefined, p);
    agg.apply(p, undefined);
    expect(agg.node('n1').podCount).toBe(0);
    expect(agg.job('ns', 'j').total).toBe(0);
    expect(agg.totals()).toEqual({ pods: 0, podCount: 0, cpuMillis: 0, memoryBytes: 0 });
    expect(Object.values(agg.phaseCounts()).every((n) => n === 0)).toBe(true);
  });

  it('finds job membership by new label, legacy label and controller ownerReference, per namespace', () => {
    const agg = new PodAggregates();
    agg.apply(undefined, mkPod({ name: 'a', phase: 'Pending', job: 'j', jobVia: 'label' }));
    agg.apply(undefined, mkPod({ name: 'b', phase: 'Running', job: 'j', jobVia: 'legacyLabel' }));
    agg.apply(undefined, mkPod({ name: 'c', phase: 'Failed', job: 'j', jobVia: 'owner' }));
    agg.apply(undefined, mkPod({ name: 'd', namespace: 'other', phase: 'Unknown', job: 'j' }));
    agg.apply(undefined, mkPod({ name: 'e', phase: 'Running' }));
    expect(agg.job('ns', 'j')).toEqual({
      pending: 1,
      running: 1,
      succeeded: 0,
      failed: 1,
      unknown: 0,
      total: 3,
    });
    expect(agg.job('other', 'j')).toMatchObject({ unknown: 1, total: 1 });
  });

  it('treats a missing phase as Pending and an unrecognised one as Unknown', () => {
    expect(podPhase(mkPod({ name: 'a' }))).toBe('Pending');
    expect(podPhase(mkPod({ name: 'a', phase: 'Exploded' }))).toBe('Unknown');
  });

  it('reset recomputes from a pod list', () => {
    const agg = new PodAggregates();
    agg.apply(undefined, mkPod({ name: 'stale', node: 'n9', phase: 'Running' }));
    agg.reset([
      mkPod({ name: 'a', node: 'n1', phase: 'Running' }),
      mkPod({ name: 'b', node: 'n1', phase: 'Succeeded' }),
    ]);
    expect(agg.node('n9').podCount).toBe(0);
    expect(agg.node('n1').podCount).toBe(1);
    expect(agg.totals().pods).toBe(2);
  });

  it('works on trimmed, frozen pods as stored by the informer', () => {
    const agg = new PodAggregates();
    const p = transformObject('Pod', fixturePod({ nodeName: 'node-a' }));
    agg.apply(undefined, p);
    // web 250m/128Mi vs init migrate 500m/256Mi: the init container wins.
    expect(agg.node('node-a')).toEqual({ podCount: 1, cpuMillis: 500, memoryBytes: 256 * MiB });
  });
});

// ---- property test: incremental == from scratch over random transitions -------------------

/** mulberry32: small, seeded, good enough to explore transition orders reproducibly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent of PodAggregates: a plain scan with the same rules, written out. */
function naive(pods: Iterable<V1Pod>, effective: (p: V1Pod) => { cpuMillis: number; memoryBytes: number }) {
  const nodes = new Map<string, NodeUsage>();
  const jobs = new Map<string, JobPodCounts>();
  const phases: Record<string, number> = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
  for (const p of pods) {
    const phase = p.status?.phase ?? 'Pending';
    phases[phase in phases ? phase : 'Unknown']++;
    const node = p.spec?.nodeName;
    if (node && phase !== 'Succeeded' && phase !== 'Failed') {
      const u = nodes.get(node) ?? { podCount: 0, cpuMillis: 0, memoryBytes: 0 };
      const r = effective(p);
      nodes.set(node, {
        podCount: u.podCount + 1,
        cpuMillis: u.cpuMillis + r.cpuMillis,
        memoryBytes: u.memoryBytes + r.memoryBytes,
      });
    }
    const owner = p.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'Job');
    const job =
      owner?.name ?? p.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? p.metadata?.labels?.['job-name'];
    if (job) {
      const key = `${p.metadata?.namespace}/${job}`;
      const c = jobs.get(key) ?? { pending: 0, running: 0, succeeded: 0, failed: 0, unknown: 0, total: 0 };
      const field = (phase in phases ? phase : 'Unknown').toLowerCase() as keyof JobPodCounts;
      c[field]++;
      c.total++;
      jobs.set(key, c);
    }
  }
  return { nodes, jobs, phases };
}

describe('PodAggregates, property: incremental equals recomputation', () => {
  const NODES = ['n1', 'n2', 'n3', undefined];
  const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', undefined];
  const CPUS = ['50m', '100m', '250m', '1', '1500m'];
  const MEMS = ['64Mi', '128Mi', '1Gi', '500M'];
  const JOBS = ['j1', 'j2', undefined];
  const VIAS = ['label', 'legacyLabel', 'owner'] as const;

  for (const seed of [1, 7, 42, 2024, 99991]) {
    it(`seed ${seed}`, () => {
      const rnd = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const store = new Indexer(podIndexers);
      const agg = new PodAggregates();
      for (let step = 0; step < 2000; step++) {
        const name = `p${Math.floor(rnd() * 30)}`;
        const namespace = pick(['a', 'b']);
        if (rnd() < 0.2) {
          // delete, with the stored object as prev (what Indexer.delete returns)
          agg.apply(store.delete(`${namespace}/${name}`), undefined);
        } else {
          const next = transformObject(
            'Pod',
            mkPod({
              name,
              namespace,
              node: pick(NODES),
              phase: pick(PHASES),
              cpu: pick(CPUS),
              memory: pick(MEMS),
              initCpu: rnd() < 0.3 ? pick(CPUS) : undefined,
              job: pick(JOBS),
              jobVia: pick(VIAS),
            }),
          );
          agg.apply(store.update(next), next);
        }
        if (step % 250 === 0 && rnd() < 0.3) agg.reset(store.list()); // a relist mid-stream
      }
      const expected = naive(store.list(), effectivePodRequests);
      for (const n of ['n1', 'n2', 'n3']) {
        expect(agg.node(n), n).toEqual(
          expected.nodes.get(n) ?? { podCount: 0, cpuMillis: 0, memoryBytes: 0 },
        );
      }
      expect(agg.nodeNames().sort()).toEqual([...expected.nodes.keys()].sort());
      for (const ns of ['a', 'b']) {
        for (const j of ['j1', 'j2']) {
          expect(agg.job(ns, j), `${ns}/${j}`).toEqual(
            expected.jobs.get(`${ns}/${j}`) ?? {
              pending: 0,
              running: 0,
              succeeded: 0,
              failed: 0,
              unknown: 0,
              total: 0,
            },
          );
        }
      }
      expect(agg.phaseCounts()).toEqual(expected.phases);
      expect(agg.totals().pods).toBe(store.size);
      const fresh = new PodAggregates();
      fresh.reset(store.list());
      expect(agg.totals()).toEqual(fresh.totals());
      // The cluster-wide sums are kept beside the node entries: they equal the entries' sum.
      const sum = { pods: store.size, podCount: 0, cpuMillis: 0, memoryBytes: 0 };
      for (const u of expected.nodes.values()) {
        sum.podCount += u.podCount;
        sum.cpuMillis += u.cpuMillis;
        sum.memoryBytes += u.memoryBytes;
      }
      expect(agg.totals()).toEqual(sum);
      // The sequence did exercise terminated and rebound pods.
      expect(store.size).toBeGreaterThan(10);
    });
  }
});

describe('JobAggregates, against a recount after a random sequence of changes', () => {
  const CONDITIONS = [
    [],
    [{ type: 'Complete', status: 'True' }],
    [{ type: 'Failed', status: 'True' }],
    [{ type: 'Suspended', status: 'True' }],
    [{ type: 'Complete', status: 'False' }],
  ];

  for (const seed of [3, 11, 2026]) {
    it(`seed ${seed}`, () => {
      const rnd = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const store = new Map<string, V1Job>();
      const agg = new JobAggregates();
      for (let step = 0; step < 1000; step++) {
        const namespace = pick(['a', 'b', 'c']);
        const key = `${namespace}/j${Math.floor(rnd() * 20)}`;
        const prev = store.get(key);
        if (rnd() < 0.2) {
          store.delete(key);
          agg.apply(prev, undefined);
        } else {
          const next: V1Job = {
            metadata: { namespace, name: key.split('/')[1] },
            spec: { template: {}, suspend: rnd() < 0.1 },
            status: { conditions: pick(CONDITIONS) as V1JobCondition[] },
          };
          store.set(key, next);
          agg.apply(prev, next);
        }
        if (step % 250 === 0 && rnd() < 0.3) agg.reset(store.values()); // a relist mid-stream
      }
      const zero = () => Object.fromEntries(JOB_STATES.map((st) => [st, 0]));
      const all: Record<string, number> = zero();
      const perNamespace = new Map<string, Record<string, number>>();
      for (const job of store.values()) {
        const ns = job.metadata?.namespace ?? '';
        const counts = perNamespace.get(ns) ?? zero();
        perNamespace.set(ns, counts);
        counts[jobState(job)] += 1;
        all[jobState(job)] += 1;
      }
      for (const ns of ['a', 'b', 'c']) expect(agg.namespace(ns), ns).toEqual(perNamespace.get(ns) ?? zero());
      expect(agg.totals()).toEqual(all);
      expect(new Set(JOB_STATES.filter((st) => all[st] > 0)).size).toBeGreaterThan(2); // the states were exercised
    });
  }
});

describe('NodeAggregates, against the numbers the nodes were made of', () => {
  for (const seed of [5, 17, 2027]) {
    it(`seed ${seed}`, () => {
      const rnd = mulberry32(seed);
      // What each node was made with, in the units the summary answers in; a quantity left
      // out (or malformed, which the API server would refuse) counts 0.
      interface Made {
        node: V1Node;
        ready: boolean;
        capacity: [number, number, number];
        allocatable: [number, number, number];
      }
      const made = new Map<string, Made>();
      const agg = new NodeAggregates();
      const quantities = (): { list: Record<string, string>; sums: [number, number, number] } => {
        const millis = Math.floor(rnd() * 8) * 250; // "0m" .. "1750m", or whole cores below
        const gib = 1 + Math.floor(rnd() * 64);
        const pods = 10 + Math.floor(rnd() * 100);
        const list: Record<string, string> = {};
        const sums: [number, number, number] = [0, 0, 0];
        if (rnd() < 0.9) {
          list.cpu = millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
          sums[0] = millis;
        }
        if (rnd() < 0.9) {
          list.memory = `${gib}Gi`;
          sums[1] = gib * 1024 ** 3;
        } else if (rnd() < 0.5) list.memory = 'lots'; // malformed: 0
        if (rnd() < 0.9) {
          list.pods = String(pods);
          sums[2] = pods;
        }
        return { list, sums };
      };
      for (let step = 0; step < 1000; step++) {
        const name = `n${Math.floor(rnd() * 30)}`;
        const prev = made.get(name);
        if (rnd() < 0.15) {
          made.delete(name);
          agg.apply(prev?.node, undefined);
        } else {
          const ready = rnd() < 0.7;
          const capacity = quantities();
          const allocatable = quantities();
          const node: V1Node = {
            metadata: { name },
            status: {
              capacity: capacity.list,
              allocatable: allocatable.list,
              conditions: [
                { type: 'MemoryPressure', status: 'False' },
                ...(rnd() < 0.95
                  ? [{ type: 'Ready', status: ready ? 'True' : pick(rnd, ['False', 'Unknown']) }]
                  : []),
              ],
            },
          };
          const hasReady = node.status!.conditions!.some((c) => c.type === 'Ready');
          made.set(name, {
            node,
            ready: ready && hasReady,
            capacity: capacity.sums,
            allocatable: allocatable.sums,
          });
          agg.apply(prev?.node, node);
        }
        if (step % 250 === 0 && rnd() < 0.3) agg.reset([...made.values()].map((m) => m.node)); // a relist
      }
      const want = {
        nodes: made.size,
        readyNodes: [...made.values()].filter((m) => m.ready).length,
        capacity: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
        allocatable: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
      };
      for (const m of made.values())
        for (const which of ['capacity', 'allocatable'] as const) {
          want[which].cpuMillis += m[which][0];
          want[which].memoryBytes += m[which][1];
          want[which].pods += m[which][2];
        }
      expect(agg.totals()).toEqual(want);
      expect(nodeTotalsOf([...made.values()].map((m) => m.node))).toEqual(want);
      // The sequence left ready and unready nodes both.
      expect(want.readyNodes).toBeGreaterThan(0);
      expect(want.readyNodes).toBeLessThan(want.nodes);
    });
  }

  it('hands out copies', () => {
    const agg = new NodeAggregates();
    agg.apply(undefined, { metadata: { name: 'a' }, status: { capacity: { cpu: '2' } } });
    const t = agg.totals();
    t.capacity.cpuMillis = 1;
    expect(agg.totals().capacity.cpuMillis).toBe(2000);
  });
});

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}
