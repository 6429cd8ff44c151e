/**
 * What a principal may read in one cluster, decided in memory on every read path: lists
 * and counts (`list`), lookups (`get`, names included), subscriptions (`watch`), logs
 * (`get` on `pods/log`). Two sources:
 *
 * - a static principal's lists: the same for every verb; nodes visible to whoever sees
 *   the cluster, namespaces and namespaced objects within the listed namespaces;
 * - an identity's access set, compiled from the cluster's RBAC objects (kube/rbac.ts),
 *   exactly as the API server's authoriser would decide each request.
 *
 * `key` identifies the rights, not the principal: memos and relays keyed by it are
 * shared by principals with equal rights and never by principals with different ones.
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../kube/clock.js';
import { isNamespaced, KINDS, type KindName } from '../kube/kinds.js';
import {
  type AccessSet,
  type Grant,
  grantAllows,
  NODE_METRICS,
  READ_VERBS,
  type ReadVerb,
  resourceKeyOf,
  TRACKED_RESOURCES,
  type TrackedResource,
} from '../kube/rbac.js';
import type { ClusterReader } from '../kube/reader.js';
import { type IdentityPrincipal, type Principal, principalKey, type StaticPrincipal } from './principal.js';

export type { ReadVerb } from '../kube/rbac.js';

export interface ClusterAccess {
  /** The identity of these rights (memo and relay keys). */
  readonly key: string;
  /** Every read verb on every resource, cluster-wide: answers need no filtering at all. */
  readonly everything: boolean;
  /** Whether anything at all may be read (else the cluster is hidden: it answers as a missing one). */
  readonly any: boolean;
  /** `verb` on every object of `kind`, in every namespace. */
  all(verb: ReadVerb, kind: KindName): boolean;
  /**
   * Where `verb` is granted on every object of a namespaced kind (for `Namespace`: which
   * namespaces). Meaningless when `all`.
   */
  namespaces(verb: ReadVerb, kind: KindName): readonly string[];
  /**
   * Whether `verb` is allowed on this object: its namespace (undefined for cluster-scoped
   * kinds; for a Namespace, its own name) and, for lookups, its name (`resourceNames`).
   */
  allows(verb: ReadVerb, kind: KindName, namespace: string | undefined, name?: string): boolean;
  /** The same for a subresource or resource key from kube/rbac.ts (`/pods/log`). */
  allowsResource(verb: ReadVerb, resourceKey: string, namespace: string | undefined, name?: string): boolean;
  /**
   * Makes the decisions `needs` ask answerable (`authorization: subjectAccessReview` asks
   * the API server, a handful per page); absent where every decision is already in memory.
   */
  prepare?(needs: readonly AccessNeed[], fresh?: boolean): Promise<void>;
}

/** A decision a read is about to need: `verb` on a kind (or a tracked resource) in a namespace, or cluster-wide. */
export type AccessNeed = {
  verb: ReadVerb;
  /** Undefined: the cluster scope (across every namespace, or a cluster-scoped kind). */
  namespace?: string;
} & ({ kind: KindName; resource?: undefined } | { resource: TrackedResource; kind?: undefined });

/** The namespace a request about this object is made in (a Namespace's own name). */
export function requestNamespace(
  kind: KindName,
  obj: { metadata?: { namespace?: string; name?: string } },
): string | undefined {
  if (kind === 'Namespace') return obj.metadata?.name;
  return isNamespaced(kind) ? obj.metadata?.namespace : undefined;
}

/** Sees nothing: an identity in a cluster whose RBAC has not synced, or with `authorization: static`. */
export const NO_ACCESS: ClusterAccess = Object.freeze({
  key: 'none',
  everything: false,
  any: false,
  all: () => false,
  namespaces: () => [],
  allows: () => false,
  allowsResource: () => false,
});

const staticAccesses = new WeakMap<StaticPrincipal, ClusterAccess>();

/** A static principal's access in a cluster it may see: its namespaces, for every verb. */
function staticAccess(principal: StaticPrincipal): ClusterAccess {
  let access = staticAccesses.get(principal);
  if (access) return access;
  const list = principal.namespaces;
  const everything = list === '*';
  const set = new Set(everything ? [] : list);
  const granted: readonly string[] = Object.freeze([...set]);
  const sees = (kind: KindName, namespace: string | undefined) =>
    everything ||
    (kind === 'Namespace' || isNamespaced(kind) ? namespace !== undefined && set.has(namespace) : true);
  access = Object.freeze({
    key: everything ? 'static:*' : `static:${JSON.stringify([...set].sort())}`,
    everything,
    any: true,
    all: (_verb: ReadVerb, kind: KindName) => everything || (kind !== 'Namespace' && !isNamespaced(kind)),
    namespaces: () => granted,
    allows: (_verb: ReadVerb, kind: KindName, namespace: string | undefined) => sees(kind, namespace),
    // Nodes, and their usage, are visible to whoever sees the cluster.
    allowsResource: (_verb: ReadVerb, resourceKey: string, namespace: string | undefined) =>
      everything ||
      (namespace !== undefined && set.has(namespace)) ||
      resourceKey === '/nodes' ||
      resourceKey === NODE_METRICS.key,
  });
  staticAccesses.set(principal, access);
  return access;
}

