/**
 * Batch functions for filtered lists (every connection and relation list) and for lookups
 * by name (single lookups, `pod.node`, `pod.job`, Relay `node(id:)`).
 *
 * Both follow one rule: a synced kind is answered key by key from the indexes (each key is
 * O(its matches)); a kind that is not synced is answered with ONE read per (cluster, kind,
 * namespace-or-cluster-wide) for the whole batch, grouped in memory. A lone key is the
 * exception: one LIST with its selectors pushed down moves less data than a whole kind.
 */
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import { isNamespaced, KIND_INFO, type KindName, keyOf } from '../kube/kinds.js';
import type { ObjectQuery } from '../kube/reader.js';
import { InMemoryLoader } from './aggregates.js';
import {
  type AnyObject,
  commonNamespace,
  compileMatcher,
  groupBy,
  type ListKey,
  listCacheKey,
  type ObjectKey,
  objectCacheKey,
} from './keys.js';
import { type RequestReads, readError } from './reads.js';
import { tracedBatch } from './tracing.js';

/** Called with every batch a loader runs: the loader's name and the keys, in order. */
export type BatchHook = (loader: string, keys: readonly unknown[]) => void;

const byClusterAndKind = (k: { cluster: string; kind: KindName }) => `${k.cluster}\u0000${k.kind}`;

/** The query a key asks (the key without its cluster and kind). */
function queryOf({ cluster: _c, kind: _k, ...query }: ListKey): ObjectQuery {
  return query;
}

function fail<T>(results: (T | Error)[], indexes: readonly number[], err: unknown): void {
  for (const i of indexes) results[i] = err instanceof Error ? err : new Error(String(err));
}

/**
 * Answers of synced kinds, memoised until the kind's store changes: a page of a list
 * that did not change (the common case between two requests of a dashboard) returns
 * the same array, which also lets pagination reuse its sort (see
 * schema/pagination.ts). Keyed by what the principal may see, so no answer crosses it.
 */
const answers = new WeakMap<object, LRUCache<string, { generation: number; items: readonly AnyObject[] }>>();

/** Bytes one informer's answer memo may hold (estimated: keys and the arrays of references). */
export const ANSWER_MEMO_BYTES = 8 * 1024 * 1024;

/** A memo entry's size: its key's characters and one pointer per item (the objects are the store's). */
export function answerBytes(entry: { items: readonly unknown[] }, key: string): number {
  return 2 * key.length + 8 * entry.items.length + 64;
}

/** The memos' total estimated bytes, for tests and metrics (over every live informer is not enumerable: per scope). */
export function answerMemoBytes(scope: object): number {
  return answers.get(scope)?.calculatedSize ?? 0;
}

/**
 * The memo's key for what `accessKey` may see of `key`: `${accessKey}\u0000${listCacheKey(key)}`,
 * the same string object each time the same (access, key) comes back.
 *
 * Why: a key built afresh is a tree of concatenated strings, which the memo's Map must flatten
 * and hash on every lookup, and Q3 looks one up per job of its page (each job's pods). That was
 * `lru-cache`'s internal `get` at 8.2 % of the gateway's busy time on Q3 (S, profiled with
 * `OPEN=3 KUBEGATE_BENCH_CPU_PROF=DIR npx tsx bench/rbac-only.ts Q3 many 8 S`). A lookup with a
 * key built as today took ~600 ns, with the same string held ~105 ns (100 job keys, 200,000
 * lookups, Node 24): the parts (the job's namespace and name, the cluster's name) are the
 * mirror's and the configuration's own strings, whose hashes V8 keeps, so walking a tree of
 * Maps by them finds the string built the first time. The tree is bounded (keys may carry a
 * client's selectors): past `MAX_INTERNED_KEYS` it starts again. A key with a value that is
 * not a string (its type allows none) is built as before, never interned.
 */
export const MAX_INTERNED_KEYS = 4096;
const BUILT = Symbol('built key');
type KeyTree = Map<unknown, KeyTree | string>;
let keyTree: KeyTree = new Map();
let internedKeys = 0;

function branch(tree: KeyTree, part: unknown): KeyTree {
  let next = tree.get(part) as KeyTree | undefined;
  if (next === undefined) {
    next = new Map();
    tree.set(part, next);
  }
  return next;
}

function builtKey(accessKey: string, key: ListKey): string {
  return `${accessKey}\u0000${listCacheKey(key)}`;
}

