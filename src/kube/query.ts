/**
 * A query over one kind, and the one place its meaning is decided: which objects match
 * (every path applies `compileQuery`), what the API server can be told (`serverSelectors`),
 * and which index of a store serves it (`indexLookups`). The kind-specific parts come from
 * the registry's filters (kinds/*.ts), so nothing here names a kind.
 */
import { INDEX_LABEL, INDEX_NAMESPACE } from './indexer.js';
import type { IndexLookup } from './kinds/define.js';
import { type KindName, type KubeObjectOf, kindOf } from './kinds.js';
import {
  equalityPairs,
  formatLabelSelector,
  type LabelRequirement,
  matchLabels,
  parseLabelSelector,
} from './selector.js';

/**
 * What to list: a namespace (namespaced kinds; ignored for cluster-scoped ones), a label
 * selector, a name search, and the kind's own filters by name (a pod's `nodeName`,
 * `jobName`, `phase`; a job's `state`; an event's `type`, `reason`, `involvedKind`,
 * `involvedName`). Undefined values mean "no filter".
 */
export interface ObjectQuery {
  namespace?: string;
  /** Kubernetes label selector syntax; parse errors throw LabelSelectorError. */
  labelSelector?: string;
  /** Case-insensitive substring of the name. */
  search?: string;
  [filter: string]: string | undefined;
}

/** Keys of a query (or a loader key built on one) that are not kind filters. */
const GENERAL = new Set(['namespace', 'labelSelector', 'search', 'cluster', 'kind']);

