/**
 * Keyset pagination over an in-memory list. A cursor holds the sort key of its object
 * (the ordered value, then namespace, name and uid), not an offset: "after X" means
 * "everything ordered after X's key", which stays exact when objects before X are added
 * or removed, and when X itself is gone. Paging a list that changes therefore never
 * repeats or skips an object that existed throughout (and kept its sort key).
 */
import { badUserInput, quote } from '../errors.js';
import { previousAnswer } from '../loaders/index.js';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 100;

export type SortKey = readonly (string | number)[];
export type Direction = 'ASC' | 'DESC';

export interface Order<T> {
  field: string;
  direction: Direction;
  /** Unique per object: ends with the uid. */
  key(item: T): SortKey;
  /**
   * What else the keys depend on besides the objects (a usage order: the metrics answer and
   * the caller's rights), so sorted lists are memoised per that too. Without it, `key` must
   * be a function of the (immutable) object alone: its key is then kept with the object
   * across requests and lists.
   */
  memo?: string;
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface Page<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: number;
}

const CURSOR_VERSION = 1;

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function encodeCursor(order: Order<unknown>, key: SortKey): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, order.field, order.direction, ...key])).toString(
    'base64url',
  );
}

/** `width`: the key length of this list's objects, unknown (undefined) when the list is empty. */
function decodeCursor(
  arg: string,
  cursor: string,
  order: Order<unknown>,
  width: number | undefined,
): SortKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed[0] === CURSOR_VERSION &&
    parsed.length >= 4 &&
    (width === undefined || parsed.length === 3 + width) &&
    parsed.slice(3).every((v) => typeof v === 'string' || typeof v === 'number');
  if (!valid) {
    throw badUserInput(
      `expected "${arg}" to be a cursor from this connection's pageInfo or edges, received ${quote(cursor)}`,
    );
  }
  const [, field, direction] = parsed as [number, string, string];
  if (field !== order.field || direction !== order.direction) {
    throw badUserInput(
      `the "${arg}" cursor was made for orderBy {field: ${field}, direction: ${direction}}, ` +
        `but this query orders by {field: ${order.field}, direction: ${order.direction}}; page again from the start`,
    );
  }
  return (parsed as SortKey).slice(3);
}

function checkSize(arg: string, value: number | null | undefined): void {
  if (value === null || value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw badUserInput(`expected "${arg}" to be an integer from 0 to ${MAX_PAGE_SIZE}, received ${value}`);
  }
}

/** Validates page arguments before anything is loaded, so bad input costs no upstream read. */
export function checkPageArgs(args: PageArgs): void {
  checkSize('first', args.first);
  checkSize('last', args.last);
  if (args.first != null && args.last != null) {
    throw badUserInput('expected either "first" or "last", received both; page forwards or backwards');
  }
}

/**
 * An object and its sort key. `rank` and `stamp` are scratch for `sortEntries`: the entry's place
 * in the order it is merged from, valid while `stamp` is that merge's.
 */
export type Entry<T> = { item: T; key: SortKey; rank: number; stamp: number };

/**
 * Sorted entries per (list, order). The list loader hands out the same frozen array
 * while a kind's informer has not changed, so paging an unchanged list sorts it once
 * and then costs two binary searches and a slice.
 */
const sortedMemo = new WeakMap<readonly unknown[], Map<string, Entry<unknown>[]>>();

/**
 * Entries per object, per order field, for orders whose key depends on the object alone (no
 * `memo`): an object that did not change keeps its key and entry across lists and requests.
 * Held weakly by the object: gone with it. The fields are the schema's order enums, a
 * handful per kind, and each kind's objects are its own, so a field names one key function.
 */
const entryMemo = new Map<string, WeakMap<object, Entry<unknown>>>();

function entryOf<T>(cache: WeakMap<object, Entry<unknown>> | undefined, order: Order<T>, item: T): Entry<T> {
  let entry = cache?.get(item as object) as Entry<T> | undefined;
  if (entry === undefined) {
    entry = { item, key: order.key(item), rank: -1, stamp: 0 };
    cache?.set(item as object, entry as Entry<unknown>);
  }
  return entry;
}

let stamps = 0;

/**
 * `items` in `order`, from `previous` (an earlier version of the same list, sorted in the same
 * order) when there is one: under churn a list of 10,000 jobs differs from the one before by
 * a few objects, and a full sort of it (its keys, then ~130,000 comparisons) was most of
 * what paging cost (Q3 at size L, `IDS=Q3 ONLY=plans PROF=DIR npx tsx
 * bench/wide-breakdown.ts L 60`: `paginate` 29 % of the executor). The entries both have
 * keep their order; the new ones (a changed object is a new object) are sorted apart and
 * merged in: linear, plus the new ones' sort. The result is exactly a full sort's (keys are
 * unique, ending with the uid; a repeated object stays repeated).
 */
