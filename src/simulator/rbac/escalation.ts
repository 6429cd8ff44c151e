/**
 * RBAC's escalation prevention (pkg/registry/rbac: the policybased storages, escalation_check.go
 * and validation/policy_comparator.go): a user outside system:masters may only write a Role or
 * ClusterRole whose rules it already holds (or with the verb `escalate` on it), and only bind a
 * role whose rules it holds (or with the verb `bind` on it); an aggregationRule needs every
 * permission there is. The refusal is kube-apiserver's 403, listing the missing rules.
 */
import { StoreError } from '../store.js';
import type { KubeObject, RbacResource } from '../types.js';
import { type Authorizer, isPrivileged, rulesOf } from './authorizer.js';
import { aggregate, goQuote, goQuoteList } from './go-format.js';
import type { RequestInfo } from './request-info.js';
import { type PolicyRule, type RoleRef, resourceAttributes, type UserInfo } from './types.js';

const arr = (v: string[] | undefined) => v ?? [];

/** BreakdownRule: one rule per group x resource x verb (x name), and per URL x verb. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of arr(rule.apiGroups)) {
    for (const resource of arr(rule.resources)) {
      for (const verb of arr(rule.verbs)) {
        const names = arr(rule.resourceNames);
        if (names.length) {
          for (const name of names)
            out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of arr(rule.nonResourceURLs)) {
    for (const verb of arr(rule.verbs)) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

const hasAll = (set: string[], wanted: string[]) => wanted.every((w) => set.includes(w));

function resourceCoversAll(owned: string[], wanted: string[]): boolean {
  if (owned.includes('*') || hasAll(owned, wanted)) return true;
  return wanted.every((path) => {
    if (owned.includes(path)) return true;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    return owned.includes(`*/${path.slice(slash + 1)}`);
  });
}

function nonResourceURLCovers(owner: string, path: string): boolean {
  return owner === path || (owner.endsWith('*') && path.startsWith(owner.replace(/\*+$/, '')));
}

/** ruleCovers: whether an owner's rule covers a broken-down rule. */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = arr(owner.verbs).includes('*') || hasAll(arr(owner.verbs), arr(sub.verbs));
  const groups = arr(owner.apiGroups).includes('*') || hasAll(arr(owner.apiGroups), arr(sub.apiGroups));
  const resources = resourceCoversAll(arr(owner.resources), arr(sub.resources));
  const urls = arr(sub.nonResourceURLs).every((path) =>
    arr(owner.nonResourceURLs).some((o) => nonResourceURLCovers(o, path)),
  );
  const names =
    arr(sub.resourceNames).length === 0
      ? arr(owner.resourceNames).length === 0
      : arr(owner.resourceNames).length === 0 || hasAll(arr(owner.resourceNames), arr(sub.resourceNames));
  return verbs && groups && resources && urls && names;
}

/** Covers: whether the owner's rules cover the servant's, and the broken-down rules they do not. */
export function covers(
  owner: PolicyRule[],
  servant: PolicyRule[],
): { covered: boolean; missing: PolicyRule[] } {
  const missing = servant.flatMap(breakdownRule).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
  return { covered: missing.length === 0, missing };
}

/** CompactRules: single group/resource(/name) rules that differ only by verb, merged. */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const names = arr(rule.resourceNames);
    const isSimple =
      names.length <= 1 &&
      arr(rule.nonResourceURLs).length === 0 &&
      arr(rule.apiGroups).length === 1 &&
      arr(rule.resources).length === 1;
    if (!isSimple) {
      compacted.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups![0], rule.resources![0], names.length ? names[0] : null]);
    const existing = simple.get(key);
    if (existing) {
      for (const verb of arr(rule.verbs)) if (!existing.verbs.includes(verb)) existing.verbs.push(verb);
    } else {
      simple.set(key, { ...rule, verbs: [...arr(rule.verbs)] });
    }
  }
  return [...compacted, ...simple.values()];
}

/** rbacv1helpers.CompactString: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`. */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if (arr(rule.apiGroups).length) parts.push(`APIGroups:${goQuoteList(arr(rule.apiGroups))}`);
  if (arr(rule.resources).length) parts.push(`Resources:${goQuoteList(arr(rule.resources))}`);
  if (arr(rule.nonResourceURLs).length)
    parts.push(`NonResourceURLs:${goQuoteList(arr(rule.nonResourceURLs))}`);
  if (arr(rule.resourceNames).length) parts.push(`ResourceNames:${goQuoteList(arr(rule.resourceNames))}`);
  if (arr(rule.verbs).length) parts.push(`Verbs:${goQuoteList(arr(rule.verbs))}`);
  return `{${parts.join(', ')}}`;
}

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function forbidden(resource: RbacResource, name: string, message: string): StoreError {
  return new StoreError(
    403,
    'Forbidden',
    `${resource}.rbac.authorization.k8s.io ${goQuote(name)} is forbidden: ${message}`,
    {
      name,
      group: 'rbac.authorization.k8s.io',
      kind: resource,
    },
  );
}

