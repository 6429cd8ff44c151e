/**
 * Keyset pagination on its own, with many random lists and random changes between pages:
 * the same invariants as the HTTP churn test, over far more cases than a simulator allows.
 */
import { describe, expect, it } from 'vitest';
import { makeOrder } from '../../src/schema/args.js';
import { type Order, type Page, paginate, sortEntries } from '../../src/schema/pagination.js';

interface Item {
  uid: string;
  score: number;
}

const byScore = (direction: 'ASC' | 'DESC'): Order<Item> => ({
  field: 'SCORE',
  direction,
  key: (i) => [i.score, i.uid],
});

/** Deterministic PRNG so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sorted(items: Item[], direction: 'ASC' | 'DESC'): string[] {
  const out = [...items].sort((a, b) => a.score - b.score || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  return (direction === 'ASC' ? out : out.reverse()).map((i) => i.uid);
}

describe('paginate', () => {
  it('matches a full sort, on both the sort path and the bounded-heap path', () => {
    const random = prng(1);
    for (const size of [0, 1, 7, 40, 1000]) {
      const items = Array.from({ length: size }, (_, i) => ({
        uid: `u${i}`,
        score: Math.floor(random() * 20),
      }));
      for (const direction of ['ASC', 'DESC'] as const) {
        for (const first of [0, 1, 5, 100]) {
          const page = paginate(items, { first }, byScore(direction), (i) => i.uid);
          expect(page.edges.map((e) => e.node)).toEqual(sorted(items, direction).slice(0, first));
          expect(page.pageInfo.hasNextPage).toBe(size > first);
          expect(page.totalCount).toBe(size);
        }
        const tail = paginate(items, { last: 5 }, byScore(direction), (i) => i.uid);
        expect(tail.edges.map((e) => e.node)).toEqual(sorted(items, direction).slice(-5));
        expect(tail.pageInfo.hasPreviousPage).toBe(size > 5);
      }
    }
  });

  it('pages through random changes with no duplicates and no gaps, forwards and backwards', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      let next = 0;
      const make = () => ({ uid: `u${String(next++).padStart(4, '0')}`, score: Math.floor(random() * 10) });
      let items = Array.from({ length: 20 + Math.floor(random() * 60) }, make);
      const initial = new Set(items.map((i) => i.uid));
      const removed = new Set<string>();
      const direction = random() < 0.5 ? 'ASC' : 'DESC';
      const backwards = random() < 0.5;
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let round = 0; round < 500; round++) {
        const size = 1 + Math.floor(random() * 9);
        const page: Page<string> = paginate(
          items,
          backwards ? { last: size, before: cursor } : { first: size, after: cursor },
          byScore(direction),
          (i) => i.uid,
        );
        seen.push(...page.edges.map((e) => e.node));
        const more = backwards ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
        if (!more) break;
        cursor = backwards ? page.pageInfo.startCursor : page.pageInfo.endCursor;
        // Remove a few (the cursor's own object included, sometimes), add a few anywhere.
        for (let k = Math.floor(random() * 4); k > 0 && items.length > 0; k--) {
          const victim = items[Math.floor(random() * items.length)];
          removed.add(victim.uid);
          items = items.filter((i) => i !== victim);
        }
        for (let k = Math.floor(random() * 4); k > 0; k--) items.push(make());
      }
      expect(new Set(seen).size, `seed ${seed}`).toBe(seen.length);
      const survivors = [...initial].filter((uid) => !removed.has(uid));
      expect(
        survivors.filter((uid) => !seen.includes(uid)),
        `seed ${seed}`,
      ).toEqual([]);
    }
  });

  it('refuses page sizes over the maximum and cursors of another order', () => {
    const items = [{ uid: 'a', score: 1 }];
    expect(() => paginate(items, { first: 501 }, byScore('ASC'), (i) => i)).toThrow(
      /from 0 to 500, received 501/,
    );
    const cursor = paginate(items, { first: 1 }, byScore('ASC'), (i) => i).pageInfo.endCursor!;
    expect(() => paginate(items, { after: cursor }, byScore('DESC'), (i) => i)).toThrow(/made for orderBy/);
  });

  it('re-sorts from a previous order exactly as a full sort does, whatever changed in between', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = prng(seed);
      let next = 0;
      const make = () => ({ uid: `u${String(next++).padStart(4, '0')}`, score: Math.floor(random() * 8) });
      const direction = random() < 0.5 ? 'ASC' : 'DESC';
      // A field of its own per seed: entries are kept per object and field across calls.
      const order = { ...byScore(direction), field: `SCORE_${seed}` };
      let items = Array.from({ length: Math.floor(random() * 200) }, make);
      let previous = sortEntries(items, order);
      expect(previous.map((e) => e.item.uid)).toEqual(sorted(items, direction));
      for (let round = 0; round < 6; round++) {
        const changed = [...items];
        for (let k = Math.floor(random() * 6); k > 0 && changed.length > 0; k--) {
          const at = Math.floor(random() * changed.length);
          const roll = random();
          if (roll < 0.3)
            changed.splice(at, 1); // deleted
          else if (roll < 0.6)
            changed[at] = { ...changed[at], score: Math.floor(random() * 8) }; // modified: a new object
          else if (roll < 0.8)
            changed.splice(at, 0, make()); // added anywhere
          else changed.push(changed[at]); // the same object twice (a union of index lookups)
        }
        if (random() < 0.2) changed.reverse(); // the store's order is not the sort's
        const merged = sortEntries(changed, order, previous);
        const reference = sortEntries(changed, { ...order, field: `FULL_${seed}_${round}` });
        expect(
          merged.map((e) => e.item),
          `seed ${seed} round ${round}`,
        ).toEqual(reference.map((e) => e.item));
        expect(merged.map((e) => e.item.uid)).toEqual(sorted(changed, direction));
        items = changed;
        previous = merged;
      }
    }
  });
});

describe('orders and their memo', () => {
  const primary = (o: { metadata?: { name?: string } }) => o.metadata?.name ?? '';
  const objects = Object.freeze(
    ['c', 'a', 'b'].map((name) => ({ metadata: { name, namespace: 'ns', uid: `uid-${name}` } })),
  );
  const names = (page: Page<{ metadata?: { name?: string } }>) =>
    page.edges.map((e) => e.node.metadata?.name);

  it('hands out one order per field, direction and value, and another for each that differs', () => {
    const asc = makeOrder('NAME', 'ASC', primary);
    expect(makeOrder('NAME', 'ASC', primary)).toBe(asc);
    expect(makeOrder('NAME', 'DESC', primary)).not.toBe(asc);
    expect(makeOrder('CREATED_AT', 'ASC', primary)).not.toBe(asc);
    expect(makeOrder('NAME', 'ASC', (o: { metadata?: { name?: string } }) => primary(o))).not.toBe(asc);
  });

  it('keeps one frozen list sorted apart per order, whichever is asked first', () => {
    const asc = makeOrder('NAME', 'ASC', primary);
    const desc = makeOrder('NAME', 'DESC', primary);
    for (let round = 0; round < 2; round++) {
      expect(names(paginate(objects, {}, asc, (o) => o))).toEqual(['a', 'b', 'c']);
      expect(names(paginate(objects, {}, desc, (o) => o))).toEqual(['c', 'b', 'a']);
      // An order object made afresh with the same field and direction finds the same sort.
      expect(names(paginate(objects, {}, { ...desc }, (o) => o))).toEqual(['c', 'b', 'a']);
    }
  });
});
