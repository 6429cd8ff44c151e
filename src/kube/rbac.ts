/**
 * Kubernetes' RBAC semantics, as kube-apiserver's RBAC authoriser applies them
 * (plugin/pkg/auth/authorizer/rbac and pkg/apis/rbac/v1/evaluation_helpers.go), compiled
 * per subject into an access set: for each read verb and each resource a page can read,
 * whether it is granted cluster-wide, in which namespaces, and on which names.
 *
 * Compiling reads only the bindings that name the user, one of its groups or its service
 * account (the binding stores are indexed by subject), and each role's matching rules once
 * per role object (memoised by identity: stored objects are frozen and replaced on change).
 * So a user bound in 1,000 namespaces costs 1,000 bindings, and a cluster's 10,000 other
 * bindings cost nothing. Decisions then are set lookups (`allows`).
 *
 * Like the real authoriser it reads only a ClusterRole's `rules`: aggregation is the
 * controller's job, which writes the aggregated rules into the role.
 */
import { createHash } from 'node:crypto';
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import type { ReadonlyIndexer } from './indexer.js';
import { INDEX_SUBJECT } from './kinds/rbac.js';
import { DATA_KINDS, KINDS, type KindName, keyOf } from './kinds.js';

/** The verbs a read needs: lists and connections `list`, lookups `get`, subscriptions `watch`. */
export const READ_VERBS = ['get', 'list', 'watch'] as const;
export type ReadVerb = (typeof READ_VERBS)[number];

/** A resource an access set tracks: a kind's resource, or a subresource (`pods/log`). */
export interface TrackedResource {
  /** `group/resource[/subresource]`, '' group as ''; what `grant()` is asked with. */
  readonly key: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
}

function tracked(group: string, resource: string, subresource?: string): TrackedResource {
  return Object.freeze({
    key: `${group}/${resource}${subresource ? `/${subresource}` : ''}`,
    group,
    resource,
    ...(subresource ? { subresource } : {}),
  });
}

/** The metrics API's node metrics: `get` on them is what a node's usage needs (cluster scope). */
export const NODE_METRICS: TrackedResource = tracked('metrics.k8s.io', 'nodes');
/** The metrics API's pod metrics: `get` on them in its namespace is what a pod's usage needs. */
export const POD_METRICS: TrackedResource = tracked('metrics.k8s.io', 'pods');

/** The resources of the data kinds, the subresources the gateway reads (logs), and the metrics API's. */
/** Containers' logs: `get` on them in the pod's namespace is what reading a pod's logs needs. */
export const POD_LOG: TrackedResource = tracked('', 'pods', 'log');

export const TRACKED_RESOURCES: readonly TrackedResource[] = Object.freeze([
  ...DATA_KINDS.map((k) => tracked(KINDS[k].group, KINDS[k].plural)),
  POD_LOG,
  NODE_METRICS,
  POD_METRICS,
]);

/** The tracked resource key of a kind. */
export function resourceKeyOf(kind: KindName): string {
  return `${KINDS[kind].group}/${KINDS[kind].plural}`;
}

/** What a subject may do with one verb on one resource. */
export interface Grant {
  /** Granted in every namespace (and on cluster-scoped objects). */
  readonly all: boolean;
  /** Namespaces where it is granted on every object (from RoleBindings). */
  readonly namespaces: ReadonlySet<string>;
  /** Objects granted by name (`resourceNames`): by namespace, '' for any namespace (ClusterRoleBindings). */
  readonly names: ReadonlyMap<string, ReadonlySet<string>>;
}

const NO_NAMES: ReadonlyMap<string, ReadonlySet<string>> = new Map();
const NO_NAMESPACES: ReadonlySet<string> = new Set();
export const NO_GRANT: Grant = Object.freeze({ all: false, namespaces: NO_NAMESPACES, names: NO_NAMES });
export const FULL_GRANT: Grant = Object.freeze({ all: true, namespaces: NO_NAMESPACES, names: NO_NAMES });

/**
 * Whether a grant allows the request `(namespace, name)` exactly as the authoriser decides
 * it: cluster-scoped requests (namespace undefined) only by cluster-wide grants; a request
 * without a name (a list) only by grants without resourceNames. For the `namespaces`
 * resource, pass the namespace's name as both (kube-apiserver sets the request's namespace
 * to it).
 */
