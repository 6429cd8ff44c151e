/**
 * /readyz's rule over clusters in every state: ready while at least one cluster is synced and
 * not stale (or served without the cache), a line per cluster, and `?cluster=NAME` for one.
 * The states are plain objects shaped as Cluster's; the frozen-API-server test drives a real
 * cluster into `stale` and back over HTTP.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/kube/cluster.js';
import { readiness } from '../../src/server/readiness.js';

type State = 'synced' | 'syncing' | 'stale' | 'direct';

function cluster(name: string, state: State) {
  const status = {
    name,
    ready: state === 'synced' || state === 'stale',
    cache: state !== 'direct',
    server: 'https://example.invalid',
    kinds: [],
    stale: state === 'stale',
    ...(state === 'stale' ? { staleForMs: 42_900 } : {}),
  } satisfies ClusterStatus;
  return { name, cache: status.cache, ready: status.ready, status: () => status };
}

describe('readiness', () => {
  it('is ready while one cluster is synced and not stale, with a line per cluster', () => {
    const clusters = [cluster('eu', 'stale'), cluster('us', 'synced'), cluster('lab', 'syncing')];
    expect(readiness(clusters, '/readyz')).toEqual({
      status: 200,
      body: 'eu: stale (42s)\nus: synced\nlab: syncing\n',
    });
  });

  it('is not ready when no cluster is: stale and syncing ones do not count', () => {
    expect(readiness([cluster('eu', 'stale'), cluster('lab', 'syncing')], '/readyz').status).toBe(503);
    expect(readiness([cluster('eu', 'stale')], '/readyz').status).toBe(503);
  });

  it('counts a cluster served without the cache as ready', () => {
    expect(readiness([cluster('eu', 'stale'), cluster('d', 'direct')], '/readyz')).toEqual({
      status: 200,
      body: 'eu: stale (42s)\nd: direct\n',
    });
  });

  it('answers for one cluster with ?cluster=NAME, 404 for a name it does not serve', () => {
    const clusters = [cluster('eu', 'stale'), cluster('us', 'synced')];
    expect(readiness(clusters, '/readyz?cluster=us')).toEqual({ status: 200, body: 'us: synced\n' });
    expect(readiness(clusters, '/readyz?cluster=eu')).toEqual({ status: 503, body: 'eu: stale (42s)\n' });
    const unknown = readiness(clusters, `/readyz?cluster=${'x'.repeat(500)}`);
    expect(unknown.status).toBe(404);
    // The name is echoed cut short.
    expect(unknown.body.length).toBeLessThan(150);
  });
});