export function sortEntries<T>(
  items: readonly T[],
  order: Order<T>,
  previous?: readonly Entry<T>[],
): Entry<T>[] {
  const sign = order.direction === 'DESC' ? -1 : 1;
  const byKey = (a: Entry<T>, b: Entry<T>) => sign * compareKeys(a.key, b.key);
  let cache: WeakMap<object, Entry<unknown>> | undefined;
  if (order.memo === undefined) {
    cache = entryMemo.get(order.field);
    if (!cache) {
      cache = new WeakMap();
      entryMemo.set(order.field, cache);
    }
  }
  if (!cache || !previous) {
    const entries = items.map((item) => entryOf(cache, order, item));
    return entries.sort(byKey);
  }
  const stamp = ++stamps;
  for (let i = 0; i < previous.length; i++) {
    previous[i].rank = i;
    previous[i].stamp = stamp;
  }
  const slots: (Entry<T> | undefined)[] = new Array(previous.length);
  const fresh: Entry<T>[] = [];
  for (const item of items) {
    const entry = entryOf(cache, order, item);
    if (entry.stamp === stamp && slots[entry.rank] === undefined) slots[entry.rank] = entry;
    else fresh.push(entry);
  }
  fresh.sort(byKey);
  const kept: Entry<T>[] = [];
  for (let i = 0; i < slots.length; i++) if (slots[i] !== undefined) kept.push(slots[i] as Entry<T>);
  if (fresh.length === 0) return kept;
  // Each new entry's place by binary search, the kept runs between them copied as they are.
  const merged: Entry<T>[] = new Array(items.length);
  let n = 0;
  let from = 0;
  for (const entry of fresh) {
    const at = bound(kept, entry.key, sign, false, from);
    while (from < at) merged[n++] = kept[from++];
    merged[n++] = entry;
  }
  while (from < kept.length) merged[n++] = kept[from++];
  return merged;
}

/**
 * The key of an order in `sortedMemo`, made once per order object: built afresh on every
 * page, it was a new string to flatten and hash each time, and a page of 100 jobs with their
 * pods pages 101 lists (`makeOrder` hands out one object per field, direction and value).
 */
const memoKeys = new WeakMap<Order<unknown>, string>();

function memoKeyOf(order: Order<unknown>): string {
  let key = memoKeys.get(order);
  if (key === undefined) {
    key = `${order.field}\u0000${order.direction}\u0000${order.memo ?? ''}`;
    memoKeys.set(order, key);
  }
  return key;
}

function sortedEntries<T>(items: readonly T[], order: Order<T>): Entry<T>[] {
  const memoKey = memoKeyOf(order as Order<unknown>);
  const frozen = Object.isFrozen(items);
  const cached = frozen ? sortedMemo.get(items)?.get(memoKey) : undefined;
  if (cached) return cached as Entry<T>[];
  const before = frozen ? previousAnswer(items) : undefined;
  const previous = before && (sortedMemo.get(before)?.get(memoKey) as Entry<T>[] | undefined);
  const entries = sortEntries(items, order, previous);
  if (frozen) {
    let byOrder = sortedMemo.get(items);
    if (!byOrder) {
      byOrder = new Map();
      sortedMemo.set(items, byOrder);
    }
    byOrder.set(memoKey, entries as Entry<unknown>[]);
  }
  return entries;
}

/** First index (from `lo`) whose key compares above (`strict`) or at-or-above `key`, in the order's direction. */
function bound<T>(entries: Entry<T>[], key: SortKey, sign: number, strict: boolean, lo = 0): number {
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = sign * compareKeys(entries[mid].key, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function paginate<T, N>(
  items: readonly T[],
  args: PageArgs,
  order: Order<T>,
  wrap: (item: T) => N,
): Page<N> {
  checkPageArgs(args);
  const sign = order.direction === 'DESC' ? -1 : 1;
  const entries = sortedEntries(items, order);
  const width = entries[0]?.key.length;
  const after = args.after ? decodeCursor('after', args.after, order, width) : undefined;
  const before = args.before ? decodeCursor('before', args.before, order, width) : undefined;

  // The window strictly between the cursors; the cursors' own objects may be gone.
  const lo = after ? bound(entries, after, sign, true) : 0;
  const hi = Math.max(lo, before ? bound(entries, before, sign, false) : entries.length);
  let page: Entry<T>[];
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  if (args.last != null) {
    const start = Math.max(lo, hi - args.last);
    page = entries.slice(start, hi);
    hasPreviousPage = start > lo;
    hasNextPage = hi < entries.length;
  } else {
    const n = args.first ?? DEFAULT_PAGE_SIZE;
    const end = Math.min(hi, lo + n);
    page = entries.slice(lo, end);
    hasNextPage = end < hi;
    hasPreviousPage = lo > 0;
  }
  const edges = page.map((e) => new Edge(order as Order<unknown>, e.key, wrap(e.item)));
  const first = edges[0];
  const last = edges[edges.length - 1];
  return {
    edges,
    pageInfo: new PageInfo(hasNextPage, hasPreviousPage, first, last),
    totalCount: items.length,
  };
}

/**
 * A page's pageInfo, its cursors encoded when read (as an edge's). A class, not an object
 * literal with getters: a literal defines its accessors at run time on every call, 1.2 µs
 * against 0.06 µs for an instance (Node 24, 1,000,000 each), and a page of 100 jobs with
 * their pods makes 101 of them.
 */
class PageInfo {
  readonly #first: Edge<unknown> | undefined;
  readonly #last: Edge<unknown> | undefined;

  constructor(
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    first: Edge<unknown> | undefined,
    last: Edge<unknown> | undefined,
  ) {
    this.#first = first;
    this.#last = last;
  }

  get startCursor(): string | null {
    return this.#first?.cursor ?? null;
  }

  get endCursor(): string | null {
    return this.#last?.cursor ?? null;
  }
}

/**
 * An edge whose cursor is encoded when it is read: a page of 500 nodes whose operation
 * selects no `cursor` (a dashboard's table) would otherwise stringify and base64 500 keys
 * for nothing (issue #16's profile).
 */
class Edge<N> {
  readonly #order: Order<unknown>;
  readonly #key: SortKey;
  #cursor: string | undefined;
  readonly node: N;

  constructor(order: Order<unknown>, key: SortKey, node: N) {
    this.#order = order;
    this.#key = key;
    this.node = node;
  }

  get cursor(): string {
    this.#cursor ??= encodeCursor(this.#order, this.#key);
    return this.#cursor;
  }
}
