/**
 * A client-go style thread-safe-store-plus-indexes, minus the threads: objects by key, and for
 * every named index a map from index value to the keys of the objects that produce it.
 *
 * Synchronous and pure (no I/O, no clock). Objects are stored and returned as given; the
 * transform has frozen them, so handing out the stored instance is safe and costs nothing.
 */
import { type KeyedObject, objectKey } from './object-keys.js';

/** Computes the values under which an object is indexed; [] means "not in this index". */
export type IndexFunc<T> = (obj: T) => readonly string[];

/**
 * An index whose values have two parts, `first${separator}second` (a label `key=value`, a
 * job `namespace/name`), given as the strings the object already holds. Stored by first
 * part then second, the index keeps no string of its own: a `key=value` string per label
 * of every pod was most of the index memory when labels are unique per pod (job pods
 * carry four). Looked up with the joined form, split at the first separator, which
 * neither a label key nor a namespace contains.
 */
export interface PairIndex<T> {
  separator: string;
  pairs: (obj: T) => readonly (readonly [string, string])[];
}

export type Indexers<T> = Readonly<Record<string, IndexFunc<T> | PairIndex<T>>>;

export const INDEX_NAMESPACE = 'namespace';
export const INDEX_OWNER_UID = 'ownerUID';
/** Value: `key=value`, one per label; serves equality selectors without a scan. */
export const INDEX_LABEL = 'label';

/** The read side, what a resolver or loader gets. Returned arrays must not be mutated. */
export interface ReadonlyIndexer<T> {
  readonly size: number;
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  /** Objects whose index function produced `value`, in O(matches). Throws for an unknown index. */
  byIndex(indexName: string, value: string): readonly T[];
  /** Keys of those objects, O(matches). Throws for an unknown index. */
  indexKeys(indexName: string, value: string): readonly string[];
  /** How many objects produced `value`, O(1). Throws for an unknown index. */
  countByIndex(indexName: string, value: string): number;
  /** Every value currently present in the index. Throws for an unknown index. */
  indexValues(indexName: string): string[];
  hasIndex(indexName: string): boolean;
}

/** The write side, what the reflector gets. `add` and `update` both upsert, as in client-go. */
export interface WritableStore<T> {
  add(obj: T): void;
  /** Upserts and returns the object previously stored under the same key, if any. */
  update(obj: T): T | undefined;
  /** Removes by object or key and returns what was stored, if anything. */
  delete(objOrKey: T | string): T | undefined;
  /** Makes the store hold exactly `objs` (a relist), rebuilding every index. */
  replace(objs: Iterable<T>): void;
}

const EMPTY: readonly never[] = Object.freeze([]);

export class Indexer<T extends KeyedObject> implements ReadonlyIndexer<T>, WritableStore<T> {
  readonly #items = new Map<string, T>();
  readonly #indices = new Map<string, ValueIndex<T>>();
  readonly #keyFunc: (obj: T) => string;

  constructor(indexers: Indexers<T>, options: { keyFunc?: (obj: T) => string } = {}) {
    for (const [name, spec] of Object.entries(indexers)) {
      this.#indices.set(name, typeof spec === 'function' ? new PlainIndex(spec) : new PairValueIndex(spec));
    }
    this.#keyFunc = options.keyFunc ?? objectKey;
  }

  get size(): number {
    return this.#items.size;
  }

  add(obj: T): void {
    this.update(obj);
  }

