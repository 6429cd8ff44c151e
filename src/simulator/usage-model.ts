/**
 * The usage model behind metrics.k8s.io: what each running container uses, as a pure
 * function of (pod uid, container name, time bucket), so that the same clock gives the same
 * numbers in every request and nothing is stored per pod. A bucket is `floor(now /
 * resolution)`: values change exactly once per `--metrics-resolution`, as metrics-server's
 * do after each scrape.
 *
 * Each container draws a profile from its identity: a CPU fraction of its request, a memory
 * fraction, and a class — most below their requests, some above (CPU bursts, memory over the
 * request but under the limit), a few at 90–99 % of their memory limit (the pods a dashboard
 * should warn about). Per bucket, CPU moves ±25 % and memory ±3 % around a slow wave, so a
 * page refreshed twice sees values drift. Containers without requests use small absolute
 * values. A node uses the sum of its running pods plus its system overhead (kubelet, runtime,
 * OS), drawn from its name.
 */

import { quantityValue } from './resources.js';
import { mulberry32 } from './scenario/random.js';
import type { KubeObject } from './types.js';

type Json = Record<string, unknown>;

/** What metrics-server reports for one container or node: CPU in nanocores, memory working set in bytes. */
export interface Usage {
  cpuNanos: number;
  memoryBytes: number;
}

/** How a container's memory behaves; exported for tests that look for each class. */
export type MemoryClass = 'normal' | 'overRequest' | 'nearLimit';

const PAGE = 4096;
const MI = 2 ** 20;

