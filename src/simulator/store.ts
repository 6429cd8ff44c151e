/**
 * The simulator's object store: what etcd plus the apiserver's watch cache are to a
 * real cluster. One global resourceVersion counter (as etcd's revision), a bounded
 * history of changes for watch resumption, and per-resource sorted key lists so that
 * paginated lists and continue tokens are cheap at 100k objects.
 */
import { randomUUID } from 'node:crypto';
import { applyJsonPatch, decodeJsonPatch, JSON_PATCH_INVALID_MESSAGE, JsonPatchError } from './json-patch.js';
import { StrategicPatchError, strategicMergePatch } from './strategic-patch.js';
import {
  type KubeObject,
  RESOURCES,
  type ResourceName,
  type StoredEvent,
  type WatchEventType,
} from './types.js';

export class StoreError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: {
      name?: string;
      group?: string;
      kind?: string;
      causes?: { reason: string; message: string; field: string }[];
    },
  ) {
    super(message);
  }
}

export type WatchListener = (event: StoredEvent) => void;

interface Bucket {
  objects: Map<string, KubeObject>;
  /** Keys in ascending order (etcd key order), kept sorted by binary insertion. */
  sorted: string[];
  /**
   * The keys of the objects naming each uid in their ownerReferences: what the controllers
   * (the job controller, the churn's TTL cleanup) delete with their owner. Scanning the
   * owner's namespace instead was 7 % of a 10-cluster simulator's CPU under churn (namespaces
   * of up to 3,000 pods, twice per finished job).
   */
  owners: Map<string, Set<string>>;
}

/** Moves `key` in the owner index from `before`'s owners to `after`'s. */
function indexOwners(
  bucket: Bucket,
  key: string,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
) {
  const was = before?.metadata.ownerReferences;
  const is = after?.metadata.ownerReferences;
  if (was === is) return;
  for (const ref of was ?? []) {
    const keys = bucket.owners.get(ref.uid);
    keys?.delete(key);
    if (keys?.size === 0) bucket.owners.delete(ref.uid);
  }
  for (const ref of is ?? []) {
    const keys = bucket.owners.get(ref.uid);
    if (keys) keys.add(key);
    else bucket.owners.set(ref.uid, new Set([key]));
  }
}

export interface StoreOptions {
  /** How many changes are kept for watch resumption before older ones are compacted. */
  historyLimit?: number;
  /** The clock, so tests can drive timestamps. */
  now?: () => Date;
}

/**
 * Options of a write. A dry run (`dryRun=All`) runs every check a real write runs and
 * answers with what would have been stored, but stores nothing, moves no
 * resourceVersion and tells no watcher.
 */
export interface WriteOptions {
  dryRun?: boolean;
  /**
   * Admission of the request that writes: called with the object about to be stored (and,
   * on update, the stored one) after defaulting and before validation, as kube-apiserver's
   * RBAC storage runs its escalation check. Throws a StoreError to refuse.
   */
  admit?: (obj: KubeObject, old: KubeObject | undefined) => void;
  /**
   * Validation of the request's object after the kind's own (api.ts: what kube-apiserver's
   * strategies check for the served kinds), on create and update through the API.
   */
  validate?: (obj: KubeObject, old: KubeObject | undefined) => void;
  /** Defaulting of the request's object on create, after the kind's own (defaulting.ts), with its uid and name set. */
  default?: (obj: KubeObject) => KubeObject;
  /** Last, once the object is valid: its managedFields with the request's entry (field-manager.ts). */
  track?: (obj: KubeObject, old: KubeObject | undefined) => unknown[];
  /**
   * Defaults added on create after the managedFields are computed, so that they are no
   * writer's fields (a pod's admission and defaults: defaulting.ts).
   */
  untracked?: (obj: KubeObject) => KubeObject;
  /**
   * The write is a deletion in progress (deletion.ts): it sets `deletionTimestamp` and
   * `deletionGracePeriodSeconds`, which every other update keeps as stored.
   */
  deletion?: { timestamp: string; gracePeriodSeconds: number };
}

