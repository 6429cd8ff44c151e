/**
 * Resource quantities and a pod's effective requests.
 *
 * Parsing is client-node's `quantityToScalar` (not re-exported from the package index, hence
 * the deep import); we only convert its number-or-bigint to integer millicores and bytes.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';

export interface PodRequests {
  cpuMillis: number;
  memoryBytes: number;
}

/**
 * `quantityToScalar` turns a binary/decimal-SI suffix into `BigInt(mantissa) * multiplier`, so it
 * throws on a fractional mantissa such as "1.5Gi" — a valid quantity that an API server would
 * canonicalize to "1536Mi" but a hand-written manifest or a simulator may still carry. Retry as
 * mantissa × the suffix's multiplier, still asking client-node what the suffix means.
 */
function toScalar(q: string): number {
  try {
    const v = quantityToScalar(q);
    return typeof v === 'bigint' ? Number(v) : v;
  } catch (err) {
    const m = /^([+-]?(?:\d+\.?\d*|\.\d+))([a-zA-Z]+)$/.exec(q);
    if (m !== null) {
      try {
        return Number(m[1]) * Number(quantityToScalar(`1${m[2]}`)); // throws for an unknown suffix
      } catch {
        // fall through to the error that names the quantity
      }
    }
    throw new Error(
      `expected a Kubernetes quantity such as "500m", "2" or "1Gi", received ${JSON.stringify(q)}`,
      {
        cause: err,
      },
    );
  }
}

/** A quantity's exact value as a number ("250m" -> 0.25, "1Ki" -> 1024); malformed -> throws. Not rounded, not cached. */
export function quantityValue(q: string): number {
  return toScalar(q);
}

/**
 * Kubernetes rounds MilliValue()/Value() up ("1n" CPU is 1m). Float noise from the division in
 * quantityToScalar (e.g. 0.7 * 1000 = 700.0000000000001) must not be rounded up, hence the epsilon.
 */
function ceilInt(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-6 ? r : Math.ceil(v);
}

// Quantity strings repeat massively ("100m", "128Mi"), and aggregates re-read them on every pod
// update, so memoize. Cleared when full rather than LRU: cheaper, and refilling is cheap too.
const CACHE_MAX = 4096;
const cpuCache = new Map<string, number>();
const memCache = new Map<string, number>();

function cached(cache: Map<string, number>, q: string, scale: number): number {
  let v = cache.get(q);
  if (v === undefined) {
    v = ceilInt(toScalar(q) * scale);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(q, v);
  }
  return v;
}

/** CPU quantity → integer millicores ("1500m" → 1500, "2" → 2000, "0.5" → 500). Absent → 0; malformed → throws. */
export function cpuMillis(q: string | undefined): number {
  if (q === undefined || q === '') return 0;
  return cached(cpuCache, q, 1000);
}

/** Memory quantity → integer bytes ("2Gi" → 2147483648, "128M" → 128000000). Absent → 0; malformed → throws. */
export function memoryBytes(q: string | undefined): number {
  if (q === undefined || q === '') return 0;
  return cached(memCache, q, 1);
}

/**
 * Aggregates must not throw halfway through an update, and the API server rejects malformed
 * quantities anyway, so inside effectivePodRequests a malformed quantity counts as 0.
 */
function lenient(parse: (q: string | undefined) => number, q: string | undefined): number {
  try {
    return parse(q);
  } catch {
    return 0;
  }
}

function requestsOf(requests: Readonly<Record<string, string>> | undefined): PodRequests {
  return {
    cpuMillis: lenient(cpuMillis, requests?.cpu),
    memoryBytes: lenient(memoryBytes, requests?.memory),
  };
}

function containerRequests(c: V1Container): PodRequests {
  return requestsOf(c.resources?.requests);
}

/**
 * What the scheduler reserves for a pod, per k8s.io/component-helpers resource.PodRequests:
 *
 *   max( Σ app containers + Σ sidecars,
 *        max over init containers i of: sidecars started before i + (i itself, or for a sidecar
 *        the running total of sidecars including i) )  + spec.overhead
 *
 * computed per resource. Sidecars are init containers with restartPolicy 'Always': they keep
 * running next to the app containers, so they count towards both terms. Pod-level
 * `spec.resources.requests` (PodLevelResources), where set for cpu or memory, replaces the
 * container sum for that resource. Not modelled: in-place resize (status resources), and
 * API-server defaulting (requests = limits when only limits are set), which happens before
 * a pod is stored.
 */
export function effectivePodRequests(pod: V1Pod): PodRequests {
  const spec = pod.spec;
  if (spec === undefined) return { cpuMillis: 0, memoryBytes: 0 };
  let cpu = 0;
  let mem = 0;
  for (const c of spec.containers ?? []) {
    const r = containerRequests(c);
    cpu += r.cpuMillis;
    mem += r.memoryBytes;
  }
  let sidecarCpu = 0;
  let sidecarMem = 0;
  let initCpu = 0;
  let initMem = 0;
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      cpu += r.cpuMillis;
      mem += r.memoryBytes;
      sidecarCpu += r.cpuMillis;
      sidecarMem += r.memoryBytes;
      initCpu = Math.max(initCpu, sidecarCpu);
      initMem = Math.max(initMem, sidecarMem);
    } else {
      initCpu = Math.max(initCpu, r.cpuMillis + sidecarCpu);
      initMem = Math.max(initMem, r.memoryBytes + sidecarMem);
    }
  }
  cpu = Math.max(cpu, initCpu);
  mem = Math.max(mem, initMem);
  const podLevel = spec.resources?.requests;
  if (podLevel?.cpu !== undefined) cpu = lenient(cpuMillis, podLevel.cpu);
  if (podLevel?.memory !== undefined) mem = lenient(memoryBytes, podLevel.memory);
  const overhead = requestsOf(spec.overhead);
  return { cpuMillis: cpu + overhead.cpuMillis, memoryBytes: mem + overhead.memoryBytes };
}
