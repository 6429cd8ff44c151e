/**
 * The per-cluster cache of compiled access sets (src/kube/access-cache.ts), over real empty
 * indexed stores: what it keeps, what it shares, its bound, and that an unused one costs
 * next to nothing (a fleet gateway has one per cluster, most never asked without auth).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ACCESS_CACHE_USERS, AccessCache } from '../../src/kube/access-cache.js';
import { Indexer } from '../../src/kube/indexer.js';
import { KINDS } from '../../src/kube/kinds.js';
import type { RbacStores } from '../../src/kube/rbac.js';

const stores = (): RbacStores => ({
  roles: new Indexer(KINDS.Role.indexers),
  clusterRoles: new Indexer(KINDS.ClusterRole.indexers),
  roleBindings: new Indexer(KINDS.RoleBinding.indexers),
  clusterRoleBindings: new Indexer(KINDS.ClusterRoleBinding.indexers),
});
const user = (i: number) => ({ username: `user-${i}`, groups: ['system:authenticated'] });

describe('AccessCache', () => {
  it('compiles once per user and generation, and users with equal rights share one set', () => {
    const cache = new AccessCache();
    const s = stores();
    const a = cache.get('a', user(1), '1', s);
    expect(cache.get('a', user(1), '1', s)).toBe(a);
    expect(cache.compiled).toBe(1);
    expect(cache.get('b', user(2), '1', s)).toBe(a); // same (no) rights: the same object
    expect(cache.compiled).toBe(2);
    cache.get('a', user(1), '2', s); // an RBAC object changed
    expect(cache.compiled).toBe(3);
  });

  it(`holds at most ${ACCESS_CACHE_USERS.toLocaleString('en')} users, least recently used out first`, () => {
    const cache = new AccessCache();
    const s = stores();
    for (let i = 0; i < ACCESS_CACHE_USERS; i++) cache.get(`u${i}`, user(i), '1', s);
    expect(cache.compiled).toBe(ACCESS_CACHE_USERS);
    cache.get('u0', user(0), '1', s); // still there, and now the most recent
    expect(cache.compiled).toBe(ACCESS_CACHE_USERS);
    cache.get('new', user(-1), '1', s); // one more: u1, the least recent, goes
    cache.get('u0', user(0), '1', s);
    expect(cache.compiled).toBe(ACCESS_CACHE_USERS + 1);
    cache.get('u1', user(1), '1', s);
    expect(cache.compiled).toBe(ACCESS_CACHE_USERS + 2);
  });

  it('allocates nothing for its bound up front', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const caches = Array.from({ length: 20 }, () => new AccessCache());
    gc();
    const each = (process.memoryUsage().heapUsed - before) / caches.length;
    expect(caches).toHaveLength(20); // alive up to here
    // With lru-cache's `max` of 50,000 this was 2 MB each (five arrays of 50,000 slots).
    expect(each).toBeLessThan(64 * 1024);
  });
});