/**
 * What a kind's registry strategy does on a real server beyond the generic rules:
 * defaulting (as decoding a versioned object applies it) and validation on create and
 * update. Each hook throws a StoreError (422 Invalid) to refuse.
 */
export interface ResourceStrategy {
  default?(obj: KubeObject): KubeObject;
  validateCreate?(obj: KubeObject): void;
  validateUpdate?(obj: KubeObject, old: KubeObject): void;
}

/** A resource as kube-apiserver's messages name it: `pods`, `jobs.batch`, `roles.rbac.authorization.k8s.io`. */
export function qualified(resource: ResourceName): string {
  const group = RESOURCES[resource].group;
  return group ? `${resource}.${group}` : resource;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Objects are stored frozen, so a reader (a list being streamed, a watcher) never sees
 * a half-applied change and nothing can mutate history behind the store's back.
 */
function freeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    for (const value of Object.values(obj)) freeze(value);
    Object.freeze(obj);
  }
  return obj;
}

export class SimStore {
  private readonly buckets = new Map<ResourceName, Bucket>();
  private readonly history: StoredEvent[] = [];
  private historyStart = 0; // index into history of the oldest kept event (ring-ish via splice)
  private readonly listeners = new Map<ResourceName, Set<WatchListener>>();
  private readonly strategies = new Map<ResourceName, ResourceStrategy>();
  private readonly historyLimit: number;
  private readonly now: () => Date;
  private rv = 1;
  /** Watches and continue tokens older than this are answered with 410 Expired. */
  private compactedRV = 1;

  constructor(options: StoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 50_000;
    this.now = options.now ?? (() => new Date());
    for (const name of Object.keys(RESOURCES) as ResourceName[]) {
      this.buckets.set(name, { objects: new Map(), sorted: [], owners: new Map() });
      this.listeners.set(name, new Set());
    }
  }

  /** Registers a kind's defaulting and validation (rbac/validation.ts for the RBAC kinds). */
  setStrategy(resource: ResourceName, strategy: ResourceStrategy): void {
    this.strategies.set(resource, strategy);
  }

  /** The current global resourceVersion, as a list would report it. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may resume from. */
  get oldestResourceVersion(): number {
    return this.compactedRV;
  }

  count(resource: ResourceName): number {
    return this.bucket(resource).objects.size;
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(resource).objects.get(objectKey(namespace, name));
  }

