import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { totalCPU, totalMemory } from '@kubernetes/client-node/dist/util.js';
import { describe, expect, it } from 'vitest';
import { cpuMillis, effectivePodRequests, memoryBytes } from '../../src/kube/quantity.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('cpuMillis', () => {
  it.each([
    ['1500m', 1500],
    ['2', 2000],
    ['0.5', 500],
    ['100m', 100],
    ['0.7', 700], // 0.7 * 1000 is 700.0000000000001 in floating point: not rounded up
    ['1n', 1], // Kubernetes rounds MilliValue up
    ['250000u', 250],
    ['1e3', 1_000_000],
    ['1k', 1_000_000],
    ['0', 0],
  ])('%s → %d', (q, m) => {
    expect(cpuMillis(q)).toBe(m);
  });

  it('treats an absent quantity as 0', () => {
    expect(cpuMillis(undefined)).toBe(0);
    expect(cpuMillis('')).toBe(0);
  });

  it('rejects malformed quantities, saying what it expected and received', () => {
    expect(() => cpuMillis('lots')).toThrow(/expected a Kubernetes quantity .* received "lots"/);
    expect(() => cpuMillis('2Zi')).toThrow(/received "2Zi"/);
  });
});

describe('memoryBytes', () => {
  it.each([
    ['2Gi', 2 * GiB],
    ['128M', 128_000_000],
    ['128Mi', 128 * MiB],
    ['1Ki', 1024],
    ['1000', 1000],
    ['1.5Gi', 1.5 * GiB], // a fractional mantissa that quantityToScalar alone throws on
    ['0.5M', 500_000],
    ['1E', 10 ** 18],
  ])('%s → %d', (q, b) => {
    expect(memoryBytes(q)).toBe(b);
  });

  it('gives the same answer from its cache', () => {
    expect(memoryBytes('3Gi')).toBe(3 * GiB);
    expect(memoryBytes('3Gi')).toBe(3 * GiB);
  });
});

function c(name: string, cpu?: string, memory?: string, restartPolicy?: string): V1Container {
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return { name, resources: { requests }, restartPolicy };
}

function podOf(spec: Partial<NonNullable<V1Pod['spec']>>): V1Pod {
  return { metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [], ...spec } };
}

describe('effectivePodRequests (k8s.io/component-helpers resource.PodRequests)', () => {
  it('sums app containers', () => {
    const p = podOf({ containers: [c('a', '100m', '64Mi'), c('b', '250m', '128Mi'), c('c')] });
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 350, memoryBytes: 192 * MiB });
  });

  it('takes an init container bigger than the app containers, where client-node totalCPU/totalMemory do not', () => {
    const p = podOf({
      initContainers: [c('migrate', '2', '1Gi')],
      containers: [c('web', '500m', '256Mi')],
    });
    // client-node sums the app containers only: what the scheduler reserves is larger.
    expect(Number(totalCPU(p).request) * 1000).toBe(500);
    expect(Number(totalMemory(p).request)).toBe(256 * MiB);
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 2000, memoryBytes: GiB });
  });

  it('takes the max per resource independently', () => {
    const p = podOf({
      initContainers: [c('cpu-heavy', '4', '64Mi')],
      containers: [c('web', '1', '2Gi')],
    });
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 4000, memoryBytes: 2 * GiB });
  });

  it('adds sidecars (restartable init containers) to the app containers', () => {
    const p = podOf({
      initContainers: [c('proxy', '100m', '50Mi', 'Always')],
      containers: [c('web', '500m', '256Mi')],
    });
    expect(Number(totalCPU(p).request) * 1000).toBe(500); // the sidecar is invisible to client-node
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 600, memoryBytes: 306 * MiB });
  });

  it('adds to each later init container the sidecars started before it, not the ones after', () => {
    const p = podOf({
      initContainers: [
        c('setup', '1', '100Mi'), // nothing started before: 1000m
        c('proxy', '300m', '200Mi', 'Always'), // running from here on
        c('migrate', '2', '1Gi'), // 2000m + 300m = 2300m, 1Gi + 200Mi
        c('log', '200m', '10Mi', 'Always'),
      ],
      containers: [c('web', '100m', '100Mi')],
    });
    // app + sidecars: 100 + 300 + 200 = 600m, 310Mi; init phase peak: 2300m, 1224Mi.
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 2300, memoryBytes: 1224 * MiB });
  });

  it('lets the sidecars dominate when they outweigh every init container', () => {
    const p = podOf({
      initContainers: [
        c('s1', '1', '1Gi', 'Always'),
        c('s2', '1', '1Gi', 'Always'),
        c('init', '500m', '1Mi'),
      ],
      containers: [c('web', '1', '1Gi')],
    });
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 3000, memoryBytes: 3 * GiB });
  });

  it('adds spec.overhead after taking the max', () => {
    const p = podOf({
      initContainers: [c('big', '2', '1Gi')],
      containers: [c('web', '500m', '256Mi')],
      overhead: { cpu: '250m', memory: '120Mi' },
    });
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 2250, memoryBytes: GiB + 120 * MiB });
  });

  it('uses pod-level requests where set, per resource, then adds overhead', () => {
    const p = podOf({
      containers: [c('web', '500m', '256Mi')],
      resources: { requests: { cpu: '3' } },
      overhead: { cpu: '100m' },
    });
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 3100, memoryBytes: 256 * MiB });
  });

  it('counts a malformed quantity as 0 instead of throwing, and a pod without spec as nothing', () => {
    const p = podOf({ containers: [c('web', 'lots', '1Gi'), c('b', '100m')] });
    expect(effectivePodRequests(p)).toEqual({ cpuMillis: 100, memoryBytes: GiB });
    expect(effectivePodRequests({ metadata: { name: 'x' } })).toEqual({ cpuMillis: 0, memoryBytes: 0 });
  });
});