/** The kind's filters a query sets, checked against the registry: an unknown one is a bug. */
export function filtersOf(kind: KindName, query: ObjectQuery): Record<string, string> {
  const known = kindOf(kind).filters;
  const out: Record<string, string> = {};
  for (const key in query) {
    const value = query[key];
    if (value === undefined || GENERAL.has(key)) continue;
    if (!Object.hasOwn(known, key)) {
      throw new Error(
        `query: ${kind} has no filter ${JSON.stringify(key)}; expected one of ${JSON.stringify(Object.keys(known))}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/**
 * A query's defined fields in a fixed order: equal queries, equal keys (memos, batches), and
 * different queries, different keys. Each value is written with its length before it, so no
 * value (a label selector, a search: client input) can end early or pass for another field;
 * the field names are our own identifiers. Built by concatenation: it runs for every list
 * key of a request (Q3 asks 100 jobs' pods), where an array of pairs through JSON.stringify
 * was ~6 % of Q3's execution (bench/wide-breakdown.ts).
 */
export function queryKey(kind: KindName, query: ObjectQuery): string {
  const keys: string[] = [];
  for (const key in query) {
    if (query[key] !== undefined && key !== 'cluster' && key !== 'kind') keys.push(key);
  }
  if (keys.length > 1) keys.sort();
  let out: string = kind;
  for (const key of keys) {
    const value = String(query[key]);
    out += `\u0000${key}=${value.length}:${value}`;
  }
  return out;
}

export type Matcher<T> = (obj: T) => boolean;

/** The query as a predicate, compiled once (parse the selector once for a LIST of 10k objects). */
export function compileQuery<K extends KindName>(kind: K, query: ObjectQuery): Matcher<KubeObjectOf<K>> {
  const def = kindOf(kind);
  const labels: LabelRequirement[] = parseLabelSelector(query.labelSelector ?? '');
  const search = query.search?.toLowerCase() || undefined;
  const namespace = def.namespaced ? query.namespace : undefined;
  const filters = Object.entries(filtersOf(kind, query)).map(
    ([name, value]) => [def.filters[name], value] as const,
  );
  return (obj) => {
    const meta = (
      obj as { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }
    ).metadata;
    if (namespace !== undefined && meta?.namespace !== namespace) return false;
    if (labels.length > 0 && !matchLabels(labels, meta?.labels)) return false;
    if (search !== undefined && !(meta?.name ?? '').toLowerCase().includes(search)) return false;
    for (const [filter, value] of filters) if (!filter.matches(obj, value)) return false;
    return true;
  };
}

/**
 * Whether `compileQuery(kind, query)` must answer alike for two versions of one object (a
 * MODIFIED's before and after): true when everything the query reads is equal in both. A
 * namespace and a name never change under a MODIFIED, but are compared anyway (cheap, and
 * right for any two objects); the labels are compared only at the keys the selector names,
 * and each kind filter is asked of both. A live subscription's filter then decides nothing
 * for a change that moves none of it (loaders/streams.ts `classify`).
 */
export function compileSameMatch<K extends KindName>(
  kind: K,
  query: ObjectQuery,
): (a: KubeObjectOf<K>, b: KubeObjectOf<K>) => boolean {
  const def = kindOf(kind);
  const keys = [...new Set(parseLabelSelector(query.labelSelector ?? '').map((r) => r.key))];
  const filters = Object.entries(filtersOf(kind, query)).map(
    ([name, value]) => [def.filters[name], value] as const,
  );
  type Meta = { name?: string; namespace?: string; labels?: Record<string, string> };
  const label = (labels: Record<string, string> | undefined, key: string) =>
    labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
  return (a, b) => {
    const am = (a as { metadata?: Meta }).metadata;
    const bm = (b as { metadata?: Meta }).metadata;
    if (am?.namespace !== bm?.namespace || am?.name !== bm?.name) return false;
    const al = am?.labels;
    const bl = bm?.labels;
    if (al !== bl) for (const key of keys) if (label(al, key) !== label(bl, key)) return false;
    for (const [filter, value] of filters)
      if (filter.matches(a, value) !== filter.matches(b, value)) return false;
    return true;
  };
}

/**
 * What an API server can apply of a query exactly: the namespace (in the path), the label
 * selector (canonical form: what our parser accepts a real server must too) and the field
 * selectors of the filters that have an exact one. The rest runs in memory (compileQuery).
 */
export function serverSelectors(
  kind: KindName,
  query: ObjectQuery,
): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
  const def = kindOf(kind);
  const labels = parseLabelSelector(query.labelSelector ?? '');
  const fields: string[] = [];
  for (const [name, value] of Object.entries(filtersOf(kind, query))) {
    const selector = def.filters[name].fieldSelector?.(value);
    if (selector !== undefined) fields.push(selector);
  }
  return {
    namespace: def.namespaced ? query.namespace : undefined,
    labelSelector: labels.length ? formatLabelSelector(labels) : undefined,
    fieldSelector: fields.length ? fields.join(',') : undefined,
  };
}

/**
 * The index lookups that each hold every object the query matches: the kind's filters'
 * indexes, one per equality label pair, and the namespace. The reader takes the smallest.
 */
export function indexLookups(kind: KindName, query: ObjectQuery): IndexLookup[] {
  const def = kindOf(kind);
  const filters = filtersOf(kind, query);
  const namespace = def.namespaced ? query.namespace : undefined;
  const out: IndexLookup[] = [];
  for (const [name, value] of Object.entries(filters)) {
    const lookup = def.filters[name].index?.(value, { namespace, filters });
    if (lookup !== undefined) out.push(lookup);
  }
  const labels = parseLabelSelector(query.labelSelector ?? '');
  for (const pair of equalityPairs(labels)) out.push({ index: INDEX_LABEL, value: pair });
  // `key in (a, b, ...)`: the union of the label index's buckets, instead of a scan. An object
  // has one value per key, so the buckets are disjoint.
  for (const r of labels) {
    if (r.operator !== 'In' || r.values.length < 2) continue;
    const [first, ...rest] = [...new Set(r.values)].map((v) => `${r.key}=${v}`);
    out.push({ index: INDEX_LABEL, value: first, orValues: rest });
  }
  if (namespace !== undefined) out.push({ index: INDEX_NAMESPACE, value: namespace });
  return out;
}