  update(obj: T): T | undefined {
    const key = this.#keyFunc(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    for (const index of this.#indices.values()) {
      if (old === undefined) index.add(obj, key);
      else index.change(old, obj, key);
    }
    return old;
  }

  delete(objOrKey: T | string): T | undefined {
    const key = typeof objOrKey === 'string' ? objOrKey : this.#keyFunc(objOrKey);
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    // Unindex the stored object, not the argument: a tombstone may carry stale labels.
    for (const index of this.#indices.values()) index.remove(old, key);
    return old;
  }

  replace(objs: Iterable<T>): void {
    this.#items.clear();
    for (const index of this.#indices.values()) index.clear();
    for (const obj of objs) {
      const key = this.#keyFunc(obj);
      const old = this.#items.get(key);
      if (old !== undefined) this.delete(key); // duplicates in a list: last one wins
      this.#items.set(key, obj);
      for (const index of this.#indices.values()) index.add(obj, key);
    }
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  byIndex(indexName: string, value: string): readonly T[] {
    const keys = this.#index(indexName).keysOf(value);
    if (keys === undefined) return EMPTY;
    if (typeof keys === 'string') return [this.#items.get(keys)!];
    if (isArray(keys)) return keys.map((k) => this.#items.get(k)!);
    const out: T[] = [];
    for (const key of keys) out.push(this.#items.get(key)!);
    return out;
  }

  indexKeys(indexName: string, value: string): readonly string[] {
    const keys = this.#index(indexName).keysOf(value);
    return keys === undefined ? EMPTY : typeof keys === 'string' ? [keys] : isArray(keys) ? keys : [...keys];
  }

  countByIndex(indexName: string, value: string): number {
    const keys = this.#index(indexName).keysOf(value);
    return keys === undefined ? 0 : typeof keys === 'string' ? 1 : isArray(keys) ? keys.length : keys.size;
  }

  indexValues(indexName: string): string[] {
    return this.#index(indexName).values();
  }

  hasIndex(indexName: string): boolean {
    return this.#indices.has(indexName);
  }

  #index(indexName: string): ValueIndex<T> {
    const index = this.#indices.get(indexName);
    if (index === undefined) {
      const known = [...this.#indices.keys()].map((n) => JSON.stringify(n)).join(', ') || 'none';
      throw new Error(`Indexer: unknown index ${JSON.stringify(indexName)}; known indexes: ${known}`);
    }
    return index;
  }
}

/**
 * Index value → the keys of the objects that produced it, in insertion order. A value held
 * by one object (an owner UID, a job name, a pod-template-hash label) is stored as the bare
 * key; by a few (a job's pods, a small workload's labels), as an exact frozen array, replaced
 * on each change; by more than SMALL_BUCKET, as a Set. A Set of 2–4 keys costs 152 B and of
 * 5–8 keys 232 B, an exact array 48 + 8 B per key (64–112 B): a gateway mirroring 20,194
 * pods held 19,456 Sets, most of them a job's two pods (session 11).
 */
type Keys = string | readonly string[] | Set<string>;
type Bucket = Map<string, Keys>;
const SMALL_BUCKET = 8;

function insert(index: Bucket, value: string, key: string): void {
  const keys = index.get(value);
  if (keys === undefined) index.set(value, key);
  else if (typeof keys === 'string') {
    if (keys !== key) index.set(value, Object.freeze([keys, key]));
  } else if (isArray(keys)) {
    if (keys.includes(key)) return;
    index.set(value, keys.length < SMALL_BUCKET ? Object.freeze([...keys, key]) : new Set([...keys, key]));
  } else keys.add(key);
}

const isArray = Array.isArray as (keys: Keys) => keys is readonly string[];

/** One index's values → keys, whatever their shape. */
interface ValueIndex<T> {
  add(obj: T, key: string): void;
  remove(obj: T, key: string): void;
  /** Only touches values that changed: a pod's labels rarely change between status updates. */
  change(old: T, obj: T, key: string): void;
  keysOf(value: string): Keys | undefined;
  values(): string[];
  clear(): void;
}

class PlainIndex<T> implements ValueIndex<T> {
  readonly #bucket: Bucket = new Map();
  constructor(private readonly fn: IndexFunc<T>) {}

  add(obj: T, key: string): void {
    for (const v of this.fn(obj)) insert(this.#bucket, v, key);
  }
  remove(obj: T, key: string): void {
    for (const v of this.fn(obj)) remove(this.#bucket, v, key);
  }
  change(old: T, obj: T, key: string): void {
    const prev = this.fn(old);
    const next = this.fn(obj);
    for (const v of prev) if (!next.includes(v)) remove(this.#bucket, v, key);
    for (const v of next) if (!prev.includes(v)) insert(this.#bucket, v, key);
  }
  keysOf(value: string): Keys | undefined {
    return this.#bucket.get(value);
  }
  values(): string[] {
    return [...this.#bucket.keys()];
  }
  clear(): void {
    this.#bucket.clear();
  }
}

class PairValueIndex<T> implements ValueIndex<T> {
  /** First part → second part → keys. */
  readonly #byFirst = new Map<string, Bucket>();
  constructor(private readonly spec: PairIndex<T>) {}

  add(obj: T, key: string): void {
    for (const [a, b] of this.spec.pairs(obj)) this.#insert(a, b, key);
  }
  remove(obj: T, key: string): void {
    for (const [a, b] of this.spec.pairs(obj)) this.#remove(a, b, key);
  }
  change(old: T, obj: T, key: string): void {
    const prev = this.spec.pairs(old);
    const next = this.spec.pairs(obj);
    const has = (list: readonly (readonly [string, string])[], [a, b]: readonly [string, string]) =>
      list.some(([x, y]) => x === a && y === b);
    for (const p of prev) if (!has(next, p)) this.#remove(p[0], p[1], key);
    for (const p of next) if (!has(prev, p)) this.#insert(p[0], p[1], key);
  }
  keysOf(value: string): Keys | undefined {
    const at = value.indexOf(this.spec.separator);
    if (at < 0) return undefined;
    return this.#byFirst.get(value.slice(0, at))?.get(value.slice(at + this.spec.separator.length));
  }
  values(): string[] {
    const out: string[] = [];
    for (const [a, bucket] of this.#byFirst)
      for (const b of bucket.keys()) out.push(`${a}${this.spec.separator}${b}`);
    return out;
  }
  clear(): void {
    this.#byFirst.clear();
  }
  #insert(a: string, b: string, key: string): void {
    let bucket = this.#byFirst.get(a);
    if (bucket === undefined) {
      bucket = new Map();
      this.#byFirst.set(a, bucket);
    }
    insert(bucket, b, key);
  }
  #remove(a: string, b: string, key: string): void {
    const bucket = this.#byFirst.get(a);
    if (bucket === undefined) return;
    remove(bucket, b, key);
    if (bucket.size === 0) this.#byFirst.delete(a);
  }
}

function remove(index: Bucket, value: string, key: string): void {
  const keys = index.get(value);
  if (keys === undefined) return;
  // Drop emptied buckets so values of deleted objects (old label values, gone nodes) do not leak.
  if (typeof keys === 'string') {
    if (keys === key) index.delete(value);
    return;
  }
  if (isArray(keys)) {
    if (!keys.includes(key)) return;
    const rest = keys.filter((k) => k !== key);
    index.set(value, rest.length === 1 ? rest[0] : Object.freeze(rest));
    return;
  }
  keys.delete(key);
  if (keys.size === 1) index.set(value, keys.values().next().value as string);
  else if (keys.size === 0) index.delete(value);
}

// ---- Standard index functions (any kind; a kind's own ones live in its file under kinds/) ----

type Meta = {
  namespace?: string;
  labels?: { [key: string]: string };
  ownerReferences?: readonly { uid: string }[];
};
interface WithMeta {
  metadata?: Meta;
}

export const namespaceIndexFunc: IndexFunc<WithMeta> = (obj) => {
  const ns = obj.metadata?.namespace;
  return ns ? [ns] : EMPTY;
};

/** Labels as `key=value`, stored as the object's own key and value strings. */
export const labelIndexFunc: PairIndex<WithMeta> = Object.freeze({
  separator: '=',
  pairs: (obj: WithMeta) => {
    const labels = obj.metadata?.labels;
    if (labels === undefined) return EMPTY;
    const out: [string, string][] = [];
    for (const k in labels) out.push([k, labels[k]]);
    return out;
  },
});

export const ownerUIDIndexFunc: IndexFunc<WithMeta> = (obj) => {
  const refs = obj.metadata?.ownerReferences;
  if (refs === undefined || refs.length === 0) return EMPTY;
  return refs.map((r) => r.uid);
};

export const EMPTY_VALUES: readonly never[] = EMPTY;
