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
/** Users the cache may hold: each counts as at least this share of ACCESS_CACHE_ENTRIES. */
export const ACCESS_CACHE_USERS = 50_000;
const MIN_USER_SIZE = ACCESS_CACHE_ENTRIES / ACCESS_CACHE_USERS;

interface Entry {
  generation: string;
  access: AccessSet;
  size: number;
}

/**
 * Bounded by size only, never by `max`: lru-cache allocates `max` slots up front (two arrays
 * of pointers and two Uint32Arrays), which for 50,000 was 2 MB of heap and 0.8 MB beside it
 * per cluster, before any user asked anything (a heap snapshot of one cluster's gateway held
 * five 400,016 B arrays under this class), so 100 MB of a 50-cluster fleet's heap and all of
 * it when no authentication is configured. Without `max` its arrays grow with what it holds;
 * a user counts as at least MIN_USER_SIZE, so it still holds at most ACCESS_CACHE_USERS.
 */
export class AccessCache {
  readonly #byUser = new LRUCache<string, Entry>({
    maxSize: ACCESS_CACHE_ENTRIES,
    sizeCalculation: (e) => e.size,
  });
  readonly #byKey = new LRUCache<string, AccessSet>({
    maxSize: ACCESS_CACHE_USERS,
    sizeCalculation: () => 1,
  });
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
    this.#byUser.set(userKey, { generation, access, size: Math.max(MIN_USER_SIZE, 1 + access.entries) });
    return access;
  }
}