const rbacAccesses = new WeakMap<AccessSet, ClusterAccess>();

/** An identity's access from its compiled RBAC access set (one view per set, shared). */
function rbacAccess(set: AccessSet): ClusterAccess {
  let access = rbacAccesses.get(set);
  if (access) return access;
  // Looked up by kind and verb without building the set's string keys: a namespace-limited
  // caller's list checks every object it reads (bench/rbac-only.ts). The set is immutable.
  const byKind = new Map<KindName, Partial<Record<ReadVerb, Grant>>>();
  const grant = (verb: ReadVerb, kind: KindName): Grant => {
    let byVerb = byKind.get(kind);
    if (!byVerb) {
      byVerb = {};
      byKind.set(kind, byVerb);
    }
    let g = byVerb[verb];
    if (!g) {
      g = set.grant(verb, resourceKeyOf(kind));
      byVerb[verb] = g;
    }
    return g;
  };
  const namespaceLists = new Map<string, readonly string[]>();
  const everything = TRACKED_RESOURCES.every((r) => READ_VERBS.every((v) => set.grant(v, r.key).all));
  access = Object.freeze({
    key: `rbac:${set.key}`,
    everything,
    any: set.any,
    all: (verb: ReadVerb, kind: KindName) => grant(verb, kind).all,
    namespaces: (verb: ReadVerb, kind: KindName) => {
      const k = `${verb} ${kind}`;
      let list = namespaceLists.get(k);
      if (!list) {
        list = Object.freeze([...grant(verb, kind).namespaces].sort());
        namespaceLists.set(k, list);
      }
      return list;
    },
    allows: (verb: ReadVerb, kind: KindName, namespace: string | undefined, name?: string) =>
      grantAllows(grant(verb, kind), namespace, name),
    allowsResource: (verb: ReadVerb, resourceKey: string, namespace: string | undefined, name?: string) =>
      grantAllows(set.grant(verb, resourceKey), namespace, name),
  });
  rbacAccesses.set(set, access);
  return access;
}

/** How long a SubjectAccessReview's answer is reused; subscriptions re-ask this often. */
export const REVIEW_TTL_MS = 2_000;

interface ReviewContext {
  reader: ClusterReader;
  user: { username: string; uid?: string; groups: readonly string[] };
  need: AccessNeed;
}

/**
 * Answers of SubjectAccessReviews, per (cluster, user, verb, resource, namespace), reused
 * for REVIEW_TTL_MS on the gateway's clock and refreshed in the background after (a stale
 * answer keeps serving the events of a live subscription meanwhile); concurrent identical
 * questions share one review. Bounded in entries.
 */
export class AccessReviews {
  readonly #cache: LRUCache<string, boolean, ReviewContext>;

  constructor(clock: Clock) {
    this.#cache = new LRUCache<string, boolean, ReviewContext>({
      max: 100_000,
      ttl: REVIEW_TTL_MS,
      perf: { now: () => clock.now() },
      // Read "now" on every check: lru-cache otherwise keeps one reading until a real 1 ms
      // timer fires, so an answer would outlive its TTL on a clock that jumps (a FakeClock).
      ttlResolution: 0,
      allowStale: true,
      noDeleteOnStaleGet: true,
      fetchMethod: async (_key, _stale, { context }) => {
        const { need } = context;
        const { group, resource } = need.resource ?? {
          group: KINDS[need.kind].group,
          resource: KINDS[need.kind].plural,
        };
        const ns = need.namespace;
        return context.reader.reviewAccess(context.user, {
          verb: need.verb,
          group,
          resource,
          ...(need.resource?.subresource ? { subresource: need.resource.subresource } : {}),
          ...(ns !== undefined ? { namespace: ns } : {}),
          // kube-apiserver's request for a namespace names it: the same question.
          ...(context.need.kind === 'Namespace' && ns !== undefined ? { name: ns } : {}),
        });
      },
    });
  }

  #key(cluster: string, userKey: string, need: AccessNeed): string {
    const what = need.resource?.key ?? need.kind;
    return `${cluster}\u0000${userKey}\u0000${need.verb}\u0000${what}\u0000${need.namespace ?? ''}`;
  }

  /** The answer in memory (stale ones too, refreshed in the background); undefined when never asked. */
  peek(
    reader: ClusterReader,
    userKey: string,
    user: ReviewContext['user'],
    need: AccessNeed,
  ): boolean | undefined {
    const key = this.#key(reader.name, userKey, need);
    const value = this.#cache.get(key, { allowStale: true });
    if (value !== undefined && this.#cache.getRemainingTTL(key) <= 0)
      this.#cache.fetch(key, { context: { reader, user, need } }).catch(() => undefined);
    return value;
  }

  /** Asks what is not in memory (or is stale, when `fresh`); rejects with the review's failure. */
  async ask(
    reader: ClusterReader,
    userKey: string,
    user: ReviewContext['user'],
    needs: readonly AccessNeed[],
    fresh = false,
  ): Promise<void> {
    await Promise.all(
      needs.map((need) =>
        this.#cache.fetch(this.#key(reader.name, userKey, need), {
          context: { reader, user, need },
          ...(fresh ? { allowStale: false } : {}),
        }),
      ),
    );
  }
}