export function grantAllows(grant: Grant, namespace: string | undefined, name?: string): boolean {
  if (grant.all) return true;
  if (namespace !== undefined && grant.namespaces.has(namespace)) return true;
  if (name === undefined || grant.names.size === 0) return false;
  if (grant.names.get('')?.has(name)) return true;
  return namespace !== undefined && (grant.names.get(namespace)?.has(name) ?? false);
}

/** A subject's compiled access in one cluster. Immutable; equal rights have equal `key`s. */
export class AccessSet {
  readonly #grants: ReadonlyMap<string, Grant>;
  /** A digest of every grant: two subjects with the same rights have the same key. */
  readonly key: string;

  constructor(grants: ReadonlyMap<string, Grant>, key?: string) {
    this.#grants = grants;
    this.key = key ?? fingerprint(grants);
  }

  /** The grant of `verb` on a tracked resource key (`resourceKeyOf`, or `/pods/log`). */
  grant(verb: string, resourceKey: string): Grant {
    return this.#grants.get(`${verb} ${resourceKey}`) ?? NO_GRANT;
  }

  /** How many namespace and name entries the set holds (its memory, roughly). */
  get entries(): number {
    let n = 0;
    for (const g of this.#grants.values()) {
      n += g.namespaces.size;
      for (const names of g.names.values()) n += names.size;
    }
    return n;
  }

