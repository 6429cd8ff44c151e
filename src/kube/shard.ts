/**
 * Sharding a fleet's clusters across replicas: replica `i/n` owns the clusters whose
 * rendezvous (highest-random-weight) hash is highest for shard i. Every replica computes
 * the same owner from the same name and count, with no coordination, and going from n to
 * n+1 shards moves only the clusters the new shard wins (about 1/(n+1) of them) — a modulo
 * of a hash would move most. Clusters are named by their configured name (a kubeconfig
 * context, a simulator's name), so the owner survives reordering the configuration.
 */
import { createHash } from 'node:crypto';

export interface Shard {
  /** This replica's shard, 0 ≤ index < count. */
  readonly index: number;
  readonly count: number;
}

/** "i/n", as configured and as errors and extensions name a shard. */
export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** Parses "i/n" (integers, 0 ≤ i < n); a message saying what was expected otherwise. */
export function parseShard(text: string): Shard | { error: string } {
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  const expected =
    'expected "i/n": this replica\'s shard i of n shards, integers with 0 ≤ i < n (e.g. "0/3")';
  if (!match) return { error: `${expected}, received ${JSON.stringify(text)}` };
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) return { error: `${expected}, received ${JSON.stringify(text)}` };
  return { index, count };
}

/** The weight of a cluster on a shard: the first 8 bytes of SHA-256(name, shard) as an integer. */
function weight(cluster: string, index: number): bigint {
  return createHash('sha256').update(`${cluster}\u0000${index}`).digest().readBigUInt64BE(0);
}

/** The shard index, of `count`, that owns a cluster. */
export function ownerOf(cluster: string, count: number): number {
  let best = 0;
  let bestWeight = -1n;
  for (let i = 0; i < count; i++) {
    const w = weight(cluster, i);
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  return best;
}

/** Whether this replica's shard owns a cluster (no shard: it owns every cluster). */
export function owns(shard: Shard | undefined, cluster: string): boolean {
  return shard === undefined || shard.count === 1 || ownerOf(cluster, shard.count) === shard.index;
}
