/**
 * Impersonation (k8s.io/apiserver endpoints/filters/impersonation.go): `Impersonate-User`,
 * `Impersonate-Group` (repeatable), `Impersonate-Uid` and `Impersonate-Extra-<key>` make the
 * request someone else's, each one first authorised as the verb `impersonate` on users,
 * groups or serviceaccounts (core group), uids or userextras/<key> (authentication.k8s.io).
 * The impersonated user gets `system:authenticated` as the filter adds it, and a service
 * account its groups when none are given.
 */
import type { Authorizer } from './authorizer.js';
import {
  serviceAccountGroups,
  serviceAccountUsername,
  splitServiceAccountUsername,
} from './service-accounts.js';
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS,
  type Attributes,
  resourceAttributes,
  type UserInfo,
} from './types.js';

const EXTRA_PREFIX = 'impersonate-extra-';

interface ImpersonationRequest {
  kind: 'User' | 'ServiceAccount' | 'Group' | 'UserExtra' | 'UID';
  name: string;
  namespace?: string;
  /** UserExtra: the extra's key. */
  key?: string;
}

export type Impersonation =
  | { kind: 'none' }
  | { kind: 'user'; user: UserInfo }
  /** 500: groups, extras or a uid without a user (the real filter answers with InternalError). */
  | { kind: 'error'; message: string }
  /** 403 for the first request the requester may not make. */
  | { kind: 'forbidden'; attributes: Attributes; reason: string };

/** url.PathUnescape of an extra's key; a key that does not unescape is kept as sent. */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** %v of a []v1.ObjectReference, as the filter's error quotes it. */
function describe(requests: ImpersonationRequest[]): string {
  const ref = (r: ImpersonationRequest) => {
    const apiVersion = r.kind === 'UserExtra' || r.kind === 'UID' ? 'authentication.k8s.io/v1' : '';
    // Kind Namespace Name UID APIVersion ResourceVersion FieldPath
    return `{${[r.kind, r.namespace ?? '', r.name, '', apiVersion, '', r.key ?? ''].join(' ')}}`;
  };
  return `[${requests.map(ref).join(' ')}]`;
}

function buildRequests(headers: Record<string, string[] | undefined>): ImpersonationRequest[] | string {
  const requests: ImpersonationRequest[] = [];
  const user = headers['impersonate-user']?.[0] ?? '';
  if (user) {
    const sa = splitServiceAccountUsername(user);
    requests.push(sa ? { kind: 'ServiceAccount', ...sa } : { kind: 'User', name: user });
  }
  const groups = headers['impersonate-group'] ?? [];
  for (const group of groups) requests.push({ kind: 'Group', name: group });
  // Go walks a map of headers (no order); sorted keys make the first refusal deterministic.
  const extraHeaders = Object.keys(headers)
    .filter((h) => h.startsWith(EXTRA_PREFIX))
    .sort();
  for (const header of extraHeaders) {
    const key = unescapeExtraKey(header.slice(EXTRA_PREFIX.length));
    for (const value of headers[header] ?? []) requests.push({ kind: 'UserExtra', name: value, key });
  }
  const uid = headers['impersonate-uid']?.[0] ?? '';
  if (uid) requests.push({ kind: 'UID', name: uid });
  if ((groups.length || extraHeaders.length || uid) && !user) {
    return `requested ${describe(requests)} without impersonating a user`;
  }
  return requests;
}

/** What a request's impersonation headers ask, authorised for the requester. */
export function impersonate(
  requester: UserInfo,
  /** Every line of each header, by lower-case name (IncomingMessage.headersDistinct). */
  headers: Record<string, string[] | undefined>,
  authorizer: Authorizer,
): Impersonation {
  const requests = buildRequests(headers);
  if (typeof requests === 'string') return { kind: 'error', message: requests };
  if (requests.length === 0) return { kind: 'none' };
  const groupsSpecified = requests.some((r) => r.kind === 'Group');
  let username = '';
  let groups: string[] = [];
  let uid = '';
  const extra: Record<string, string[]> = {};
  for (const request of requests) {
    let attributes: Attributes;
    switch (request.kind) {
      case 'ServiceAccount':
        attributes = resourceAttributes(requester, {
          verb: 'impersonate',
          resource: 'serviceaccounts',
          namespace: request.namespace,
          name: request.name,
          apiVersion: '',
        });
        username = serviceAccountUsername(request.namespace!, request.name);
        if (!groupsSpecified) groups = serviceAccountGroups(request.namespace!);
        break;
      case 'User':
        attributes = resourceAttributes(requester, {
          verb: 'impersonate',
          resource: 'users',
          name: request.name,
          apiVersion: '',
        });
        username = request.name;
        break;
      case 'Group':
        attributes = resourceAttributes(requester, {
          verb: 'impersonate',
          resource: 'groups',
          name: request.name,
          apiVersion: '',
        });
        groups.push(request.name);
        break;
      case 'UserExtra':
        attributes = resourceAttributes(requester, {
          verb: 'impersonate',
          apiGroup: 'authentication.k8s.io',
          apiVersion: 'v1',
          resource: 'userextras',
          subresource: request.key!,
          name: request.name,
        });
        extra[request.key!] = [...(extra[request.key!] ?? []), request.name];
        break;
      case 'UID':
        attributes = resourceAttributes(requester, {
          verb: 'impersonate',
          apiGroup: 'authentication.k8s.io',
          apiVersion: 'v1',
          resource: 'uids',
          name: request.name,
        });
        uid = request.name;
        break;
    }
    const decision = authorizer.authorize(attributes);
    if (!decision.allowed) return { kind: 'forbidden', attributes, reason: decision.reason };
  }
  if (username !== ANONYMOUS) {
    if (!groups.some((g) => g === ALL_AUTHENTICATED || g === ALL_UNAUTHENTICATED))
      groups.push(ALL_AUTHENTICATED);
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) {
    groups.push(ALL_UNAUTHENTICATED);
  }
  return {
    kind: 'user',
    user: {
      name: username,
      ...(uid ? { uid } : {}),
      groups,
      ...(Object.keys(extra).length ? { extra } : {}),
    },
  };
}
