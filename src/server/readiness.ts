/**
 * /readyz, per cluster. A cluster is ready when its caches have synced and are not stale
 * (a watch silent past the liveness interval, or none for more than 10 s: see
 * ReflectorStatus.stale); a cluster without the cache (`direct`) is ready, since every read
 * goes to its API server anyway. The gateway is ready while at least one cluster is: one
 * hung API server must not take away the others, and a gateway that can answer nothing
 * should not get traffic. `?cluster=NAME` asks about one cluster (404 for an unknown name).
 *
 * The body has one line per cluster, `name: synced|syncing|stale (Ns)|direct`; a sharded
 * replica adds `name: not owned (shard j/n)` for the clusters other shards serve, which do
 * not count (and `?cluster=` one of them is 404, naming its shard).
 */
import type { Cluster } from '../kube/cluster.js';

export interface Readiness {
  status: 200 | 503 | 404;
  body: string;
}

type ClusterLike = Pick<Cluster, 'name' | 'cache' | 'ready' | 'status'>;

function stateOf(cluster: ClusterLike): { ready: boolean; text: string } {
  if (!cluster.cache) return { ready: true, text: 'direct' };
  if (!cluster.ready) return { ready: false, text: 'syncing' };
  const status = cluster.status();
  if (status.stale) {
    return { ready: false, text: `stale (${Math.floor((status.staleForMs ?? 0) / 1000)}s)` };
  }
  return { ready: true, text: 'synced' };
}

export function readiness(
  clusters: readonly ClusterLike[],
  url: string,
  notOwned: ReadonlyMap<string, string> = new Map(),
): Readiness {
  const wanted = new URL(url, 'http://localhost').searchParams.get('cluster');
  if (wanted !== null && notOwned.has(wanted)) {
    return { status: 404, body: `${wanted}: not owned (shard ${notOwned.get(wanted)})\n` };
  }
  if (wanted !== null) {
    const cluster = clusters.find((c) => c.name === wanted);
    if (!cluster) return { status: 404, body: `${JSON.stringify(wanted.slice(0, 100))}: no such cluster\n` };
    const state = stateOf(cluster);
    return { status: state.ready ? 200 : 503, body: `${cluster.name}: ${state.text}\n` };
  }
  const states = clusters.map((c) => ({ name: c.name, ...stateOf(c) }));
  // No clusters at all: nothing is waited for (as before), so the gateway itself is up.
  const ready = states.length === 0 || states.some((s) => s.ready);
  const body =
    states.map((s) => `${s.name}: ${s.text}\n`).join('') +
    [...notOwned].map(([name, shard]) => `${name}: not owned (shard ${shard})\n`).join('');
  return { status: ready ? 200 : 503, body };
}
