/**
 * How service accounts appear as users (k8s.io/apiserver/pkg/authentication/serviceaccount):
 * `system:serviceaccount:NS:NAME`, in the groups `system:serviceaccounts` and
 * `system:serviceaccounts:NS`.
 */
import { SERVICE_ACCOUNT_PREFIX, SERVICE_ACCOUNTS_GROUP } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isNamespaceName(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

export function isServiceAccountName(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** serviceaccount.SplitUsername: namespace and name of a valid service account username, else undefined. */
export function splitServiceAccountUsername(
  username: string,
): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts;
  if (!isNamespaceName(namespace) || !isServiceAccountName(name)) return undefined;
  return { namespace, name };
}

/** What a user needs to act as a service account: its username and its groups. */
export function serviceAccountIdentity(namespace: string, name: string): { user: string; groups: string[] } {
  return { user: serviceAccountUsername(namespace, name), groups: serviceAccountGroups(namespace) };
}