export function memoKeyOf(accessKey: string, key: ListKey): string {
  let tree = branch(keyTree, accessKey);
  for (const field in key) {
    const value = key[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return builtKey(accessKey, key);
    tree = branch(branch(tree, field), value);
  }
  const built = tree.get(BUILT) as string | undefined;
  if (built !== undefined) return built;
  if (internedKeys >= MAX_INTERNED_KEYS) {
    keyTree = new Map();
    internedKeys = 0;
    return builtKey(accessKey, key);
  }
  const fresh = builtKey(accessKey, key);
  tree.set(BUILT, fresh);
  internedKeys++;
  return fresh;
}

/** How many keys the tree holds now (for the test of its bound). */
export function internedMemoKeys(): number {
  return internedKeys;
}

/**
 * What a relation's list key was made from: the object it belongs to (a job, for its pods) and
 * the field's arguments. A caller passes it only when the key is a function of these, the
 * key's cluster and its kind alone (the object's own fields and the arguments' values).
 */
export interface ListOrigin {
  readonly owner: object;
  readonly args: object;
}

interface OriginKey {
  readonly cluster: string;
  readonly kind: KindName;
  readonly access: string;
  readonly memoKey: string;
}

/**
 * Memo keys by origin: per arguments object, then owner object, the key last asked (with its
 * cluster, kind and access). The planned executor hands a field the same frozen arguments
 * object on every request of one document and variables (server/selection-plan.ts), and the
 * mirror keeps an object until it changes, so a page of 100 jobs asking each job's pods finds
 * each memo key by two WeakMap lookups and four identity checks instead of walking
 * `memoKeyOf`'s tree, two Map levels per key field: that walk was 9.8 % of Q3's execution at
 * S, the whole page-of-pods step 33 % (`IDS=Q3 ONLY=plan PROF=DIR node
 * bench/wide-breakdown.js S 3000` in the tsc build). Arguments that are not frozen
 * (graphql-js's executor makes them afresh per field) are never kept: they could change, and
 * would never be asked again. Both levels are weak: an owner that changed, or a plan that
 * was dropped, takes its entries with it.
 */
const originKeys = new WeakMap<object, WeakMap<object, OriginKey>>();

function originMemoKey(accessKey: string, key: ListKey, origin: ListOrigin): string {
  let byOwner = originKeys.get(origin.args);
  const known = byOwner?.get(origin.owner);
  if (
    known !== undefined &&
    known.cluster === key.cluster &&
    known.kind === key.kind &&
    known.access === accessKey
  ) {
    return known.memoKey;
  }
  const memoKey = memoKeyOf(accessKey, key);
  if (Object.isFrozen(origin.args)) {
    if (byOwner === undefined) {
      byOwner = new WeakMap();
      originKeys.set(origin.args, byOwner);
    }
    byOwner.set(origin.owner, { cluster: key.cluster, kind: key.kind, access: accessKey, memoKey });
  }
  return memoKey;
}

/** Where `key`'s answer is memoised now, or undefined when it may not be. */
function memoOf(
  reads: RequestReads,
  reader: ReturnType<RequestReads['reader']>,
  key: ListKey,
  origin?: ListOrigin,
) {
  const scope = reader.scope(key.kind);
  const generation = reader.generation(key.kind);
  const access = reads.access(key.cluster);
  // Rights decided by reviews change without a key of their own: never memoised across requests.
  if (scope === undefined || generation === undefined || access.prepare) return undefined;
  let cache = answers.get(scope);
  if (!cache) {
    cache = new LRUCache<string, { generation: number; items: readonly AnyObject[] }>({
      max: 256,
      // Keyed by client input (selectors, searches): bounded in bytes, not only in count.
      maxSize: ANSWER_MEMO_BYTES,
      sizeCalculation: answerBytes,
    });
    answers.set(scope, cache);
  }
  const memoKey = origin ? originMemoKey(access.key, key, origin) : memoKeyOf(access.key, key);
  const hit = cache.get(memoKey);
  return {
    cache,
    memoKey,
    generation,
    hit: hit && hit.generation === generation ? hit.items : undefined,
    stale: hit && hit.generation !== generation ? hit.items : undefined,
  };
}

/**
 * Each memoised answer's predecessor: the same key's answer before the store changed, for
 * as long as the newer one lives (each link is cut as the next is made, so one answer keeps
 * at most one older alive). Pagination re-sorts a list that changed by a few objects from
 * its predecessor's order instead of from scratch (schema/pagination.ts).
 */
const predecessors = new WeakMap<readonly unknown[], readonly unknown[]>();

/** The answer this (memoised, frozen) list replaced, when it is still alive. */
export function previousAnswer(items: readonly unknown[]): readonly unknown[] | undefined {
  return predecessors.get(items);
}

function remember(
  memo: NonNullable<ReturnType<typeof memoOf>>,
  items: readonly AnyObject[],
): readonly AnyObject[] {
  const frozen = Object.freeze(items);
  if (memo.stale && memo.stale !== frozen) {
    predecessors.delete(memo.stale);
    predecessors.set(frozen, memo.stale);
  }
  memo.cache.set(memo.memoKey, { generation: memo.generation, items: frozen });
  return frozen;
}

async function memoised(
  reads: RequestReads,
  reader: ReturnType<RequestReads['reader']>,
  key: ListKey,
  compute: () => Promise<readonly AnyObject[]>,
): Promise<readonly AnyObject[]> {
  const memo = memoOf(reads, reader, key);
  if (!memo) return compute();
  if (memo.hit) return memo.hit;
  const items = await compute();
  if (reader.generation(key.kind) === memo.generation) return remember(memo, items);
  return items;
}

/**
 * The list loader's synchronous answer (InMemoryLoader's `now`): a synced kind and rights
 * decided without I/O give the same items `load` would (the same memo), with no promise,
 * DataLoader batch or tick. Q3 pages 100 jobs each with its pods: 100 connections that
 * were each a promise and a batch entry (bench/wide-breakdown.ts).
 */
function listNow(reads: RequestReads, key: ListKey, origin?: ListOrigin): readonly AnyObject[] | undefined {
  const reader = reads.reader(key.cluster);
  if (!reader.cached(key.kind)) return undefined;
  const memo = memoOf(reads, reader, key, origin);
  if (memo?.hit) return memo.hit;
  const items = reads.listNow(reader, key.kind, queryOf(key));
  if (items === undefined) return undefined;
  return memo ? remember(memo, items) : items;
}

export function createListLoader(reads: RequestReads, onBatch?: BatchHook) {
  return new InMemoryLoader<ListKey, readonly AnyObject[], ListOrigin>(
    tracedBatch('list', async (keys) => {
      onBatch?.('list', keys);
      const results: (readonly AnyObject[] | Error)[] = new Array(keys.length);
      await Promise.all(
        groupBy(keys, byClusterAndKind).map(async (group) => {
          const { cluster, kind } = keys[group[0]];
          const action = `listing ${KIND_INFO[kind].plural}`;
          try {
            const reader = reads.reader(cluster);
            if (reader.cached(kind) || group.length === 1) {
              await Promise.all(
                group.map(async (i) => {
                  try {
                    // The reader applies the whole query: the index or the API server what
                    // they can, memory the rest (kube/query.ts).
                    results[i] = await memoised(reads, reader, keys[i], () =>
                      reads.list(reader, kind, queryOf(keys[i])),
                    );
                  } catch (err) {
                    results[i] = readError(err, cluster, action);
                  }
                }),
              );
              return;
            }
            const namespace = commonNamespace(group.map((i) => keys[i]));
            const base = await reads.list(reader, kind, { namespace });
            for (const i of group) {
              try {
                results[i] = base.filter(compileMatcher(keys[i]));
              } catch (err) {
                results[i] = readError(err, cluster, action);
              }
            }
          } catch (err) {
            fail(results, group, readError(err, cluster, action));
          }
        }),
      );
      return results;
    }),
    { cacheKeyFn: listCacheKey },
    (key, origin) => listNow(reads, key, origin),
  );
}

export function createObjectLoader(reads: RequestReads, onBatch?: BatchHook) {
  return new DataLoader<ObjectKey, AnyObject | null, string>(
    tracedBatch('object', async (keys) => {
      onBatch?.('object', keys);
      const results: (AnyObject | null | Error)[] = new Array(keys.length);
      await Promise.all(
        groupBy(keys, byClusterAndKind).map(async (group) => {
          const { cluster, kind } = keys[group[0]];
          const namespaced = isNamespaced(kind);
          try {
            const reader = reads.reader(cluster);
            const access = reads.access(cluster);
            const namespaces = new Set(
              group.map((i) => (kind === 'Namespace' ? keys[i].name : keys[i].namespace)),
            );
            await reads.prepare(cluster, [
              { verb: 'get', kind },
              ...[...namespaces].map(
                (namespace) => namespace !== undefined && { verb: 'get' as const, kind, namespace },
              ),
            ]);
            // What the caller may not `get` is answered without asking anyone: not found,
            // exactly as for an object that does not exist.
            const wanted = group.filter((i) => {
              const k = keys[i];
              const ns = kind === 'Namespace' ? k.name : namespaced ? k.namespace : undefined;
              const ok = access.allows('get', kind, ns, k.name);
              if (!ok) results[i] = null;
              return ok;
            });
            if (reader.cached(kind) || wanted.length <= 1) {
              await Promise.all(
                wanted.map(async (i) => {
                  try {
                    const k = keys[i];
                    results[i] = (await reads.get(reader, kind, k.namespace, k.name)) ?? null;
                  } catch (err) {
                    results[i] = readError(err, cluster, `getting ${KIND_INFO[kind].plural}`);
                  }
                }),
              );
              return;
            }
            const namespace = namespaced ? commonNamespace(wanted.map((i) => keys[i])) : undefined;
            const byKey = new Map<string, AnyObject>();
            for (const obj of await reads.list(reader, kind, { namespace }))
              byKey.set(keyOf(obj.metadata?.namespace, obj.metadata?.name ?? ''), obj);
            for (const i of wanted) {
              const k = keys[i];
              results[i] = byKey.get(keyOf(namespaced ? k.namespace : undefined, k.name)) ?? null;
            }
          } catch (err) {
            fail(results, group, readError(err, cluster, `getting ${KIND_INFO[kind].plural}`));
          }
        }),
      );
      return results;
    }),
    { cacheKeyFn: objectCacheKey },
  );
}
