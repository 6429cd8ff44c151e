/**
 * Authorisation as kube-apiserver decides it with `--authorization-mode=RBAC`: the
 * privileged-group authoriser first (system:masters may do anything, whatever the RBAC
 * objects say), then the RBAC authoriser (plugin/pkg/auth/authorizer/rbac/rbac.go over
 * pkg/registry/rbac/validation/rule.go's VisitRulesFor): every ClusterRoleBinding that names
 * the user, then every RoleBinding of the request's namespace that does, each rule of the
 * role it references tried in turn; the first rule that allows wins, and no rule means no.
 *
 * Only `rules` are read, never `aggregationRule` (the aggregation controller fills `rules`).
 *
 * Bindings are indexed by subject (user, group, service account) and scope (cluster, or one
 * namespace), kept current from the store's change feed, so a decision looks only at the
 * bindings that could name the user: a cluster with 10,000 RoleBindings costs the same per
 * request as one with ten.
 */
import type { SimStore } from '../store.js';
import type { KubeObject, ResourceName, StoredEvent } from '../types.js';
import { aggregate, goQuote } from './go-format.js';
import { ruleAllows } from './rules.js';
import {
  type Attributes,
  type Decision,
  type PolicyRule,
  type RoleRef,
  SERVICE_ACCOUNT_PREFIX,
  type Subject,
  SYSTEM_MASTERS,
  type UserInfo,
} from './types.js';

/** Where a rule came from, for the reason of an allowed decision. */
type Source = () => string;
/** Return false to stop the walk. */
type Visitor = (
  source: Source | undefined,
  rule: PolicyRule | undefined,
  error: string | undefined,
) => boolean;

type BindingResource = 'clusterrolebindings' | 'rolebindings';

/** Subject keys of a binding's subject, in the binding's namespace ('' for a ClusterRoleBinding). */
function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  switch (subject?.kind) {
    case 'User':
      return `u\n${subject.name}`;
    case 'Group':
      return `g\n${subject.name}`;
    case 'ServiceAccount': {
      // A RoleBinding's service account without a namespace is one of the binding's namespace.
      const namespace = subject.namespace || bindingNamespace;
      return namespace ? `sa\n${namespace}\n${subject.name}` : undefined;
    }
    default:
      return undefined;
  }
}

/** Every key a binding subject naming this user could have. */
function userKeys(user: UserInfo): string[] {
  const keys = [`u\n${user.name}`, ...user.groups.map((g) => `g\n${g}`)];
  if (user.name.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    // serviceaccount.MatchesUsername compares prefix + namespace + ":" + name: every split
    // of the rest at a colon is a candidate (namespace and name themselves have none).
    const rest = user.name.slice(SERVICE_ACCOUNT_PREFIX.length);
    for (let i = rest.indexOf(':'); i >= 0; i = rest.indexOf(':', i + 1)) {
      keys.push(`sa\n${rest.slice(0, i)}\n${rest.slice(i + 1)}`);
    }
  }
  return keys;
}

/** rule.go appliesToUser. */
function appliesToUser(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject?.kind) {
    case 'User':
      return user.name === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const saNamespace = subject.namespace || namespace;
      if (!saNamespace) return false;
      return user.name === `${SERVICE_ACCOUNT_PREFIX}${saNamespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

/** rule.go describeSubject. */
function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${goQuote(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${goQuote(subject.name)}`;
}

class BindingIndex {
  /** `scope \n subject key` → binding names; scope is '' (cluster) or the namespace. */
  private readonly byKey = new Map<string, Set<string>>();

  constructor(store: SimStore, resource: BindingResource) {
    for (const binding of store.scan(resource)) this.add(binding);
    store.subscribe(resource, (event: StoredEvent) => this.apply(event));
  }

  /** Names of the bindings in `scope` that may name the user, sorted for a stable walk. */
  candidates(scope: string, user: UserInfo): string[] {
    const names = new Set<string>();
    for (const key of userKeys(user)) {
      for (const name of this.byKey.get(`${scope}\n${key}`) ?? []) names.add(name);
    }
    return [...names].sort();
  }

  private apply(event: StoredEvent): void {
    if (event.previous) this.remove(event.previous);
    if (event.type !== 'DELETED') this.add(event.object);
  }

  private keysOf(binding: KubeObject): string[] {
    const scope = binding.metadata.namespace ?? '';
    const subjects = Array.isArray(binding.subjects) ? (binding.subjects as Subject[]) : [];
    const keys = new Set<string>();
    for (const subject of subjects) {
      const key = subjectKey(subject, scope);
      if (key) keys.add(`${scope}\n${key}`);
    }
    return [...keys];
  }

  private add(binding: KubeObject): void {
    for (const key of this.keysOf(binding)) {
      const names = this.byKey.get(key) ?? new Set<string>();
      names.add(binding.metadata.name);
      this.byKey.set(key, names);
    }
  }

