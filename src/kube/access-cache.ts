/**
 * Compiled access sets of one cluster, cached per user until any RBAC object changes
 * (the generation moves), with lru-cache bounding them by what they hold: a set's size is
 * its namespaces and names, so ten thousand users bound in a namespace or two fit, and a
 * few bound in thousands of namespaces do not push the total past the bound. Sets with the
 * same rights are interned: users with equal rights share one object (and one key).
 */
import { LRUCache } from 'lru-cache';
import { type AccessSet, compileAccess, type RbacStores, type RbacUser } from './rbac.js';

/** Namespace and name entries the cache may hold in all (about 60 B each on the heap). */
export const ACCESS_CACHE_ENTRIES = 2_000_000;

interface Entry {
  generation: string;
  access: AccessSet;
  size: number;
}

export class AccessCache {
  readonly #byUser = new LRUCache<string, Entry>({
    max: 50_000,
    maxSize: ACCESS_CACHE_ENTRIES,
    sizeCalculation: (e) => e.size,
  });
  readonly #byKey = new LRUCache<string, AccessSet>({ max: 50_000 });
  /** Compilations so far (tests and the bench observe caching with it). */
  compiled = 0;

  get(userKey: string, user: RbacUser, generation: string, stores: RbacStores): AccessSet {
    const hit = this.#byUser.get(userKey);
    if (hit && hit.generation === generation) return hit.access;
    this.compiled += 1;
    const compiled = compileAccess(stores, user);
    let access = this.#byKey.get(compiled.key);
    if (!access) {
      access = compiled;
      this.#byKey.set(compiled.key, compiled);
    }
    this.#byUser.set(userKey, { generation, access, size: 1 + access.entries });
    return access;
  }
}
