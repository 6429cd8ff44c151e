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
  readonly maxEntries: number;
  readonly maxStringLength: number;
  readonly maxSharedKeyLength: number;

  constructor(options: { maxEntries?: number; maxStringLength?: number; maxSharedKeyLength?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 65_536;
    this.maxStringLength = options.maxStringLength ?? 512;
    this.maxSharedKeyLength = options.maxSharedKeyLength ?? 4096;
  }

  /** Entries held per map (for metrics and tests). */
  get size(): { strings: number; dates: number; dateTexts: number; shared: number } {
    return {
      strings: this.#strings.size,
      dates: this.#dates.size,
      dateTexts: this.#dateTexts.size,
      shared: this.#shared.size,
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

  clear(): void {
    this.#strings.clear();
    this.#dates.clear();
    this.#dateTexts.clear();
    this.#shared.clear();
  }
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
