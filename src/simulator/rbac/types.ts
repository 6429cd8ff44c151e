/**
 * The shapes RBAC works with, as k8s.io/api/rbac/v1 and k8s.io/apiserver's user.Info and
 * authorizer.Attributes define them (JSON field names, so stored objects are read as they are).
 */

/** rbacv1.PolicyRule. A rule lists resources (with apiGroups) or nonResourceURLs, never both. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** rbacv1.Subject: kind User, Group or ServiceAccount. */
export interface Subject {
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

/** user.Info: who a request is, after authentication and impersonation. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/**
 * authorizer.Attributes: what a request asks. A resource request names a verb, group,
 * resource (with subresource), namespace and name; a non-resource request a verb and a path.
 */
export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

/** An authorizer's answer: allowed or not (RBAC never denies, it has no opinion), and why. */
export interface Decision {
  allowed: boolean;
  reason: string;
  /** Errors met while evaluating (a binding to a missing role), as the SAR's status reports them. */
  evaluationError?: string;
}

export const SYSTEM_MASTERS = 'system:masters';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS = 'system:anonymous';
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

export function resourceAttributes(
  user: UserInfo,
  fields: Partial<Omit<Attributes, 'user' | 'resourceRequest' | 'path'>> & { verb: string; resource: string },
): Attributes {
  return {
    user,
    resourceRequest: true,
    path: '',
    apiGroup: '',
    apiVersion: '*',
    namespace: '',
    subresource: '',
    name: '',
    ...fields,
  };
}

export function nonResourceAttributes(user: UserInfo, verb: string, path: string): Attributes {
  return {
    user,
    verb,
    resourceRequest: false,
    path,
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
}
