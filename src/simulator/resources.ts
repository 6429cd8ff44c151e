/**
 * Resource arithmetic shared by the simulator's scheduler, its pod defaulting and the
 * scenario: quantities as numbers, a pod's effective request as kube-scheduler computes it,
 * and its QoS class as the API server computes it. The simulator stands alone (no import
 * from the gateway's kube layer), hence its own small quantity parser; validation.ts has
 * already refused what does not parse by the time anything here reads a quantity.
 */

type Json = Record<string, unknown>;

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A quantity ("250m", "1.5", "128Mi", "1e3", 2) in base units (cores, bytes); 0 when absent or unreadable. */
export function quantityValue(q: unknown): number {
  if (typeof q === 'number') return Number.isFinite(q) ? q : 0;
  if (typeof q !== 'string') return 0;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([a-zA-Z]*))$/.exec(q.trim());
  if (!m) return 0;
  if (m[2]) return Number(`${m[1]}${m[2]}`);
  const factor = SUFFIX[m[3] ?? ''];
  return factor === undefined ? 0 : Number(m[1]) * factor;
}

/** What a pod asks of a node: millicores, bytes and one pod slot. */
export interface PodRequest {
  milliCpu: number;
  memory: number;
}

function containerRequest(c: Json): PodRequest {
  const requests = ((c.resources as Json | undefined)?.requests ?? {}) as Json;
  return {
    milliCpu: Math.round(quantityValue(requests.cpu) * 1000),
    memory: Math.round(quantityValue(requests.memory)),
  };
}

const requestMemo = new WeakMap<object, PodRequest>();

/**
 * kube-scheduler's effective request (resource.PodRequests): the app containers' sum plus
 * restartable init containers (sidecars), or the largest regular init container with the
 * sidecars started before it, whichever is larger; plus `spec.overhead`. Memoised per
 * spec object, as pods share frozen specs.
 */
export function podRequest(spec: Json | undefined): PodRequest {
  if (!spec) return { milliCpu: 0, memory: 0 };
  const cached = requestMemo.get(spec);
  if (cached) return cached;
  let cpu = 0;
  let memory = 0;
  for (const c of (spec.containers ?? []) as Json[]) {
    const r = containerRequest(c);
    cpu += r.milliCpu;
    memory += r.memory;
  }
  let sidecarCpu = 0;
  let sidecarMemory = 0;
  let initCpu = 0;
  let initMemory = 0;
  for (const c of (spec.initContainers ?? []) as Json[]) {
    const r = containerRequest(c);
    if (c.restartPolicy === 'Always') {
      sidecarCpu += r.milliCpu;
      sidecarMemory += r.memory;
      continue;
    }
    initCpu = Math.max(initCpu, r.milliCpu + sidecarCpu);
    initMemory = Math.max(initMemory, r.memory + sidecarMemory);
  }
  const overhead = (spec.overhead ?? {}) as Json;
  const out = {
    milliCpu: Math.max(cpu + sidecarCpu, initCpu) + Math.round(quantityValue(overhead.cpu) * 1000),
    memory: Math.max(memory + sidecarMemory, initMemory) + Math.round(quantityValue(overhead.memory)),
  };
  if (Object.isFrozen(spec)) requestMemo.set(spec, out);
  return out;
}

/**
 * The QoS class (qos.GetPodQOS, v1.31): BestEffort when no container (init containers
 * included) requests or limits cpu or memory; Guaranteed when every container limits both
 * and requests (defaulted from limits) equal them; Burstable otherwise.
 */
export function podQosClass(spec: Json): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...((spec.initContainers ?? []) as Json[]), ...((spec.containers ?? []) as Json[])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const resources = (c.resources ?? {}) as Json;
    const requests = (resources.requests ?? {}) as Json;
    const limits = (resources.limits ?? {}) as Json;
    for (const name of ['cpu', 'memory']) {
      const request = requests[name] ?? limits[name];
      if (request !== undefined && quantityValue(request) !== 0) any = true;
      if (limits[name] !== undefined) any = true;
      if (limits[name] === undefined || quantityValue(request) !== quantityValue(limits[name]))
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
