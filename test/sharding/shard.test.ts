/**
 * Rendezvous ownership on its own: every name has one owner, shards share a fleet about
 * evenly, and adding a shard moves only the clusters the new shard wins.
 */
import { describe, expect, it } from 'vitest';
import { ownerOf, owns, parseShard } from '../../src/kube/shard.js';

const FLEET = Array.from({ length: 2000 }, (_, i) => `cluster-${i}.eu-west-${i % 7}`);

describe('parseShard', () => {
  it('takes i/n with 0 ≤ i < n', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
  });

  it.each(['2/2', '3/2', '0/0', '-1/2', '1.5/2', 'a/b', '1', '1/2/3', ''])(
    'refuses %j, saying what it expected',
    (text) => {
      expect(parseShard(text)).toEqual({
        error: `expected "i/n": this replica's shard i of n shards, integers with 0 ≤ i < n (e.g. "0/3"), received ${JSON.stringify(text)}`,
      });
    },
  );
});

describe('ownerOf', () => {
  it('gives each shard about an equal part of a fleet, the same every time', () => {
    for (const count of [2, 3, 5]) {
      const sizes = new Array(count).fill(0);
      for (const name of FLEET) sizes[ownerOf(name, count)]++;
      for (const size of sizes) {
        expect(size).toBeGreaterThan((FLEET.length / count) * 0.85);
        expect(size).toBeLessThan((FLEET.length / count) * 1.15);
      }
      expect(FLEET.map((n) => ownerOf(n, count))).toEqual(FLEET.map((n) => ownerOf(n, count)));
    }
  });

  it('moves only the clusters the new shard wins when a shard is added', () => {
    for (const count of [2, 3, 4]) {
      const moved = FLEET.filter((n) => ownerOf(n, count) !== ownerOf(n, count + 1));
      // Every moved cluster goes to the new shard; the others stay where they were.
      expect(new Set(moved.map((n) => ownerOf(n, count + 1)))).toEqual(new Set([count]));
      expect(moved.length).toBeGreaterThan((FLEET.length / (count + 1)) * 0.85);
      expect(moved.length).toBeLessThan((FLEET.length / (count + 1)) * 1.15);
    }
  });

  it('owns: exactly one shard owns each cluster; no shard owns everything', () => {
    for (const name of FLEET.slice(0, 200)) {
      expect([0, 1, 2].filter((index) => owns({ index, count: 3 }, name))).toHaveLength(1);
      expect(owns(undefined, name)).toBe(true);
    }
  });
});
