/**
 * Who is asking, and what they may see. Every read path (lists, lookups, relations,
 * counts, aggregates, subscriptions) filters through `canSeeCluster` and
 * `canSeeNamespace`, so no data crosses the boundary by any route.
 */
import { identityKeys } from '../identity.js';

export interface Principal {
  /** A name for logs; never a credential. */
  name: string;
  /** Clusters this principal may see; '*' for all. */
  clusters: '*' | readonly string[];
  /** Namespaces this principal may see in those clusters; '*' for all (and cluster-scoped objects). */
  namespaces: '*' | readonly string[];
}

/** The principal of a gateway without authentication configured: sees everything. */
export const OPEN_ACCESS: Principal = Object.freeze({ name: 'anonymous', clusters: '*', namespaces: '*' });

export function canSeeCluster(principal: Principal, cluster: string): boolean {
  return principal.clusters === '*' || principal.clusters.includes(cluster);
}

export function canSeeNamespace(principal: Principal, namespace: string | undefined): boolean {
  if (principal.namespaces === '*') return true;
  return namespace !== undefined && principal.namespaces.includes(namespace);
}

/**
 * Whether the principal sees cluster-scoped data in full (nodes' pod lists, cluster
 * summaries): only with every namespace, since a node's pods span namespaces.
 */
export function seesAllNamespaces(principal: Principal): boolean {
  return principal.namespaces === '*';
}

/**
 * A principal's identity, for sharing work between its requests (subscription relays,
 * event results). The authenticator hands out one frozen principal per token, so
 * requests with the same token share; two principals never do, even with equal names.
 */
export const principalKey: (principal: Principal) => number = identityKeys<Principal>();