  private remove(binding: KubeObject): void {
    for (const key of this.keysOf(binding)) {
      const names = this.byKey.get(key);
      names?.delete(binding.metadata.name);
      if (names?.size === 0) this.byKey.delete(key);
    }
  }
}

export class RbacAuthorizer {
  private readonly clusterBindings: BindingIndex;
  private readonly namespacedBindings: BindingIndex;
  /** Bindings whose subjects a decision has checked: the index keeps this to the user's own. */
  examined = 0;

  constructor(private readonly store: SimStore) {
    this.clusterBindings = new BindingIndex(store, 'clusterrolebindings');
    this.namespacedBindings = new BindingIndex(store, 'rolebindings');
  }

  authorize(attrs: Attributes): Decision {
    let reason = '';
    const errors: string[] = [];
    let allowed = false;
    this.visitRulesFor(attrs.user, attrs.namespace, (source, rule, error) => {
      if (rule && source && ruleAllows(attrs, rule)) {
        allowed = true;
        reason = `RBAC: allowed by ${source()}`;
        return false;
      }
      if (error) errors.push(error);
      return true;
    });
    if (allowed) return { allowed, reason };
    return { allowed, reason: errors.length ? `RBAC: ${aggregate(errors)}` : '' };
  }

  /** Every rule that applies to the user in the namespace ('' for cluster-wide only), and the errors met. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_source, rule, error) => {
      if (rule) rules.push(rule);
      if (error) errors.push(error);
      return true;
    });
    return { rules, errors };
  }

  /** rule.go GetRoleReferenceRules: the rules of the role a binding references, or why there are none. */
  roleReferenceRules(
    roleRef: RoleRef,
    bindingNamespace: string,
  ): { rules: PolicyRule[] } | { error: string } {
    switch (roleRef?.kind) {
      case 'Role': {
        const role = this.store.get('roles', bindingNamespace, roleRef.name);
        if (!role) return { error: `role.rbac.authorization.k8s.io ${goQuote(roleRef.name)} not found` };
        return { rules: rulesOf(role) };
      }
      case 'ClusterRole': {
        const role = this.store.get('clusterroles', undefined, roleRef.name);
        if (!role)
          return { error: `clusterrole.rbac.authorization.k8s.io ${goQuote(roleRef.name)} not found` };
        return { rules: rulesOf(role) };
      }
      default:
        return { error: `unsupported role reference kind: ${goQuote(roleRef?.kind ?? '')}` };
    }
  }

  private visitRulesFor(user: UserInfo, namespace: string, visit: Visitor): void {
    if (
      !this.visitBindings('clusterrolebindings', this.clusterBindings.candidates('', user), user, '', visit)
    ) {
      return;
    }
    if (namespace) {
      this.visitBindings(
        'rolebindings',
        this.namespacedBindings.candidates(namespace, user),
        user,
        namespace,
        visit,
      );
    }
  }

  /** False when the visitor stopped the walk. */
  private visitBindings(
    resource: BindingResource,
    names: string[],
    user: UserInfo,
    namespace: string,
    visit: Visitor,
  ): boolean {
    for (const name of names) {
      const binding = this.store.get(resource as ResourceName, namespace || undefined, name);
      if (!binding) continue;
      this.examined += 1;
      const subjects = Array.isArray(binding.subjects) ? (binding.subjects as Subject[]) : [];
      const subject = subjects.find((s) => appliesToUser(user, s, namespace));
      if (!subject) continue;
      const roleRef = (binding.roleRef ?? {}) as RoleRef;
      const resolved = this.roleReferenceRules(roleRef, namespace);
      if ('error' in resolved) {
        if (!visit(undefined, undefined, resolved.error)) return false;
        continue;
      }
      const source: Source = () =>
        resource === 'clusterrolebindings'
          ? `ClusterRoleBinding ${goQuote(name)} of ${roleRef.kind} ${goQuote(roleRef.name)} to ${describeSubject(subject, '')}`
          : `RoleBinding ${goQuote(`${name}/${namespace}`)} of ${roleRef.kind} ${goQuote(roleRef.name)} to ${describeSubject(subject, namespace)}`;
      for (const rule of resolved.rules) {
        if (!visit(source, rule, undefined)) return false;
      }
    }
    return true;
  }
}

export function rulesOf(role: KubeObject): PolicyRule[] {
  return Array.isArray(role.rules) ? (role.rules as PolicyRule[]) : [];
}

export function isPrivileged(user: UserInfo): boolean {
  return user.groups.includes(SYSTEM_MASTERS);
}

/**
 * The authoriser chain of a kube-apiserver run with `--authorization-mode=RBAC`: the
 * privileged-group authoriser allows system:masters outright (with no reason), then RBAC.
 */
export class Authorizer {
  constructor(readonly rbac: RbacAuthorizer) {}

  authorize(attrs: Attributes): Decision {
    if (isPrivileged(attrs.user)) return { allowed: true, reason: '' };
    return this.rbac.authorize(attrs);
  }
}
