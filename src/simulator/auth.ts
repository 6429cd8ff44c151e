/**
 * The simulator's first, simpler permissions (`tokens` of startSimulator: each token a user
 * with rules of verbs x resources x namespaces), kept for the tests that use them and
 * turned at start into real RBAC objects, so every decision goes through the one RBAC
 * authoriser (rbac/): per grant a ClusterRole with its rules, bound by a ClusterRoleBinding
 * when the rules cover every namespace, or by a RoleBinding in each listed namespace.
 */

import type { SimUser } from './rbac/authentication.js';
import type { PolicyRule as RbacRule } from './rbac/types.js';
import { type KubeObject, RBAC_GROUP, RESOURCES, type ResourceName } from './types.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface PolicyRule {
  /** Verbs allowed; '*' for all. */
  verbs: (Verb | '*')[];
  /** Resources allowed; '*' for all. */
  resources: (ResourceName | '*')[];
  /** Namespaces the rule covers; omitted or ['*'] means all, including cluster-scoped resources. */
  namespaces?: string[];
}

export interface TokenGrant {
  user: string;
  rules: PolicyRule[];
}

/** Everything on every resource (not system:masters: the faults endpoint stays out of reach). */
export const ADMIN_RULES: PolicyRule[] = [{ verbs: ['*'], resources: ['*'] }];

/** A legacy rule as RBAC rules: one per API group of its resources. */
function rbacRules(rule: PolicyRule): RbacRule[] {
  if (rule.resources.includes('*')) return [{ apiGroups: ['*'], resources: ['*'], verbs: [...rule.verbs] }];
  const byGroup = new Map<string, string[]>();
  for (const resource of rule.resources as ResourceName[]) {
    const group = RESOURCES[resource].group;
    byGroup.set(group, [...(byGroup.get(group) ?? []), resource]);
  }
  return [...byGroup].map(([group, resources]) => ({
    apiGroups: [group],
    resources,
    verbs: [...rule.verbs],
  }));
}

/** The users and the RBAC objects that stand for legacy token grants, in the order to create them. */
export function legacyGrants(tokens: Record<string, TokenGrant>): {
  users: SimUser[];
  objects: { resource: 'clusterroles' | 'clusterrolebindings' | 'rolebindings'; object: KubeObject }[];
} {
  const users: SimUser[] = [];
  const objects: ReturnType<typeof legacyGrants>['objects'] = [];
  const labels = { 'simulator.kubegate.dev/token-grant': 'true' };
  let n = 0;
  for (const [token, grant] of Object.entries(tokens)) {
    users.push({ token, user: grant.user });
    for (const rule of grant.rules) {
      n += 1;
      const name = `kubegate-simulator:token-grant:${n}:${grant.user.replace(/[/%]/g, '-')}`;
      const roleRef = { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name };
      const subjects = [{ apiGroup: RBAC_GROUP, kind: 'User', name: grant.user }];
      objects.push({
        resource: 'clusterroles',
        object: {
          apiVersion: `${RBAC_GROUP}/v1`,
          kind: 'ClusterRole',
          metadata: { name, labels },
          rules: rbacRules(rule),
        },
      });
      if (!rule.namespaces || rule.namespaces.includes('*')) {
        objects.push({
          resource: 'clusterrolebindings',
          object: {
            apiVersion: `${RBAC_GROUP}/v1`,
            kind: 'ClusterRoleBinding',
            metadata: { name, labels },
            roleRef,
            subjects,
          },
        });
        continue;
      }
      for (const namespace of rule.namespaces) {
        objects.push({
          resource: 'rolebindings',
          object: {
            apiVersion: `${RBAC_GROUP}/v1`,
            kind: 'RoleBinding',
            metadata: { name, namespace, labels },
            roleRef,
            subjects,
          },
        });
      }
    }
  }
  return { users, objects };
}
