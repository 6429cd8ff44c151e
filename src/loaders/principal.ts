/**
 * Who is asking. Two kinds of principal:
 *
 * - a **static** one (a configured token with a hand-written list of clusters and
 *   namespaces, or the open gateway's `OPEN_ACCESS`): the lists decide, the same for every
 *   verb and kind;
 * - an **identity** (a Kubernetes user name and groups, from a static token's `user:`,
 *   OIDC, or a cluster's TokenReview): each cluster's own RBAC decides, per verb, kind and
 *   namespace (`access.ts`).
 *
 * Every read path goes through the access a principal has in a cluster, never through
 * these fields directly, so no data crosses the boundary by any route.
 */

/** A Kubernetes user as the API server's authenticators produce it (user.Info). */
export interface KubeUser {
  readonly username: string;
  readonly uid?: string;
  /** Sorted, without duplicates (so equal identities have equal keys). */
  readonly groups: readonly string[];
}

export interface StaticPrincipal {
  /** A name for logs; never a credential. */
  readonly name: string;
  /** Clusters this principal may see; '*' for all. */
  readonly clusters: '*' | readonly string[];
  /** Namespaces this principal may see in those clusters; '*' for all (and cluster-scoped objects). */
  readonly namespaces: '*' | readonly string[];
  readonly user?: undefined;
  /**
   * The Kubernetes identity this principal's writes are made as (impersonated, so that
   * identity's RBAC decides each write). Without it a static principal may not write: the
   * gateway never writes with its own rights for someone who has none.
   */
  readonly writeAs?: KubeUser;
  /** The open gateway's principal (no authentication configured). */
  readonly open?: true;
}

/** How an identity was established, for logs and metrics. */
export type IdentitySource = 'token' | 'oidc' | 'kubernetes';

export interface IdentityPrincipal {
  /** The user name (prefixed as configured); never a credential. */
  readonly name: string;
  readonly user: KubeUser;
  readonly source: IdentitySource;
  readonly clusters?: undefined;
  readonly namespaces?: undefined;
  readonly writeAs?: undefined;
  readonly open?: undefined;
}

export type Principal = StaticPrincipal | IdentityPrincipal;

/** The principal of a gateway without authentication configured: sees everything, writes nothing. */
export const OPEN_ACCESS: StaticPrincipal = Object.freeze({
  name: 'anonymous',
  clusters: '*',
  namespaces: '*',
  open: true,
});

/** A frozen Kubernetes user with its groups sorted and deduplicated. */
export function kubeUser(user: { username: string; uid?: string; groups?: readonly string[] }): KubeUser {
  return Object.freeze({
    username: user.username,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: Object.freeze([...new Set(user.groups ?? [])].sort()),
  });
}

/**
 * The Kubernetes identity a principal's writes are made as: an identity's own user, a
 * static principal's configured `writeAs`; undefined when it may not write.
 */
export function writeIdentity(principal: Principal): KubeUser | undefined {
  return principal.user ?? principal.writeAs;
}

/** A frozen identity principal with its groups sorted and deduplicated. */
export function identityPrincipal(
  user: { username: string; uid?: string; groups?: readonly string[] },
  source: IdentitySource,
): IdentityPrincipal {
  return Object.freeze({ name: user.username, user: kubeUser(user), source });
}

export function isIdentity(principal: Principal): principal is IdentityPrincipal {
  return principal.user !== undefined;
}

const staticKeys = new WeakMap<StaticPrincipal, string>();
let staticCount = 0;

/**
 * A principal's identity, for sharing work between its requests and counting its
 * subscriptions. A static principal is its object (the authenticator hands out one frozen
 * principal per token, so two tokens never share, even with equal names); an identity is
 * its user name, uid and groups, however many times it was authenticated.
 */
export function principalKey(principal: Principal): string {
  if (principal.user) {
    const u = principal.user;
    return `u\u0000${u.username}\u0000${u.uid ?? ''}\u0000${u.groups.join('\u0001')}`;
  }
  let key = staticKeys.get(principal);
  if (key === undefined) {
    staticCount += 1;
    key = `s\u0000${staticCount}`;
    staticKeys.set(principal, key);
  }
  return key;
}