const reviewsOf = new WeakMap<object, AccessReviews>();

/** The review answers of one gateway (keyed by its directory), on its clock. */
export function accessReviews(owner: object, clock: Clock): AccessReviews {
  let reviews = reviewsOf.get(owner);
  if (!reviews) {
    reviews = new AccessReviews(clock);
    reviewsOf.set(owner, reviews);
  }
  return reviews;
}

/**
 * An identity's access where the API server decides (`authorization: subjectAccessReview`):
 * for clusters whose RBAC the gateway may not list, or where webhook authorisers decide.
 * Decisions are asked per (verb, kind, namespace or the cluster scope), never per object,
 * so `resourceNames` grants are not honoured here, and a read across every namespace needs
 * the verb cluster-wide (as `kubectl get -A` does): there is no per-namespace union.
 * Until asked, a decision is a denial.
 */
function reviewedAccess(
  reviews: AccessReviews,
  principal: IdentityPrincipal,
  reader: ClusterReader,
): ClusterAccess {
  const userKey = principalKey(principal);
  const user = principal.user;
  const known = (verb: ReadVerb, kind: KindName, namespace?: string) =>
    reviews.peek(reader, userKey, user, { verb, kind, namespace }) === true;
  const all = (verb: ReadVerb, kind: KindName) => known(verb, kind);
  return Object.freeze({
    key: `sar:${userKey}`,
    everything: false,
    // Whether an identity may read anything here is not known without asking per
    // namespace: the cluster is visible to every identity, its contents are not.
    any: true,
    all,
    namespaces: () => [],
    allows: (verb: ReadVerb, kind: KindName, namespace: string | undefined) =>
      all(verb, kind) || (namespace !== undefined && known(verb, kind, namespace)),
    allowsResource: (verb: ReadVerb, resourceKey: string, namespace: string | undefined) => {
      const kind = (Object.keys(KINDS) as KindName[]).find((k) => resourceKeyOf(k) === resourceKey);
      if (kind !== undefined)
        return all(verb, kind) || (namespace !== undefined && known(verb, kind, namespace));
      // A tracked resource that is no kind (the metrics API's): asked about as itself.
      const resource = TRACKED_RESOURCES.find((r) => r.key === resourceKey);
      if (!resource) return false;
      const asked = (ns?: string) =>
        reviews.peek(reader, userKey, user, { verb, resource, namespace: ns }) === true;
      return asked() || (namespace !== undefined && asked(namespace));
    },
    prepare: (needs: readonly AccessNeed[], fresh?: boolean) =>
      reviews.ask(reader, userKey, user, needs, fresh),
  });
}

/**
 * The principal's access in a cluster, now. Static principals: their lists (nothing in a
 * cluster not listed). Identities: the cluster's RBAC, compiled (cached per user until an
 * RBAC object changes); nothing until it has synced, or when the cluster does not
 * authorise identities from RBAC.
 */
export function accessIn(
  principal: Principal,
  reader: ClusterReader,
  reviews?: AccessReviews,
): ClusterAccess {
  if (!principal.user) {
    if (principal.clusters !== '*' && !principal.clusters.includes(reader.name)) return NO_ACCESS;
    return staticAccess(principal);
  }
  if (reader.authorization === 'subjectAccessReview')
    return reviews ? reviewedAccess(reviews, principal, reader) : NO_ACCESS;
  if (reader.authorization !== 'rbac') return NO_ACCESS;
  const set = reader.access(principalKey(principal), principal.user);
  return set ? rbacAccess(set) : NO_ACCESS;
}
