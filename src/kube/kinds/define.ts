/**
 * What the registry says about one kind (see ../kinds.ts). Everything kind-specific that the
 * client, the informers, the reader, the no-cache path and the schema need is a field here,
 * so no other module decides "namespaced means Pod or Job" by hand.
 */
import type { BatchV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { Indexers } from '../indexer.js';
import type { Trimmer } from '../transform.js';

/** The typed client-node APIs a kind's calls go through (one set per cluster, pooled). */
export interface KubeApis {
  core: CoreV1Api;
  batch: BatchV1Api;
  rbac: RbacAuthorizationV1Api;
}

/** Options every LIST takes; `_continue` is client-node's name for `continue`. */
export interface ListCallOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  _continue?: string;
  resourceVersion?: string;
}

/** A list as client-node returns it. */
export interface KubeList<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/**
 * An index lookup a query can be served by: the index's name and the value to look up, or
 * several values whose objects together hold every match (a label's `in (a, b, c)`).
 */
export interface IndexLookup {
  index: string;
  value: string;
  /** More values of the same index, looked up too (their objects are disjoint from each other's). */
  orValues?: readonly string[];
}

/**
 * A filter a kind supports besides namespace, labels and name search (a pod's node, job
 * and phase; a job's state; an event's reason). One definition serves every path: the
 * informer's store (`index`), the API server (`fieldSelector`) and memory (`matches`).
 */
export interface FieldFilter<T> {
  /** The rule itself: whether `obj` passes for `value`. Always applied. */
  matches(obj: T, value: string): boolean;
  /**
   * A field selector with which the API server selects exactly the objects `matches`
   * passes, or undefined when it cannot (the filter then runs in memory on a wider LIST).
   */
  fieldSelector?(value: string): string | undefined;
  /**
   * An index of the store holding every object `matches` passes (a superset is fine); it
   * may use the query's namespace and other filters (a job name needs its namespace).
   */
  index?(value: string, scope: FilterScope): IndexLookup | undefined;
}

/** What else a query asks, for a filter that needs it to pick an index. */
export interface FilterScope {
  namespace?: string;
  filters: Readonly<Record<string, string>>;
}

export interface KindDefinition<T> {
  readonly kind: string;
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** `version` or `group/version`. */
  readonly apiVersion: string;
  /** The resource: lower-case plural as it appears in REST paths (and in RBAC rules). */
  readonly plural: string;
  readonly namespaced: boolean;
  /** The client-node model name `ObjectSerializer.deserialize(raw, modelType)` expects. */
  readonly modelType: string;
  /** One page of a LIST, across all namespaces when `namespace` is undefined. */
  readonly list: (
    apis: KubeApis,
    namespace: string | undefined,
    options: ListCallOptions,
  ) => Promise<KubeList<T>>;
  /** One object (client-node throws an ApiException with code 404 when it does not exist). */
  readonly get: (apis: KubeApis, namespace: string | undefined, name: string) => Promise<T>;
  /**
   * true: mirrored by an informer (list+watch, indexed store) when the cluster has the cache.
   * false: always read from the API server on demand, one batched LIST per request.
   */
  readonly informer: boolean;
  /** Whether /readyz and `Cluster.ready` wait for this kind's informer to sync. */
  readonly readiness: boolean;
  /**
   * true: one of the kinds that decide access (RBAC), not data a page shows. Mirrored only
   * by clusters that authorise identities from RBAC, with or without the data cache, and
   * not exposed by the schema.
   */
  readonly access?: boolean;
  /** Trims an object before it is stored: keeps what the schema reads; see transform.ts. */
  readonly trim: (t: Trimmer, obj: T) => T;
  /**
   * Member names the trim drops wherever they occur in the object, each with an array or
   * object value: cut from a listed page's or a watch event's JSON text before it is
   * parsed, with managedFields (managed-fields.ts `memberCut`). Only names the trim reads
   * nowhere in the object, at any depth: test/kube/managed-fields.test.ts checks that the
   * trim of the cut parse is the trim of the whole one, for every kind.
   */
  readonly dropped?: readonly string[];
  /** The store's indexes, by name (index names are constants in indexer.ts or the kind's file). */
  readonly indexers: Indexers<T>;
  /** The kind's own filters, by the name a ListKey uses for them. */
  readonly filters: Readonly<Record<string, FieldFilter<T>>>;
}

/** A definition with `apiVersion` derived from group and version, frozen. */
export function defineKind<T>(def: Omit<KindDefinition<T>, 'apiVersion'>): KindDefinition<T> {
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  return Object.freeze({ ...def, apiVersion, filters: Object.freeze({ ...def.filters }) });
}

/** The REST path of a kind's collection, in one namespace or across all. */
export function collectionPath(
  def: Pick<KindDefinition<unknown>, 'group' | 'version' | 'namespaced' | 'plural'>,
  namespace?: string,
): string {
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const ns = def.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${def.plural}`;
}

/** The REST path of one object (and of one of its subresources: `eviction`, `status`). */
export function objectPath(
  def: Pick<KindDefinition<unknown>, 'group' | 'version' | 'namespaced' | 'plural'>,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const ns = def.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  const sub = subresource ? `/${subresource}` : '';
  return `${base}${ns}/${def.plural}/${encodeURIComponent(name)}${sub}`;
}
