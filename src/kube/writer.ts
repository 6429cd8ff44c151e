/**
 * The write interface over one cluster, the sibling of ClusterReader: creates, patches,
 * deletes and evictions sent straight to the API server (never through the cache), as the
 * caller (impersonation headers on the cluster's pooled client), and the wait until the
 * cluster's informer has applied what was written, so that a read after the write sees it.
 *
 * It knows no kind by name: paths come from the registry's REST facts (kinds/define.ts),
 * answers are deserialised into the registry's model types and trimmed as the informers
 * trim them. Rate limits, who may write and errors for clients are the loaders' business.
 */
import { ClusterClient, type Impersonation } from './client.js';
import type { Clock } from './clock.js';
import type { Cluster } from './cluster.js';
import type { HubEvent } from './event-hub.js';
import { collectionPath, objectPath } from './kinds/define.js';
import { type KindName, type KubeObjectOf, keyOf, kindOf, objectKey } from './kinds.js';
import { ATTR_CLUSTER, ATTR_KIND, cacheWaitSpan } from './tracing.js';
import { transformerFor } from './transform.js';

export type { Impersonation } from './client.js';

export type PatchType = 'merge' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/**
 * What the cache must show before a write counts as visible:
 * - `version`: the object (this uid) at this resourceVersion or a later one;
 * - `gone`: no object of this uid under the key (a deletion);
 * - `deleting`: the object gone or marked for deletion (an eviction answers no version).
 */
export type Expectation =
  | { until: 'version'; uid?: string; resourceVersion?: string }
  | { until: 'gone'; uid?: string }
  | { until: 'deleting'; uid?: string };

/** One write the server accepted. */
export interface Write<K extends KindName> {
  kind: K;
  namespace?: string;
  name: string;
  /**
   * The object as the server answered, trimmed and frozen as the cache stores it; for a
   * deletion answered with a Status, its last state in the cache; undefined otherwise.
   */
  object?: KubeObjectOf<K>;
  /** The resourceVersion the server answered with (none for a dry-run create or an eviction). */
  resourceVersion?: string;
  dryRun: boolean;
  expect: Expectation;
  /** What the cache held before a write the server answered without the object (an eviction). */
  before?: KubeObjectOf<K>;
}

export interface WriterOptions {
  /** Who the writes are made as. */
  as: Impersonation;
  /** The gateway's clock: visibility waits time out on it. */
  clock: Clock;
}

interface Meta {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: unknown;
  };
}

/**
 * Whether resourceVersion `a` is `b` or newer. resourceVersions are opaque to clients by
 * contract; every API server there is (etcd's revision) makes them increasing integers,
 * and only then is "newer" decided: otherwise only the same version counts.
 */
export function versionAtLeast(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return a === b;
}

/** Whether an object (the cache's, or an event's) shows what `expect` waits for. */
function shows(expect: Expectation, obj: Meta | undefined, deleted: boolean, eventVersion?: string): boolean {
  const same = obj !== undefined && (expect.uid === undefined || obj.metadata?.uid === expect.uid);
  switch (expect.until) {
    case 'gone':
      return obj === undefined || !same || deleted;
    case 'deleting':
      return obj === undefined || !same || deleted || obj.metadata?.deletionTimestamp != null;
    case 'version':
      // A deletion after the write (someone else's) supersedes it: the cache moved past it.
      if (expect.resourceVersion === undefined) return same && !deleted;
      if (deleted) return same && versionAtLeast(eventVersion, expect.resourceVersion);
      return same && versionAtLeast(obj?.metadata?.resourceVersion, expect.resourceVersion);
  }
}

export class ClusterWriter {
  readonly #cluster: Cluster;
  readonly #as: Impersonation;
  readonly #clock: Clock;

  constructor(cluster: Cluster, options: WriterOptions) {
    this.#cluster = cluster;
    this.#as = options.as;
    this.#clock = options.clock;
  }

  get name(): string {
    return this.#cluster.name;
  }

