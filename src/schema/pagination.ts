/**
 * Keyset pagination over an in-memory list. A cursor holds the sort key of its object
 * (the ordered value, then namespace, name and uid), not an offset: "after X" means
 * "everything ordered after X's key", which stays exact when objects before X are added
 * or removed, and when X itself is gone. Paging a list that changes therefore never
 * repeats or skips an object that existed throughout (and kept its sort key).
 */
import { badUserInput } from '../errors.js';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 100;

export type SortKey = readonly (string | number)[];
export type Direction = 'ASC' | 'DESC';

export interface Order<T> {
  field: string;
  direction: Direction;
  /** Unique per object: ends with the uid. */
  key(item: T): SortKey;
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
      `expected "${arg}" to be a cursor from this connection's pageInfo or edges, received ${JSON.stringify(cursor)}`,
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

/** The `k` smallest items in order: a bounded heap, so page 1 of 150k pods is not a full sort. */
function smallest<T>(items: readonly T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (items.length <= k * 4) return [...items].sort(cmp).slice(0, k);
  const heap: T[] = []; // a max-heap of the k smallest so far
  const swap = (i: number, j: number) => {
    const t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (cmp(heap[i], heap[p]) <= 0) break;
        swap(i, p);
        i = p;
      }
    } else if (cmp(item, heap[0]) < 0) {
      heap[0] = item;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < k && cmp(heap[l], heap[m]) > 0) m = l;
        if (r < k && cmp(heap[r], heap[m]) > 0) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
  }
  return heap.sort(cmp);
}

export function paginate<T, N>(
  items: readonly T[],
  args: PageArgs,
  order: Order<T>,
  wrap: (item: T) => N,
): Page<N> {
  checkPageArgs(args);
  const sign = order.direction === 'DESC' ? -1 : 1;
  type Entry = { item: T; key: SortKey };
  const cmp = (a: Entry, b: Entry) => sign * compareKeys(a.key, b.key);
  const entries: Entry[] = items.map((item) => ({ item, key: order.key(item) }));
  const width = entries[0]?.key.length;
  const after = args.after ? { key: decodeCursor('after', args.after, order, width) } : undefined;
  const before = args.before ? { key: decodeCursor('before', args.before, order, width) } : undefined;

  let window = entries;
  let anyBeforeWindow = false;
  let anyAfterWindow = false;
  if (after || before) {
    window = entries.filter((e) => {
      if (after && cmp(e, after as Entry) <= 0) {
        anyBeforeWindow = true;
        return false;
      }
      if (before && cmp(e, before as Entry) >= 0) {
        anyAfterWindow = true;
        return false;
      }
      return true;
    });
  }

  let page: Entry[];
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  if (args.last != null) {
    const picked = smallest(window, args.last + 1, (a, b) => cmp(b, a)).reverse();
    hasPreviousPage = picked.length > args.last;
    page = hasPreviousPage ? picked.slice(1) : picked;
    hasNextPage = anyAfterWindow;
  } else {
    const n = args.first ?? DEFAULT_PAGE_SIZE;
    const picked = smallest(window, n + 1, cmp);
    hasNextPage = picked.length > n;
    page = picked.slice(0, n);
    hasPreviousPage = anyBeforeWindow;
  }
  const edges = page.map((e) => ({
    cursor: encodeCursor(order as Order<unknown>, e.key),
    node: wrap(e.item),
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: items.length,
  };
}
