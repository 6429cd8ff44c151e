/**
 * Every request the gateway sends to an API server, as RBAC names it: (API group,
 * resource, verb), who it is authorised as, and when it is made. The ClusterRole in
 * `deploy/` grants exactly the calls made as the gateway (`test/deploy/manifests.test.ts`
 * renders it and compares both ways), so a feature that sends a new kind of request adds
 * it here, and the manifests follow, or the test says what is missing.
 *
 * The kinds' reads derive from the registry (kinds.ts); the rest are fixed: the reviews
 * the authenticator and the authoriser ask, the usage and logs features' reads, the
 * impersonation writes need, and the writes themselves, which are made as the caller.
 */
import { ACCESS_KINDS, DATA_KINDS, KINDS, type KindName } from './kinds.js';

/** Whose rights the API server checks for the call. */
export type CallAuthority =
  /** The gateway's own credentials (its service account): the ClusterRole must grant it. */
  | 'gateway'
  /** The caller's, impersonated: the cluster's RBAC decides per user; the gateway's role grants none. */
  | 'caller';

/**
 * When the call is made:
 * - `always`: any cluster the gateway serves (the data kinds' reads);
 * - `identities`: only when identities can sign in (TokenReview, OIDC, `user:` tokens);
 * - `writes`: only when mutations are to succeed (impersonation, and the writes as the caller).
 */
export type CallCondition = 'always' | 'identities' | 'writes';

export interface UpstreamCall {
  /** '' for the core group. */
  readonly group: string;
  /** The resource, with its subresource after a slash (`pods/log`, `pods/eviction`). */
  readonly resource: string;
  readonly verb: string;
  readonly as: CallAuthority;
  readonly when: CallCondition;
  /** Why the gateway sends it (the README's RBAC table says the same). */
  readonly why: string;
}

function call(
  group: string,
  resource: string,
  verbs: readonly string[],
  as: CallAuthority,
  when: CallCondition,
  why: string,
): UpstreamCall[] {
  return verbs.map((verb) => Object.freeze({ group, resource, verb, as, when, why }));
}

/**
 * A kind's reads: an informer lists and watches it; an unsynced kind, a cluster without
 * the cache and a lookup by name (`cluster.pod`) read it with list and get. The kinds that
 * decide access are only ever mirrored (list+watch), never read by name.
 */
function kindReads(kind: KindName): UpstreamCall[] {
  const def = KINDS[kind];
  if (def.access) {
    return call(def.group, def.plural, ['list', 'watch'], 'gateway', 'identities', `mirror ${kind} (RBAC)`);
  }
  const verbs = def.informer ? ['get', 'list', 'watch'] : ['get', 'list'];
  return call(def.group, def.plural, verbs, 'gateway', 'always', `read ${kind}`);
}

/**
 * The upstream reads the usage and logs features make: node and pod usage from the
 * metrics API (metrics-server, metrics.k8s.io) and a container's log.
 */
export const FEATURE_READS: readonly UpstreamCall[] = Object.freeze([
  ...call('metrics.k8s.io', 'nodes', ['get', 'list'], 'gateway', 'always', 'node usage (metrics API)'),
  ...call('metrics.k8s.io', 'pods', ['get', 'list'], 'gateway', 'always', 'pod usage (metrics API)'),
  ...call('', 'pods/log', ['get'], 'gateway', 'always', "a container's log"),
]);

/** The reviews: who a bearer token is (`auth.kubernetes`), what an identity may do (`subjectAccessReview`). */
export const REVIEWS: readonly UpstreamCall[] = Object.freeze([
  ...call(
    'authentication.k8s.io',
    'tokenreviews',
    ['create'],
    'gateway',
    'identities',
    'auth.kubernetes: check bearer tokens',
  ),
  ...call(
    'authorization.k8s.io',
    'subjectaccessreviews',
    ['create'],
    'gateway',
    'identities',
    'authorization: subjectAccessReview',
  ),
]);

/**
 * What a write as the caller needs of the gateway's own credentials: kube-apiserver's
 * impersonation filter authorises `Impersonate-User` as `impersonate` on users (on
 * serviceaccounts when the user is one: a TokenReview of a service account's token),
 * each `Impersonate-Group` on groups and `Impersonate-Uid` on uids. No extras are sent.
 */
export const IMPERSONATION: readonly UpstreamCall[] = Object.freeze([
  ...call('', 'users', ['impersonate'], 'gateway', 'writes', 'writes: Impersonate-User'),
  ...call('', 'serviceaccounts', ['impersonate'], 'gateway', 'writes', 'writes: a service account caller'),
  ...call('', 'groups', ['impersonate'], 'gateway', 'writes', 'writes: Impersonate-Group'),
  ...call('authentication.k8s.io', 'uids', ['impersonate'], 'gateway', 'writes', 'writes: Impersonate-Uid'),
]);

/**
 * The writes themselves (src/loaders/writes.ts), made as the caller: listed so the table is
 * whole; the cluster's RBAC decides each per user, and the gateway's role grants none.
 */
export const CALLER_WRITES: readonly UpstreamCall[] = Object.freeze([
  ...call('', 'pods', ['delete', 'patch'], 'caller', 'writes', 'deletePod, setLabels'),
  ...call('', 'pods', ['list'], 'caller', 'writes', "drainNode: the node's pods"),
  ...call('', 'pods/eviction', ['create'], 'caller', 'writes', 'evictPod, drainNode'),
  ...call(
    'batch',
    'jobs',
    ['create', 'delete', 'patch'],
    'caller',
    'writes',
    'createJob, deleteJob, suspendJob, setLabels',
  ),
  ...call('', 'nodes', ['patch'], 'caller', 'writes', 'cordonNode, uncordonNode, drainNode, setLabels'),
  ...call('', 'namespaces', ['patch'], 'caller', 'writes', 'setLabels'),
]);

/** Every (group, resource, verb) the gateway sends upstream, the registry's reads first. */
export const UPSTREAM_CALLS: readonly UpstreamCall[] = Object.freeze([
  ...DATA_KINDS.flatMap(kindReads),
  ...ACCESS_KINDS.flatMap(kindReads),
  ...FEATURE_READS,
  ...REVIEWS,
  ...IMPERSONATION,
  ...CALLER_WRITES,
]);

/**
 * Not resource requests: `GET /version` (a cluster's `version`, the health check's ping) is
 * allowed to everyone by the default ClusterRole `system:public-info-viewer`, so the
 * gateway's role does not repeat it.
 */
export const NON_RESOURCE_CALLS: readonly string[] = Object.freeze(['/version']);

/**
 * The calls the gateway's own service account must be allowed: with `writes`, the
 * impersonation too (the read-only deployment leaves it out, and every mutation is then
 * refused by the API server as FORBIDDEN).
 */
export function gatewayCalls(options: { writes: boolean }): UpstreamCall[] {
  return UPSTREAM_CALLS.filter((c) => c.as === 'gateway' && (options.writes || c.when !== 'writes'));
}