  /** POST to the kind's collection; `dryRun`: validated and authorised, nothing stored. */
  async create<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    body: object,
    options: { dryRun?: boolean } = {},
  ): Promise<Write<K>> {
    const answer = await this.#send({
      method: 'POST',
      path: collectionPath(kindOf(kind), namespace),
      query: { dryRun: options.dryRun ? 'All' : undefined },
      body,
    });
    return this.#written(kind, namespace, '', answer, options.dryRun === true, 'write');
  }

  /** PATCH one object (JSON merge or strategic merge patch). */
  async patch<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
    patch: object,
    type: PatchType,
    options: { dryRun?: boolean } = {},
  ): Promise<Write<K>> {
    const answer = await this.#send({
      method: 'PATCH',
      path: objectPath(kindOf(kind), namespace, name),
      query: { dryRun: options.dryRun ? 'All' : undefined },
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
    });
    return this.#written(kind, namespace, name, answer, options.dryRun === true, 'write');
  }

  /**
   * DELETE one object. The server answers with the object: gone (its last state), or, for a
   * graceful deletion or one that waits for finalizers (a pod's grace period, a Foreground
   * propagation), still there with a deletionTimestamp.
   */
  async delete<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
    options: { gracePeriodSeconds?: number; propagationPolicy?: PropagationPolicy; dryRun?: boolean } = {},
  ): Promise<Write<K>> {
    // Most registries answer a deletion with a Status (only pods and namespaces return the
    // object): the last state is then what the cache held.
    const before = this.cached(kind, namespace, name);
    const answer = await this.#send({
      method: 'DELETE',
      path: objectPath(kindOf(kind), namespace, name),
      query: { dryRun: options.dryRun ? 'All' : undefined },
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(options.gracePeriodSeconds !== undefined
          ? { gracePeriodSeconds: options.gracePeriodSeconds }
          : {}),
        ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
        ...(options.dryRun ? { dryRun: ['All'] } : {}),
      },
    });
    return this.#written(kind, namespace, name, answer, options.dryRun === true, 'delete', before);
  }

  /**
   * The Eviction API (policy/v1, the pod's `eviction` subresource): the server deletes the
   * pod gracefully unless a PodDisruptionBudget forbids it (429). It answers a Status, not
   * the pod: the wait is for the pod to be marked for deletion (or gone).
   */
  async evict(
    namespace: string,
    name: string,
    options: { gracePeriodSeconds?: number; dryRun?: boolean } = {},
  ): Promise<Write<'Pod'>> {
    const before = this.cached('Pod', namespace, name);
    const cachedUid = before?.metadata?.uid;
    await this.#send({
      method: 'POST',
      path: objectPath(kindOf('Pod'), namespace, name, 'eviction'),
      query: { dryRun: options.dryRun ? 'All' : undefined },
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name, namespace },
        deleteOptions: {
          ...(options.gracePeriodSeconds !== undefined
            ? { gracePeriodSeconds: options.gracePeriodSeconds }
            : {}),
          ...(options.dryRun ? { dryRun: ['All'] } : {}),
        },
      },
    });
    return {
      kind: 'Pod',
      namespace,
      name,
      dryRun: options.dryRun === true,
      expect: { until: 'deleting', ...(cachedUid ? { uid: cachedUid } : {}) },
      ...(before ? { before } : {}),
    };
  }

  /**
   * Every object of a kind matching selectors, straight from the API server and as the
   * caller (so the caller's `list` right decides, as for kubectl): what a drain evicts.
   */
  async list<K extends KindName>(
    kind: K,
    options: { namespace?: string; fieldSelector?: string; labelSelector?: string } = {},
  ): Promise<KubeObjectOf<K>[]> {
    const transform = transformerFor(kind);
    const out: KubeObjectOf<K>[] = [];
    let continueToken: string | undefined;
    do {
      const page = (await this.#send({
        method: 'GET',
        path: collectionPath(kindOf(kind), options.namespace),
        query: {
          fieldSelector: options.fieldSelector,
          labelSelector: options.labelSelector,
          limit: '500',
          continue: continueToken,
        },
      })) as { items?: unknown[]; metadata?: { continue?: string } } | undefined;
      for (const item of page?.items ?? []) out.push(transform(ClusterClient.deserialize(kind, item)));
      continueToken = page?.metadata?.continue || undefined;
    } while (continueToken);
    return out;
  }

  /** What the cache holds of an object now (undefined: not cached, or no such object). */
  cached<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): KubeObjectOf<K> | undefined {
    const informer = this.#cluster.informers?.[kind];
    if (!informer?.hasSynced) return undefined;
    return informer.store.get(keyOf(kindOf(kind).namespaced ? namespace : undefined, name)) as
      | KubeObjectOf<K>
      | undefined;
  }

  /**
   * Resolves once the cluster's cache shows the write (its informer has applied the written
   * resourceVersion, or the deletion), with what the cache holds then; `visible: false`
   * after `timeoutMs` on the gateway's clock. A kind this cluster does not mirror is read
   * from the API server, which has the write already: visible at once. A dry run wrote
   * nothing: never visible. No polling: the informer's events through the hub wake it.
   */
  visible<K extends KindName>(
    write: Write<K>,
    timeoutMs: number,
  ): Promise<{ visible: boolean; object?: KubeObjectOf<K> }> {
    if (write.dryRun) return Promise.resolve({ visible: false });
    const { kind, expect } = write;
    const informer = this.#cluster.informers?.[kind];
    if (!informer) return Promise.resolve({ visible: true });
    const key = keyOf(kindOf(kind).namespaced ? write.namespace : undefined, write.name);
    const now = informer.store.get(key) as KubeObjectOf<K> | undefined;
    if (shows(expect, now as Meta | undefined, false)) return Promise.resolve({ visible: true, object: now });
    return cacheWaitSpan(
      'visible',
      () => ({ [ATTR_CLUSTER]: this.name, [ATTR_KIND]: kind }),
      () => this.#shown(write, key, timeoutMs),
      (result) => (result.visible ? 'visible' : 'timeout'),
    );
  }

  /** Waits on the hub until the informer applied the write (or `timeoutMs` on the clock). */
  #shown<K extends KindName>(
    write: Write<K>,
    key: string,
    timeoutMs: number,
  ): Promise<{ visible: boolean; object?: KubeObjectOf<K> }> {
    const { kind, expect } = write;
    return new Promise((resolve) => {
      let done = false;
      const finish = (visible: boolean, object?: KubeObjectOf<K>) => {
        if (done) return;
        done = true;
        unsubscribe();
        this.#clock.clearTimeout(timer);
        resolve({ visible, ...(object ? { object } : {}) });
      };
      // Events, not the store: a cluster swapped meanwhile (rotated credentials) publishes
      // from a new informer under the same name, and the hub carries both.
      const unsubscribe = this.#cluster.hub.subscribe({ cluster: this.name, kind }, (event: HubEvent) => {
        if (objectKey(event.object) !== key) return;
        const deleted = event.type === 'DELETED';
        if (shows(expect, event.object as Meta, deleted, event.resourceVersion))
          finish(true, deleted ? undefined : (event.object as KubeObjectOf<K>));
      });
      const timer = this.#clock.setTimeout(() => finish(false), timeoutMs);
    });
  }

  async #send(req: Omit<Parameters<ClusterClient['request']>[0], 'impersonate'>): Promise<unknown> {
    try {
      return await this.#cluster.client.request({ ...req, impersonate: this.#as });
    } finally {
      // Reads of the API server in flight from before this write are not handed to later
      // callers (shared-reads.ts): the page a mutation's answer leads to sees the write.
      this.#cluster.reads.wrote();
    }
  }

  #written<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
    answer: unknown,
    dryRun: boolean,
    how: 'write' | 'delete',
    before?: KubeObjectOf<K>,
  ): Write<K> {
    const isObject =
      answer !== null &&
      typeof answer === 'object' &&
      (answer as { kind?: unknown }).kind !== 'Status' &&
      (answer as Meta).metadata !== undefined;
    const object = isObject ? transformerFor(kind)(ClusterClient.deserialize(kind, answer)) : undefined;
    const meta = (object as Meta | undefined)?.metadata;
    const resourceVersion = meta?.resourceVersion || undefined;
    // A Status names the deleted object's uid in its details.
    const statusUid = isObject
      ? undefined
      : (answer as { details?: { uid?: string } } | undefined)?.details?.uid;
    const uid = meta?.uid ?? statusUid ?? (before as Meta | undefined)?.metadata?.uid;
    // A deletion the server could finish at once answers the last state; one that waits
    // (grace period, finalizers) answers the object marked with a deletionTimestamp.
    const pending = how === 'delete' && meta?.deletionTimestamp != null;
    const expect: Expectation =
      how === 'delete' && !pending
        ? { until: 'gone', ...(uid ? { uid } : {}) }
        : { until: 'version', ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) };
    const shown = object ?? (how === 'delete' ? before : undefined);
    return {
      kind,
      namespace: meta?.namespace ?? namespace,
      name: meta?.name ?? name,
      ...(shown ? { object: shown } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
      dryRun,
      expect,
    };
  }
}