  /** Whether any read verb is granted on anything tracked: else the cluster is hidden from the subject. */
  get any(): boolean {
    for (const g of this.#grants.values())
      if (g.all || g.namespaces.size > 0 || g.names.size > 0) return true;
    return false;
  }
}

/** Everything, cluster-wide (system:masters, as kube-apiserver's privileged-group authoriser). */
export const ALL_ACCESS = new AccessSet(
  new Map(TRACKED_RESOURCES.flatMap((r) => READ_VERBS.map((v) => [`${v} ${r.key}`, FULL_GRANT] as const))),
  'all',
);

function fingerprint(grants: ReadonlyMap<string, Grant>): string {
  const hash = createHash('sha256');
  for (const k of [...grants.keys()].sort()) {
    const g = grants.get(k)!;
    if (!g.all && g.namespaces.size === 0 && g.names.size === 0) continue;
    hash.update(`${k}\u0000`);
    if (g.all) hash.update('*\u0000');
    else {
      hash.update([...g.namespaces].sort().join('\u0001'));
      hash.update('\u0000');
      for (const ns of [...g.names.keys()].sort())
        hash.update(`${ns}\u0002${[...g.names.get(ns)!].sort().join('\u0001')}\u0003`);
    }
    hash.update('\u0004');
  }
  return hash.digest('base64url').slice(0, 22);
}

/** A user as the authoriser sees it. */
export interface RbacUser {
  readonly username: string;
  readonly groups: readonly string[];
}

/** The RBAC stores of one cluster. */
export interface RbacStores {
  roles: ReadonlyIndexer<V1Role>;
  clusterRoles: ReadonlyIndexer<V1ClusterRole>;
  roleBindings: ReadonlyIndexer<V1RoleBinding>;
  clusterRoleBindings: ReadonlyIndexer<V1ClusterRoleBinding>;
}

/** The group every authenticated request carries (kube-apiserver adds it). */
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Members are allowed everything, before RBAC is asked (the privileged-group authoriser). */
export const MASTERS_GROUP = 'system:masters';

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** The subject-index keys under which bindings that apply to `user` are found. */
export function subjectKeysOf(user: RbacUser): string[] {
  const keys = [`User:${user.username}`];
  for (const g of new Set([...user.groups, AUTHENTICATED_GROUP])) keys.push(`Group:${g}`);
  if (user.username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const rest = user.username.slice(SERVICE_ACCOUNT_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon > 0 && colon < rest.length - 1 && !rest.slice(colon + 1).includes(':'))
      keys.push(`ServiceAccount:${rest.slice(0, colon)}/${rest.slice(colon + 1)}`);
  }
  return keys;
}

/** What one rule grants on the tracked resources: `verb key` pairs, and names when it has resourceNames. */
interface RuleGrant {
  readonly keys: readonly string[];
  readonly names?: readonly string[];
}

function has(list: readonly string[] | undefined, value: string): boolean {
  return list !== undefined && (list.includes('*') || list.includes(value));
}

// ResourceMatches of evaluation_helpers.go: "*", the exact resource[/subresource], or "*/subresource".
function resourceMatches(rule: V1PolicyRule, r: TrackedResource): boolean {
  const combined = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  for (const res of rule.resources ?? []) {
    if (res === '*' || res === combined) return true;
    if (r.subresource && res === `*/${r.subresource}`) return true;
  }
  return false;
}

function ruleGrants(rule: V1PolicyRule): RuleGrant | undefined {
  const keys: string[] = [];
  for (const r of TRACKED_RESOURCES) {
    if (!has(rule.apiGroups, r.group) || !resourceMatches(rule, r)) continue;
    for (const verb of READ_VERBS) if (has(rule.verbs, verb)) keys.push(`${verb} ${r.key}`);
  }
  if (keys.length === 0) return undefined;
  return rule.resourceNames?.length ? { keys, names: rule.resourceNames } : { keys };
}

const roleGrantsMemo = new WeakMap<object, readonly RuleGrant[]>();

/** The grants of a role's rules, once per stored role object. */
function roleGrants(role: V1Role | V1ClusterRole): readonly RuleGrant[] {
  let grants = roleGrantsMemo.get(role);
  if (!grants) {
    grants = (role.rules ?? []).map(ruleGrants).filter((g): g is RuleGrant => g !== undefined);
    roleGrantsMemo.set(role, grants);
  }
  return grants;
}

interface MutableGrant {
  all: boolean;
  namespaces: Set<string>;
  names: Map<string, Set<string>>;
}

/**
 * Compiles `user`'s access from the RBAC stores. `system:masters` gets everything (as the
 * API server's privileged-group authoriser allows it before RBAC).
 */
export function compileAccess(stores: RbacStores, user: RbacUser): AccessSet {
  if (user.groups.includes(MASTERS_GROUP)) return ALL_ACCESS;
  const grants = new Map<string, MutableGrant>();
  const grantOf = (key: string): MutableGrant => {
    let g = grants.get(key);
    if (!g) {
      g = { all: false, namespaces: new Set(), names: new Map() };
      grants.set(key, g);
    }
    return g;
  };
  /** Applies a role's grants in `namespace` ('' for a ClusterRoleBinding: everywhere). */
  const apply = (role: V1Role | V1ClusterRole | undefined, namespace: string) => {
    if (!role) return; // a binding to a role that does not exist grants nothing
    for (const rule of roleGrants(role)) {
      for (const key of rule.keys) {
        const g = grantOf(key);
        if (g.all) continue;
        if (rule.names) {
          let set = g.names.get(namespace);
          if (!set) {
            set = new Set();
            g.names.set(namespace, set);
          }
          for (const n of rule.names) set.add(n);
        } else if (namespace === '') g.all = true;
        else g.namespaces.add(namespace);
      }
    }
  };
  const seen = new Set<object>();
  for (const subject of subjectKeysOf(user)) {
    for (const b of stores.clusterRoleBindings.byIndex(INDEX_SUBJECT, subject)) {
      if (seen.has(b)) continue;
      seen.add(b);
      if (b.roleRef.kind === 'ClusterRole')
        apply(stores.clusterRoles.get(keyOf(undefined, b.roleRef.name)), '');
    }
    for (const b of stores.roleBindings.byIndex(INDEX_SUBJECT, subject)) {
      if (seen.has(b)) continue;
      seen.add(b);
      const ns = b.metadata?.namespace;
      if (!ns) continue;
      const role =
        b.roleRef.kind === 'ClusterRole'
          ? stores.clusterRoles.get(keyOf(undefined, b.roleRef.name))
          : b.roleRef.kind === 'Role'
            ? stores.roles.get(keyOf(ns, b.roleRef.name))
            : undefined;
      apply(role, ns);
    }
  }
  const frozen = new Map<string, Grant>();
  for (const [key, g] of grants) {
    // Cluster-wide wins: the namespaced and named grants under it add nothing.
    frozen.set(
      key,
      g.all ? FULL_GRANT : Object.freeze({ all: false, namespaces: g.namespaces, names: g.names }),
    );
  }
  return new AccessSet(frozen);
}