/** FNV-1a over a string: a stable 32-bit seed. */
export function hashSeed(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The bucket a time falls in: values change when it does. */
export function usageBucket(nowMs: number, resolutionMs: number): number {
  return Math.floor(nowMs / resolutionMs);
}

interface Profile {
  cpuFraction: number;
  memoryFraction: number;
  memoryClass: MemoryClass;
  /** Period of the slow wave, in buckets, and its phase. */
  period: number;
  phase: number;
}

function profileOf(seed: number, hasMemoryLimit: boolean): Profile {
  const random = mulberry32(seed);
  const cpuRoll = random();
  // 15 % of containers run above their CPU request (CPU is compressible: no limit to hit).
  const cpuFraction = cpuRoll < 0.15 ? 1.05 + random() * 0.6 : 0.05 + random() * 0.75;
  const memRoll = random();
  let memoryClass: MemoryClass = 'normal';
  if (hasMemoryLimit && memRoll < 0.08) memoryClass = 'nearLimit';
  else if (memRoll < 0.2) memoryClass = 'overRequest';
  const memoryFraction =
    memoryClass === 'nearLimit'
      ? 0.915 + random() * 0.05
      : memoryClass === 'overRequest'
        ? 1.05 + random() * 0.4
        : 0.3 + random() * 0.55;
  return {
    cpuFraction,
    memoryFraction,
    memoryClass,
    period: 20 + Math.floor(random() * 60),
    phase: random(),
  };
}

/** One draw in [-1, 1) for (seed, bucket, salt): integer mixing, no strings (this runs per container per request). */
function jitter(seed: number, bucket: number, salt: number): number {
  return mulberry32((seed ^ Math.imul(bucket, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0)() * 2 - 1;
}

function wave(p: Profile, bucket: number): number {
  return Math.sin(2 * Math.PI * (bucket / p.period + p.phase));
}

function roundToPage(bytes: number): number {
  return Math.max(PAGE, Math.round(bytes / PAGE) * PAGE);
}

/** A container's requests and limits in numbers (undefined where absent). */
export interface Resources {
  cpuRequest?: number;
  memoryRequest?: number;
  memoryLimit?: number;
}

/** Parsed once per resources object: the scenario shares one frozen object among a workload's pods. */
const parsed = new WeakMap<object, Resources>();

export function resourcesOf(container: Json): Resources {
  const r = (container.resources ?? {}) as { requests?: Json; limits?: Json };
  const cached = parsed.get(r);
  if (cached) return cached;
  const value = (v: unknown) => (v === undefined ? undefined : quantityValue(v));
  const out = {
    // An unset request is defaulted from the limit, as the API server does.
    cpuRequest: value(r.requests?.cpu ?? r.limits?.cpu),
    memoryRequest: value(r.requests?.memory ?? r.limits?.memory),
    memoryLimit: value(r.limits?.memory),
  };
  if (typeof r === 'object') parsed.set(r, out);
  return out;
}

/** The memory class a container is in (fixed for its life). */
export function memoryClassOf(podUid: string, container: Json): MemoryClass {
  const res = resourcesOf(container);
  return profileOf(hashSeed(`${podUid}/${container.name}`), res.memoryLimit !== undefined).memoryClass;
}

/** What a container uses during `bucket`. */
export function containerUsage(podUid: string, container: Json, bucket: number): Usage {
  const identity = hashSeed(`${podUid}/${container.name}`);
  const res = resourcesOf(container);
  const p = profileOf(identity, res.memoryLimit !== undefined);
  const w = wave(p, bucket);

  const cpuBase =
    res.cpuRequest !== undefined ? res.cpuRequest * p.cpuFraction : 0.001 + p.cpuFraction * 0.03;
  const cpu = cpuBase * (1 + 0.15 * w + 0.1 * jitter(identity, bucket, 1));
  const cpuNanos = Math.max(1000, Math.round(cpu * 1e9));

  let memory: number;
  if (res.memoryRequest === undefined) {
    memory = (8 + p.memoryFraction * 100) * MI * (1 + 0.02 * w);
  } else if (p.memoryClass === 'nearLimit' && res.memoryLimit !== undefined) {
    // Stays within 90–99 % of the limit: close enough to be OOM-killed, never past it.
    memory = res.memoryLimit * Math.min(0.985, Math.max(0.905, p.memoryFraction + 0.015 * w));
  } else {
    memory = res.memoryRequest * p.memoryFraction * (1 + 0.02 * w + 0.01 * jitter(identity, bucket, 2));
    // Over the request, but never near the limit: that is the nearLimit class's place.
    if (res.memoryLimit !== undefined) memory = Math.min(memory, res.memoryLimit * 0.88);
  }
  return { cpuNanos, memoryBytes: roundToPage(memory) };
}

/** What a node's system (kubelet, runtime, OS) uses during `bucket`, on top of its pods. */
export function systemOverhead(nodeName: string, bucket: number): Usage {
  const seed = hashSeed(`node/${nodeName}`);
  const random = mulberry32(seed);
  const cpu = (0.08 + random() * 0.17) * (1 + 0.2 * jitter(seed, bucket, 3));
  const memory = (600 + random() * 600) * MI * (1 + 0.02 * jitter(seed, bucket, 4));
  return { cpuNanos: Math.round(cpu * 1e9), memoryBytes: roundToPage(memory) };
}

/**
 * The containers of a pod that have metrics: a Running pod's running containers (what the
 * kubelet's summary reports, so metrics-server too); none for any other pod.
 */
export function measuredContainers(pod: KubeObject): Json[] {
  if (pod.status?.phase !== 'Running') return [];
  const running = new Set<string>();
  for (const s of (pod.status?.containerStatuses ?? []) as Json[]) {
    if ((s.state as Json | undefined)?.running) running.add(s.name as string);
  }
  return ((pod.spec?.containers ?? []) as Json[]).filter((c) => running.has(c.name as string));
}

export type PodUsage = readonly { name: string; usage: Usage }[];

/**
 * The last bucket's answer per stored pod object. Stored objects are immutable (an update
 * stores a new one), so the object is the key: a node list and a pod list in the same bucket
 * compute each pod once, and a replaced pod's entry goes with it.
 */
const lastBucket = new WeakMap<KubeObject, { bucket: number; usage: PodUsage }>();

/** Each measured container of a pod with what it uses during `bucket`; empty when the pod has no metrics. */
export function podUsage(pod: KubeObject, bucket: number): PodUsage {
  const hit = lastBucket.get(pod);
  if (hit?.bucket === bucket) return hit.usage;
  const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
  const usage = measuredContainers(pod).map((c) => ({
    name: c.name as string,
    usage: containerUsage(uid, c, bucket),
  }));
  lastBucket.set(pod, { bucket, usage });
  return usage;
}

export function sumUsage(parts: Iterable<Usage>): Usage {
  let cpuNanos = 0;
  let memoryBytes = 0;
  for (const u of parts) {
    cpuNanos += u.cpuNanos;
    memoryBytes += u.memoryBytes;
  }
  return { cpuNanos, memoryBytes };
}

const DECIMAL_SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * A CPU value as resource.Quantity prints one made by NewScaledQuantity(nanocores, Nano):
 * the largest suffix that keeps the number whole ("123456789n", "250m", "2").
 */
export function formatCpu(nanos: number): string {
  if (nanos === 0) return '0';
  // Numbers are exact here: usage stays far below 2^53 nanocores or bytes.
  let n = Math.round(nanos);
  let i = 0;
  while (n % 1000 === 0 && i < DECIMAL_SUFFIXES.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${n}${DECIMAL_SUFFIXES[i]}`;
}

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * Memory as resource.Quantity prints a BinarySI one (NewQuantity(bytes, BinarySI)): the
 * largest power of 1024 that divides it ("1919648Ki", "2Mi"), plain below 1024.
 */
export function formatMemory(bytes: number): string {
  if (bytes > -1024 && bytes < 1024) return String(bytes);
  let n = Math.round(bytes);
  let i = 0;
  while (n % 1024 === 0 && i < BINARY_SUFFIXES.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n}${BINARY_SUFFIXES[i]}`;
}
