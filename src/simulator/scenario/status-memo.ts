/** The parts of pod statuses that pods can share, and how they are found again. */
import { deepFreeze, type Json } from './json.js';

/**
 * What pods built together share in their statuses: conditions and container states
 * (keyed by their content), status volume mounts and QoS class (keyed by the spec part
 * they derive from), hostIPs (keyed by IP). Shared values are frozen.
 */
export class StatusMemo {
  readonly values = new Map<string, unknown>();
  readonly mounts = new WeakMap<object, readonly Json[]>();
  readonly qos = new WeakMap<object, string>();
  readonly ips = new Map<string, readonly Json[]>();

  get<T>(key: string, make: () => T): T {
    let value = this.values.get(key) as T | undefined;
    if (value === undefined) {
      value = deepFreeze(make());
      this.values.set(key, value);
    }
    return value;
  }
}

/** `memo.get` when there is a memo, else a fresh value each time. */
export type Shared = <T>(key: string, make: () => T) => T;

const imageIDs = new Map<string, string>();
/** A stable digest per image (FNV-1a based), as the kubelet reports imageID. */
export function imageIDOf(image: string): string {
  let id = imageIDs.get(image);
  if (!id) {
    let h = 0x811c9dc5;
    let hex = '';
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 0x01000193) >>> 0;
      h = Math.imul(h ^ round, 0x01000193) >>> 0;
      hex += h.toString(16).padStart(8, '0');
    }
    const repo = image.replace(/:[^:/]+$/, '');
    id = `${repo}@sha256:${hex}`;
    if (imageIDs.size > 50_000) imageIDs.clear();
    imageIDs.set(image, id);
  }
  return id;
}

export function qosClass(spec: Json, memo?: StatusMemo): string {
  const containers = spec.containers as Json[];
  const cached = memo?.qos.get(containers);
  if (cached) return cached;
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const r = (c.resources ?? {}) as { requests?: Json; limits?: Json };
    if (r.requests || r.limits) any = true;
    if (!r.limits || r.limits.cpu === undefined || r.limits.memory === undefined) guaranteed = false;
    else if (r.requests && (r.requests.cpu !== r.limits.cpu || r.requests.memory !== r.limits.memory))
      guaranteed = false;
  }
  const qos = !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
  memo?.qos.set(containers, qos);
  return qos;
}

export function statusMounts(c: Json, memo?: StatusMemo): readonly Json[] | undefined {
  const mounts = c.volumeMounts as Json[] | undefined;
  if (!mounts) return undefined;
  const cached = memo?.mounts.get(mounts);
  if (cached) return cached;
  const out = mounts.map((m) => {
    const s: Json = { name: m.name, mountPath: m.mountPath };
    if (m.readOnly) {
      s.readOnly = true;
      s.recursiveReadOnly = 'Disabled';
    }
    return s;
  });
  deepFreeze(out);
  if (memo) memo.mounts.set(mounts, out);
  return out;
}

export function hostIPsOf(ip: string, memo?: StatusMemo): readonly Json[] {
  if (!memo) return [{ ip }];
  let ips = memo.ips.get(ip);
  if (!ips) {
    ips = deepFreeze([{ ip }]);
    memo.ips.set(ip, ips);
  }
  return ips;
}