  /** The objects of `namespace` whose ownerReferences name `uid`, in key order (as `scan` gives them). */
  ownedBy(resource: ResourceName, namespace: string | undefined, uid: string): KubeObject[] {
    const { objects, owners } = this.bucket(resource);
    const keys = owners.get(uid);
    if (!keys) return [];
    const prefix = namespace ? `${namespace}/` : '';
    const out: KubeObject[] = [];
    for (const key of [...keys].sort()) {
      if (!key.startsWith(prefix)) continue;
      const obj = objects.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /**
   * Objects in key order, starting after `afterKey`, restricted to a namespace.
   * A generator, so a LIST of 100k pods can be streamed without materialising it.
   */
  *scan(
    resource: ResourceName,
    options: { namespace?: string; afterKey?: string } = {},
  ): Generator<KubeObject> {
    const { objects, sorted } = this.bucket(resource);
    const prefix = options.namespace ? `${options.namespace}/` : '';
    let start = prefix ? lowerBound(sorted, prefix) : 0;
    if (options.afterKey !== undefined) {
      const after = lowerBound(sorted, options.afterKey);
      start = Math.max(start, sorted[after] === options.afterKey ? after + 1 : after);
    }
    // The sorted array is spliced in place while a slow consumer pauses between items,
    // so each step checks that the last key is still where it was and re-searches if not.
    let lastKey: string | undefined;
    let i = start;
    while (true) {
      if (lastKey !== undefined && sorted[i - 1] !== lastKey) {
        const pos = lowerBound(sorted, lastKey);
        i = sorted[pos] === lastKey ? pos + 1 : pos;
      }
      if (i >= sorted.length) return;
      const key = sorted[i];
      if (prefix && !key.startsWith(prefix)) return;
      i += 1;
      lastKey = key;
      const obj = objects.get(key);
      if (obj) yield obj;
    }
  }

  /**
   * How many objects of a resource sort after `afterKey` (within a namespace when one is
   * given): a paged list's remainingItemCount, in O(log n).
   */
  countAfter(resource: ResourceName, afterKey: string, namespace?: string): number {
    const { sorted } = this.bucket(resource);
    const pos = lowerBound(sorted, afterKey);
    const start = sorted[pos] === afterKey ? pos + 1 : pos;
    const end = namespace ? lowerBound(sorted, `${namespace}/\uffff`) : sorted.length;
    return Math.max(0, end - start);
  }

  /**
   * The objects of a resource as they were at resourceVersion `rv` (a list with
   * resourceVersionMatch=Exact), rebuilt by undoing the kept history newer than `rv`;
   * a 410 StoreError when `rv` is older than the kept history. Key order, like scan().
   */
  snapshotAt(resource: ResourceName, rv: number, namespace?: string): KubeObject[] {
    if (rv < this.compactedRV) {
      throw new StoreError(410, 'Expired', `too old resource version: ${rv} (${this.compactedRV})`);
    }
    const prefix = namespace ? `${namespace}/` : '';
    const state = new Map<string, KubeObject>();
    for (const obj of this.scan(resource, { namespace }))
      state.set(objectKey(obj.metadata.namespace, obj.metadata.name), obj);
    const newer = this.eventsSince(resource, rv);
    for (let i = newer.length - 1; i >= 0; i--) {
      const event = newer[i];
      const key = objectKey(event.object.metadata.namespace, event.object.metadata.name);
      if (prefix && !key.startsWith(prefix)) continue;
      if (event.type === 'ADDED') state.delete(key);
      else if (event.previous) state.set(key, event.previous);
    }
    return [...state.keys()].sort().map((key) => state.get(key)!);
  }

  /** Creates an object; assigns uid, resourceVersion and creationTimestamp. */
  create(resource: ResourceName, given: KubeObject, options: WriteOptions = {}): KubeObject {
    const info = RESOURCES[resource];
    const meta = { ...given.metadata };
    const bucket = this.bucket(resource);
    if (!meta.name && meta.generateName) {
      // names.SimpleNameGenerator: the prefix cut to 58 characters, 5 random ones appended;
      // kube-apiserver retries a name that is taken (RetryGenerateName, on since 1.31).
      const base = meta.generateName.slice(0, MAX_GENERATED_NAME_LENGTH);
      for (let attempt = 0; attempt < 8; attempt++) {
        meta.name = `${base}${randomSuffix()}`;
        if (
          !bucket.objects.has(objectKey(info.namespaced ? meta.namespace || 'default' : undefined, meta.name))
        )
          break;
      }
    }
    if (!meta.name) {
      throw new StoreError(
        422,
        'Invalid',
        `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        {
          kind: resource,
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    }
    if (info.namespaced && !meta.namespace) meta.namespace = 'default';
    if (!info.namespaced) delete meta.namespace;
    // Assigned before admission, so a kind's defaulting can use it (a Job's selector names its uid).
    meta.uid = meta.uid ?? randomUUID();
    const input = this.admitted(resource, { ...given, metadata: meta }, undefined, options);
    const key = objectKey(meta.namespace, meta.name);
    if (bucket.objects.has(key)) {
      throw new StoreError(409, 'AlreadyExists', `${qualified(resource)} "${meta.name}" already exists`, {
        name: meta.name,
        kind: resource,
      });
    }
    if (info.namespaced && resource !== 'events' && !this.get('namespaces', undefined, meta.namespace!)) {
      throw new StoreError(404, 'NotFound', `namespaces "${meta.namespace}" not found`, {
        name: meta.namespace,
        kind: 'namespaces',
      });
    }
    meta.creationTimestamp =
      meta.creationTimestamp ??
      this.now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
    if (meta.generation === undefined && resource === 'jobs') meta.generation = 1;
    if (options.dryRun) {
      // A real server's dry-run create answers without a resourceVersion: none was assigned.
      delete meta.resourceVersion;
      return freeze({ ...input, apiVersion: info.apiVersion, kind: info.kind, metadata: meta });
    }
    const rv = this.nextRV();
    meta.resourceVersion = String(rv);
    const obj = freeze({ ...input, apiVersion: info.apiVersion, kind: info.kind, metadata: meta });
    bucket.objects.set(key, obj);
    bucket.sorted.splice(lowerBound(bucket.sorted, key), 0, key);
    indexOwners(bucket, key, undefined, obj);
    this.record({ rv, resource, type: 'ADDED', object: obj });
    return obj;
  }

  /**
   * Replaces an object. When the input carries a resourceVersion it must match the
   * stored one (optimistic concurrency, 409 Conflict otherwise), as on a real server.
   */
  update(resource: ResourceName, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const bucket = this.bucket(resource);
    const key = objectKey(
      RESOURCES[resource].namespaced ? input.metadata.namespace : undefined,
      input.metadata.name,
    );
    const current = bucket.objects.get(key);
    if (!current) {
      throw new StoreError(404, 'NotFound', `${qualified(resource)} "${input.metadata.name}" not found`, {
        name: input.metadata.name,
        kind: resource,
      });
    }
    const wanted = input.metadata.resourceVersion;
    if (wanted && wanted !== current.metadata.resourceVersion) {
      throw new StoreError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${input.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: input.metadata.name, kind: resource },
      );
    }
    const deleting = current.metadata.deletionTimestamp !== undefined;
    if (deleting && !options.deletion) {
      // ValidateObjectMetaUpdate: a finalizer may be removed from an object being deleted, never added.
      const had = new Set(current.metadata.finalizers ?? []);
      const added = (input.metadata.finalizers ?? []).filter((f) => !had.has(f));
      if (added.length) {
        const detail = `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`;
        throw new StoreError(
          422,
          'Invalid',
          `${RESOURCES[resource].kind} ${JSON.stringify(current.metadata.name)} is invalid: metadata.finalizers: ${detail}`,
          {
            name: current.metadata.name,
            ...(RESOURCES[resource].group ? { group: RESOURCES[resource].group } : {}),
            kind: RESOURCES[resource].kind,
            causes: [{ reason: 'FieldValueForbidden', message: detail, field: 'metadata.finalizers' }],
          },
        );
      }
    }
    // A dry run answers with the stored resourceVersion, as a real server does: no new one was made.
    const rv = options.dryRun ? Number(current.metadata.resourceVersion) : this.nextRV();
    const meta = {
      ...input.metadata,
      uid: current.metadata.uid,
      namespace: current.metadata.namespace,
      creationTimestamp: current.metadata.creationTimestamp,
      resourceVersion: String(rv),
    };
    if (!RESOURCES[resource].namespaced) delete meta.namespace;
    // deletionTimestamp and deletionGracePeriodSeconds are the server's: an update keeps the
    // stored ones (rest.BeforeUpdate); only a deletion (options.deletion) sets them.
    if (options.deletion) {
      meta.deletionTimestamp = options.deletion.timestamp;
      meta.deletionGracePeriodSeconds = options.deletion.gracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
      if (deleting) {
        meta.deletionTimestamp = current.metadata.deletionTimestamp;
        if (current.metadata.deletionGracePeriodSeconds !== undefined)
          meta.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
      }
    }
    if (resource === 'jobs' && JSON.stringify(input.spec) !== JSON.stringify(current.spec)) {
      meta.generation = (current.metadata.generation ?? 1) + 1;
    }
    const admitted = this.admitted(resource, { ...input, metadata: meta }, current, options);
    const obj = freeze({ ...admitted, apiVersion: current.apiVersion, kind: current.kind, metadata: meta });
    if (options.dryRun) return obj;
    if (
      deleting &&
      !options.deletion &&
      !meta.finalizers?.length &&
      !current.metadata.deletionGracePeriodSeconds
    ) {
      // Store.shouldDeleteDuringUpdate: the last finalizer of an object whose deletion is only
      // waiting for finalizers is gone, so the update deletes it (a DELETED event, no MODIFIED).
      this.remove(resource, key, obj, current, rv);
      return obj;
    }
    bucket.objects.set(key, obj);
    indexOwners(bucket, key, current, obj);
    this.record({ rv, resource, type: 'MODIFIED', object: obj, previous: current });
    return obj;
  }

  /**
   * Defaulting, the request's admission, then validation, in kube-apiserver's order; the
   * returned object (defaulted) is what gets stored. Kinds without a strategy pass as they came.
   */
  private admitted(
    resource: ResourceName,
    input: KubeObject,
    old: KubeObject | undefined,
    options: WriteOptions,
  ): KubeObject {
    const strategy = this.strategies.get(resource);
    let obj = strategy?.default ? strategy.default(input) : input;
    if (!old && options.default) obj = options.default(obj);
    options.admit?.(obj, old);
    if (old) strategy?.validateUpdate?.(obj, old);
    else strategy?.validateCreate?.(obj);
    options.validate?.(obj, old);
    // The metadata is the write's own copy (create and update spread it), so it may be set here.
    if (options.track) obj.metadata.managedFields = options.track(obj, old);
    if (!old && options.untracked) obj = options.untracked(obj);
    return obj;
  }

  /** Read-modify-write with a function, the way the simulator's own controllers change objects. */
  mutate(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    change: (draft: KubeObject) => KubeObject | undefined,
  ): KubeObject | undefined {
    const current = this.get(resource, namespace, name);
    if (!current) return undefined;
    const draft = structuredClone(current) as KubeObject;
    const next = change(draft) ?? draft;
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.update(resource, next);
  }

  /**
   * JSON merge patch (RFC 7386), as `kubectl patch --type merge` sends, or (`type`
   * 'strategic') strategic merge patch with the kind's patch-merge keys (strategic-patch.ts).
   */
  patch(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: WriteOptions = {},
    type: 'merge' | 'strategic' | 'json' = 'merge',
  ): KubeObject {
    const current = this.get(resource, namespace, name);
    if (!current) {
      throw new StoreError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, {
        name,
        kind: resource,
      });
    }
    if (type === 'json') return this.jsonPatch(resource, current, patch, options);
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) {
      throw new StoreError(
        400,
        'BadRequest',
        `a merge patch must be a JSON object, received ${JSON.stringify(patch)?.slice(0, 80)}`,
      );
    }
    const merged = (
      type === 'strategic'
        ? strategic(current, patch as Record<string, unknown>, RESOURCES[resource].kind)
        : mergePatch(structuredClone(current), patch)
    ) as KubeObject;
    merged.metadata = {
      ...merged.metadata,
      name: current.metadata.name,
      namespace: current.metadata.namespace,
    };
    const wanted = (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    merged.metadata.resourceVersion = wanted ?? current.metadata.resourceVersion;
    return this.update(resource, merged, options);
  }

  /**
   * A JSON patch (json-patch.ts) answered as kube-apiserver answers it: 400 for a body that
   * is not a patch, 413 past 10000 operations, 422 with the generic message when an
   * operation does not apply. The patched object's resourceVersion is the precondition
   * (unchanged unless an operation changed it), and name and namespace stay the stored ones.
   */
  private jsonPatch(
    resource: ResourceName,
    current: KubeObject,
    patch: unknown,
    options: WriteOptions,
  ): KubeObject {
    let patched: KubeObject;
    try {
      patched = applyJsonPatch(current, decodeJsonPatch(patch)) as KubeObject;
    } catch (err) {
      if (!(err instanceof JsonPatchError)) throw err;
      if (err.code === 400) throw new StoreError(400, 'BadRequest', err.message);
      if (err.code === 413) throw new StoreError(413, 'RequestEntityTooLarge', err.message);
      throw new StoreError(422, 'Invalid', JSON_PATCH_INVALID_MESSAGE, {});
    }
    if (!patched || typeof patched !== 'object' || Array.isArray(patched)) {
      throw new StoreError(400, 'BadRequest', "Object 'Kind' is missing in the patched object");
    }
    const metadata = (
      patched.metadata && typeof patched.metadata === 'object' ? patched.metadata : {}
    ) as KubeObject['metadata'];
    patched.metadata = {
      ...metadata,
      name: current.metadata.name,
      namespace: current.metadata.namespace,
      resourceVersion: metadata.resourceVersion ?? current.metadata.resourceVersion,
    };
    return this.update(resource, patched, options);
  }

  delete(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    options: WriteOptions = {},
  ): KubeObject {
    const bucket = this.bucket(resource);
    const key = objectKey(RESOURCES[resource].namespaced ? namespace : undefined, name);
    const current = bucket.objects.get(key);
    if (!current) {
      throw new StoreError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, {
        name,
        kind: resource,
      });
    }
    // A dry-run delete answers with the object as stored, resourceVersion and all.
    if (options.dryRun) return current;
    const rv = this.nextRV();
    // The DELETED event carries the last state with the deletion's resourceVersion.
    const obj = freeze({ ...current, metadata: { ...current.metadata, resourceVersion: String(rv) } });
    this.remove(resource, key, obj, current, rv);
    return obj;
  }

  private remove(
    resource: ResourceName,
    key: string,
    last: KubeObject,
    previous: KubeObject,
    rv: number,
  ): void {
    const bucket = this.bucket(resource);
    bucket.objects.delete(key);
    indexOwners(bucket, key, previous, undefined);
    const pos = lowerBound(bucket.sorted, key);
    if (bucket.sorted[pos] === key) bucket.sorted.splice(pos, 1);
    this.record({ rv, resource, type: 'DELETED', object: last, previous });
  }

  /**
   * Changes newer than `fromRV` for a resource, or a 410 StoreError when `fromRV` is
   * older than the kept history.
   */
  eventsSince(resource: ResourceName, fromRV: number): StoredEvent[] {
    if (fromRV < this.compactedRV) {
      throw new StoreError(410, 'Expired', `too old resource version: ${fromRV} (${this.compactedRV})`);
    }
    const out: StoredEvent[] = [];
    // History is in RV order: binary search the first event newer than fromRV.
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid].rv <= fromRV) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.history.length; i++) {
      if (this.history[i].resource === resource) out.push(this.history[i]);
    }
    return out;
  }

  /** Listens to every future change of a resource. Returns the unsubscribe function. */
  subscribe(resource: ResourceName, listener: WatchListener): () => void {
    const set = this.listeners.get(resource)!;
    set.add(listener);
    return () => set.delete(listener);
  }

  listenerCount(resource: ResourceName): number {
    return this.listeners.get(resource)!.size;
  }

  /** Drops all history: every watch resuming from an older RV now gets 410 Expired. */
  compact(): void {
    this.history.length = 0;
    this.historyStart = 0;
    this.compactedRV = this.rv;
  }

  private nextRV(): number {
    this.rv += 1;
    return this.rv;
  }

  private record(event: StoredEvent): void {
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.historyStart += 1;
      this.compactedRV = this.history[this.historyStart].rv - 1;
      // Splice rarely, in chunks, to keep record() amortised O(1).
      if (this.historyStart > 4096) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const listener of this.listeners.get(event.resource)!) listener(event);
  }

  private bucket(resource: ResourceName): Bucket {
    const bucket = this.buckets.get(resource);
    if (!bucket)
      throw new StoreError(404, 'NotFound', `the server could not find the requested resource ${resource}`);
    return bucket;
  }
}

/** names.maxGeneratedNameLength: 63 minus the 5 random characters. */
const MAX_GENERATED_NAME_LENGTH = 58;

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/** RFC 7386 JSON merge patch: null deletes, objects merge, everything else replaces. */
function strategic(current: KubeObject, patch: Record<string, unknown>, kind: string): unknown {
  try {
    return strategicMergePatch(current as unknown as Record<string, unknown>, patch, kind);
  } catch (err) {
    if (!(err instanceof StrategicPatchError)) throw err;
    throw new StoreError(err.code, err.code === 400 ? 'BadRequest' : 'InternalError', err.message);
  }
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export type { WatchEventType };