export class EscalationCheck {
  constructor(private readonly authorizer: Authorizer) {}

  /**
   * The admission of a write to an RBAC kind by `user` (request `info`): throws the 403 a real
   * server answers, or returns. Called with the object about to be stored and the stored one.
   */
  admit(
    user: UserInfo,
    info: RequestInfo,
    resource: RbacResource,
    obj: KubeObject,
    old: KubeObject | undefined,
  ): void {
    if (isPrivileged(user)) return; // EscalationAllowed: system:masters
    if (old && onlyGarbageCollectionFields(obj, old)) return;
    const namespace = info.namespace;
    const name = obj.metadata.name;
    if (resource === 'roles' || resource === 'clusterroles') {
      // RoleEscalationAuthorized: the verb `escalate` on the role resource lets anything through.
      const escalate = this.authorizer.authorize(
        resourceAttributes(user, {
          verb: 'escalate',
          apiGroup: info.apiGroup,
          resource: info.resource,
          namespace,
          name: info.name,
        }),
      );
      if (escalate.allowed) return;
      this.confirmNoEscalation(user, namespace, rulesOf(obj), resource, name);
      if (resource === 'clusterroles' && obj.aggregationRule) {
        const { covered } = covers(this.authorizer.rbac.rulesFor(user, namespace).rules, FULL_AUTHORITY);
        if (!covered)
          throw forbidden(resource, name, 'must have cluster-admin privileges to use the aggregationRule');
      }
      return;
    }
    // Bindings: the verb `bind` on the referenced role, else hold every rule it grants.
    const roleRef = (obj.roleRef ?? {}) as RoleRef;
    if (roleRef.kind === 'Role' || roleRef.kind === 'ClusterRole') {
      const bind = this.authorizer.authorize(
        resourceAttributes(user, {
          verb: 'bind',
          apiGroup: roleRef.apiGroup,
          resource: roleRef.kind === 'Role' ? 'roles' : 'clusterroles',
          namespace,
          name: roleRef.name,
        }),
      );
      if (bind.allowed) return;
    }
    const resolved = this.authorizer.rbac.roleReferenceRules(roleRef, namespace);
    if ('error' in resolved) throw forbidden(resource, name, resolved.error);
    this.confirmNoEscalation(user, namespace, resolved.rules, resource, name);
  }

  /** ConfirmNoEscalation: the user's own rules in the namespace must cover `rules`. */
  private confirmNoEscalation(
    user: UserInfo,
    namespace: string,
    rules: PolicyRule[],
    resource: RbacResource,
    name: string,
  ): void {
    const owned = this.authorizer.rbac.rulesFor(user, namespace);
    const { covered, missing } = covers(owned.rules, rules);
    if (covered) return;
    const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
    let message = `user ${goQuote(user.name)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
    if (owned.errors.length) message += `; resolution errors: [${aggregate(owned.errors)}]`;
    throw forbidden(resource, name, message);
  }
}

/** IsOnlyMutatingGCFields: an update that touches only ownerReferences and finalizers is never an escalation. */
function onlyGarbageCollectionFields(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) =>
    JSON.stringify({
      ...o,
      metadata: {
        ...o.metadata,
        ownerReferences: undefined,
        finalizers: undefined,
        managedFields: undefined,
        resourceVersion: undefined,
      },
    });
  return strip(obj) === strip(old);
}
