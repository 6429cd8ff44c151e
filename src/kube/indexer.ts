/**
 * A client-go style thread-safe-store-plus-indexes, minus the threads: objects by key, and for
 * every named index a map from index value to the keys of the objects that produce it.
 *
 * Synchronous and pure (no I/O, no clock). Objects are stored and returned as given; the
 * transform has frozen them, so handing out the stored instance is safe and costs nothing.
 */
import type { V1Job, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { type KeyedObject, objectKey } from './kinds.js';

/** Computes the values under which an object is indexed; [] means "not in this index". */
export type IndexFunc<T> = (obj: T) => readonly string[];
export type Indexers<T> = Readonly<Record<string, IndexFunc<T>>>;

export const INDEX_NAMESPACE = 'namespace';
export const INDEX_NODE_NAME = 'spec.nodeName';
export const INDEX_OWNER_UID = 'ownerUID';
/** Value: `namespace/jobName`. */
export const INDEX_JOB_NAME = 'jobName';
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
  readonly #funcs: ReadonlyMap<string, IndexFunc<T>>;
  readonly #indices = new Map<string, Bucket>();
  readonly #keyFunc: (obj: T) => string;

  constructor(indexers: Indexers<T>, options: { keyFunc?: (obj: T) => string } = {}) {
    this.#funcs = new Map(Object.entries(indexers));
    for (const name of this.#funcs.keys()) this.#indices.set(name, new Map());
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
    for (const [name, fn] of this.#funcs) {
      const index = this.#indices.get(name)!;
      const next = fn(obj);
      if (old === undefined) {
        for (const v of next) insert(index, v, key);
        continue;
      }
      const prev = fn(old);
      // Only touch values that changed: a pod's labels rarely change between status updates.
      for (const v of prev) if (!next.includes(v)) remove(index, v, key);
      for (const v of next) if (!prev.includes(v)) insert(index, v, key);
    }
    return old;
  }

  delete(objOrKey: T | string): T | undefined {
    const key = typeof objOrKey === 'string' ? objOrKey : this.#keyFunc(objOrKey);
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    // Unindex the stored object, not the argument: a tombstone may carry stale labels.
    for (const [name, fn] of this.#funcs) {
      const index = this.#indices.get(name)!;
      for (const v of fn(old)) remove(index, v, key);
    }
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
      for (const [name, fn] of this.#funcs) {
        const index = this.#indices.get(name)!;
        for (const v of fn(obj)) insert(index, v, key);
      }
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
    const keys = this.#index(indexName).get(value);
    if (keys === undefined) return EMPTY;
    if (typeof keys === 'string') return [this.#items.get(keys)!];
    const out: T[] = [];
    for (const key of keys) out.push(this.#items.get(key)!);
    return out;
  }

  indexKeys(indexName: string, value: string): readonly string[] {
    const keys = this.#index(indexName).get(value);
    return keys === undefined ? EMPTY : typeof keys === 'string' ? [keys] : [...keys];
  }

  countByIndex(indexName: string, value: string): number {
    const keys = this.#index(indexName).get(value);
    return keys === undefined ? 0 : typeof keys === 'string' ? 1 : keys.size;
  }

  indexValues(indexName: string): string[] {
    return [...this.#index(indexName).keys()];
  }

  hasIndex(indexName: string): boolean {
    return this.#funcs.has(indexName);
  }

  #index(indexName: string): Bucket {
    const index = this.#indices.get(indexName);
    if (index === undefined) {
      const known = [...this.#funcs.keys()].map((n) => JSON.stringify(n)).join(', ') || 'none';
      throw new Error(`Indexer: unknown index ${JSON.stringify(indexName)}; known indexes: ${known}`);
    }
    return index;
  }
}

/**
 * Index value → the keys of the objects that produced it. A value held by one object
 * (an owner UID, a job name, a pod-template-hash label) is stored as the bare key, not a
 * one-element Set: most values of a pod's indexes are unique, and a Set costs ~100 B.
 */
type Bucket = Map<string, string | Set<string>>;

function insert(index: Bucket, value: string, key: string): void {
  const keys = index.get(value);
  if (keys === undefined) index.set(value, key);
  else if (typeof keys === 'string') {
    if (keys !== key) index.set(value, new Set([keys, key]));
  } else keys.add(key);
}

function remove(index: Bucket, value: string, key: string): void {
  const keys = index.get(value);
  if (keys === undefined) return;
  // Drop emptied buckets so values of deleted objects (old label values, gone nodes) do not leak.
  if (typeof keys === 'string') {
    if (keys === key) index.delete(value);
    return;
  }
  keys.delete(key);
  if (keys.size === 1) index.set(value, keys.values().next().value as string);
  else if (keys.size === 0) index.delete(value);
}

// ---- Standard index functions ------------------------------------------------------------

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

type Meta = NonNullable<V1Pod['metadata']>;
interface WithMeta {
  metadata?: Meta;
}

export const namespaceIndexFunc: IndexFunc<WithMeta> = (obj) => {
  const ns = obj.metadata?.namespace;
  return ns ? [ns] : EMPTY;
};

export const labelIndexFunc: IndexFunc<WithMeta> = (obj) => {
  const labels = obj.metadata?.labels;
  if (labels === undefined) return EMPTY;
  const out: string[] = [];
  for (const k in labels) out.push(`${k}=${labels[k]}`);
  return out;
};

export const ownerUIDIndexFunc: IndexFunc<WithMeta> = (obj) => {
  const refs = obj.metadata?.ownerReferences;
  if (refs === undefined || refs.length === 0) return EMPTY;
  return refs.map((r) => r.uid);
};

export const nodeNameIndexFunc: IndexFunc<V1Pod> = (pod) => {
  const node = pod.spec?.nodeName;
  return node ? [node] : EMPTY;
};

/**
 * The Job a pod belongs to. The controller ownerReference is authoritative (labels can be put
 * on any pod by anyone); the job controller's labels cover pods whose reference is gone, e.g.
 * orphaned with `--cascade=orphan`. The new label wins over the legacy one (they agree when
 * the job controller set both).
 */
export function jobNameOfPod(pod: WithMeta): string | undefined {
  const meta = pod.metadata;
  if (meta === undefined) return undefined;
  const refs = meta.ownerReferences;
  if (refs !== undefined) {
    for (const r of refs) {
      if (r.controller === true && r.kind === 'Job' && r.apiVersion.startsWith('batch/')) return r.name;
    }
  }
  const labels = meta.labels;
  return labels?.[JOB_NAME_LABEL] || labels?.[LEGACY_JOB_NAME_LABEL] || undefined;
}

export const jobNameIndexFunc: IndexFunc<V1Pod> = (pod) => {
  const job = jobNameOfPod(pod);
  return job ? [`${pod.metadata?.namespace ?? ''}/${job}`] : EMPTY;
};

export const podIndexers: Indexers<V1Pod> = Object.freeze({
  [INDEX_NAMESPACE]: namespaceIndexFunc,
  [INDEX_NODE_NAME]: nodeNameIndexFunc,
  [INDEX_OWNER_UID]: ownerUIDIndexFunc,
  [INDEX_JOB_NAME]: jobNameIndexFunc,
  [INDEX_LABEL]: labelIndexFunc,
});

export const jobIndexers: Indexers<V1Job> = Object.freeze({
  [INDEX_NAMESPACE]: namespaceIndexFunc,
  [INDEX_OWNER_UID]: ownerUIDIndexFunc, // CronJob → Jobs
  [INDEX_LABEL]: labelIndexFunc,
});

export const nodeIndexers: Indexers<V1Node> = Object.freeze({
  [INDEX_LABEL]: labelIndexFunc, // node roles, zones, instance types
});

export const namespaceIndexers: Indexers<V1Namespace> = Object.freeze({
  [INDEX_LABEL]: labelIndexFunc,
});
