/**
 * The interner the transform shares values through (see the class comment). A module of
 * its own: it knows nothing of Kubernetes, only of repeated strings, Dates and subtrees.
 */

/**
 * Deduplicates what repeats across objects, which is most of a trimmed pod:
 *
 * - strings: JSON.parse makes a separate heap string for every occurrence, so 150k pods carry
 *   150k copies of "Running", of their namespace, of a few image and node names. Offered only
 *   for fields whose values repeat (label values, images, node names, condition types,
 *   quantities); unique ones (names, uids, IPs, resourceVersions) are not, so the map does not
 *   fill with them. Property KEYS need no help: V8 internalizes those itself.
 * - Dates: a V8 Date costs ~96 bytes, and a pod has ~10 of them, half equal to another one
 *   (creation = scheduled = start; Ready = ContainersReady); pods created in a burst share more.
 * - whole frozen subtrees (container specs, owner references, label sets): replicas of one
 *   ReplicaSet or Job are identical there, so they share one deep-frozen instance, keyed by
 *   the subtree's JSON. Only for JSON-plain subtrees (no Dates).
 *
 * Each map is bounded and cleared when full rather than evicted piecemeal: what is already
 * shared stays shared, new values start deduplicating again, and memory stays bounded even
 * when some label value is unique per pod. Sharing is safe because everything handed out is
 * frozen — and, for Dates, because consumers honour the read-only contract (see above).
 */
export class Interner {
  readonly #strings = new Map<string, string>();
  readonly #dates = new Map<number, Date>();
  /** The same Dates by the text they were parsed from: a listed page's timestamps are strings. */
  readonly #dateTexts = new Map<string, Date>();
  readonly #shared = new Map<string, unknown>();
  /**
   * Small objects by an anchor value of theirs (see `object`): the one object, or up to
   * SMALL_LIST of them in an exact array (a pushed-to array reserves 17 slots: 184 B an
   * anchor, more than most of what it saved).
   */
  readonly #objects = new Map<unknown, object>();
  readonly maxEntries: number;
  readonly maxStringLength: number;
  readonly maxSharedKeyLength: number;

  constructor(options: { maxEntries?: number; maxStringLength?: number; maxSharedKeyLength?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 65_536;
    this.maxStringLength = options.maxStringLength ?? 512;
    this.maxSharedKeyLength = options.maxSharedKeyLength ?? 4096;
  }

  /** Entries held per map (for metrics and tests). */
  get size(): { strings: number; dates: number; dateTexts: number; shared: number; objects: number } {
    return {
      strings: this.#strings.size,
      dates: this.#dates.size,
      dateTexts: this.#dateTexts.size,
      shared: this.#shared.size,
      objects: this.#objects.size,
    };
  }

  string(s: string): string;
  string(s: string | undefined): string | undefined;
  string(s: string | undefined): string | undefined {
    if (s === undefined || s === null || s.length > this.maxStringLength) return s;
    const hit = this.#strings.get(s);
    if (hit !== undefined) return hit;
    bounded(this.#strings, this.maxEntries).set(s, s);
    return s;
  }

  /**
   * A frozen Date equal to `v` (a Date or an RFC 3339 string), shared with equal ones; null →
   * undefined. Text is looked up as text first: a first sync reads ~8 timestamps per pod as
   * strings, mostly repeated (pods started together, a condition's time equal to another's),
   * and a map hit costs less than `Date.parse`.
   */
  date(v: Date | string | null | undefined): Date | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') {
      const known = this.#dateTexts.get(v);
      if (known !== undefined) return known;
    }
    const ms = v instanceof Date ? v.getTime() : Date.parse(v);
    let d = this.#dates.get(ms);
    if (d === undefined) {
      d = Object.freeze(new Date(ms));
      if (!Number.isNaN(ms)) bounded(this.#dates, this.maxEntries).set(ms, d);
    }
    if (typeof v === 'string' && !Number.isNaN(ms) && v.length <= this.maxStringLength)
      bounded(this.#dateTexts, this.maxEntries).set(v, d);
    return d;
  }

  /** A deep-frozen value equal to `value` (JSON-plain: no Dates), shared with equal earlier ones. */
  shared<T>(value: T): T {
    const key = JSON.stringify(value);
    if (key.length > this.maxSharedKeyLength) return deepFreeze(value);
    const hit = this.#shared.get(key);
    if (hit !== undefined) return hit as T;
    bounded(this.#shared, this.maxEntries).set(key, deepFreeze(value));
    return value;
  }

  /**
   * `obj` frozen, or an earlier object with the same own fields holding the same values
   * (compared with ===): for small objects built from values this interner handed out
   * (strings, Dates, objects `object` returned) or numbers and booleans, such as a pod's
   * conditions `{type, status, lastTransitionTime}`. Pods started together have equal ones:
   * a cluster of 20,000 pods held 87,003 conditions of which 28,038 were distinct, and
   * 17,061 container `running` states of 4,824 distinct (scripts/heap-census.ts). `anchor`,
   * one of its values that few objects share (a Date), picks the short list compared, so
   * no key is built; arrays compare element by element. Objects whose values are
   * identities of their own (a pod's name) must not come here: they would only fill lists.
   * Only `obj` itself is frozen here, so its object values must be frozen already (shared
   * ones are); the transform's freeze does not walk into a frozen object.
   */
  object<T extends object>(anchor: unknown, obj: T): T {
    const held = this.#objects.get(anchor);
    if (held === undefined) {
      bounded(this.#objects, this.maxEntries).set(anchor, Object.freeze(obj));
      return obj;
    }
    if (held instanceof Several) {
      for (const o of held.items) if (sameValues(o, obj)) return o as T;
      Object.freeze(obj);
      if (held.items.length < SMALL_LIST) held.items = [...held.items, obj];
      return obj;
    }
    if (sameValues(held, obj)) return held as T;
    Object.freeze(obj);
    this.#objects.set(anchor, new Several([held, obj]));
    return obj;
  }

  clear(): void {
    this.#strings.clear();
    this.#dates.clear();
    this.#dateTexts.clear();
    this.#shared.clear();
    this.#objects.clear();
  }
}

const SMALL_LIST = 16;

/** More than one object under one anchor (a class, so a shared array is never taken for it). */
class Several {
  constructor(public items: readonly object[]) {}
}

/** Same own enumerable fields (or elements), each value identical. */
function sameValues(a: object, b: object): boolean {
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  let fields = 0;
  for (const k in a) {
    if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
    fields += 1;
  }
  for (const _ in b) if (--fields < 0) return false;
  return fields === 0;
}

function bounded<K, V>(map: Map<K, V>, max: number): Map<K, V> {
  if (map.size >= max) map.clear();
  return map;
}

/** Shared by every cluster's informers: clusters run the same images and condition types. */
export const defaultInterner = new Interner();

/**
 * Freezes `value` and everything reachable from it (arrays, plain objects, class instances,
 * Dates); cycle-safe. Typed arrays are skipped (freezing one with elements throws). Returns
 * `value` for chaining.
 */
export function deepFreeze<T>(value: T): T {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) continue;
    const o = v as object;
    if (seen.has(o) || ArrayBuffer.isView(o)) continue;
    seen.add(o);
    Object.freeze(o);
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (d !== undefined && 'value' in d) stack.push(d.value);
    }
  }
  return value;
}
