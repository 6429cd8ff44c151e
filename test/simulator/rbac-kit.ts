/**
 * Helpers for the RBAC tests: RBAC objects and pods written as the admin over HTTPS, and
 * requests as a given user (token) or impersonated.
 */
import type { Simulator } from '../../src/simulator/server.js';
import { type AnyJson, simFetch } from './sim-kit.js';

export const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const GROUP = 'rbac.authorization.k8s.io';

export type Rule = {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
};

export type SubjectSpec =
  | { user: string }
  | { group: string }
  | { serviceAccount: string; namespace?: string };

function subject(s: SubjectSpec): AnyJson {
  if ('user' in s) return { apiGroup: GROUP, kind: 'User', name: s.user };
  if ('group' in s) return { apiGroup: GROUP, kind: 'Group', name: s.group };
  return {
    kind: 'ServiceAccount',
    name: s.serviceAccount,
    ...(s.namespace ? { namespace: s.namespace } : {}),
  };
}

export class RbacKit {
  constructor(readonly sim: Simulator) {}

  /** A request; `token` null sends none, undefined the admin's. */
  request(
    method: string,
    path: string,
    init: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    return simFetch(this.sim, path, {
      method,
      token: init.token,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      headers: { 'content-type': 'application/json', ...init.headers },
    });
  }

  /** POSTs as the admin and fails unless created. */
  async create(path: string, body: AnyJson): Promise<AnyJson> {
    const res = await this.request('POST', path, { body });
    const json = (await res.json()) as AnyJson;
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  namespace(name: string) {
    return this.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  pod(namespace: string, name: string) {
    return this.create(`/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
  }

  role(namespace: string, name: string, rules: Rule[]) {
    return this.create(`${RBAC}/namespaces/${namespace}/roles`, {
      apiVersion: `${GROUP}/v1`,
      kind: 'Role',
      metadata: { name },
      rules,
    });
  }

  clusterRole(name: string, rules: Rule[], labels?: Record<string, string>) {
    return this.create(`${RBAC}/clusterroles`, {
      apiVersion: `${GROUP}/v1`,
      kind: 'ClusterRole',
      metadata: { name, ...(labels ? { labels } : {}) },
      rules,
    });
  }

  /** A RoleBinding in `namespace` to a Role (`role:NAME`) or a ClusterRole (`NAME`). */
  roleBinding(namespace: string, name: string, role: string, subjects: SubjectSpec[]) {
    const [kind, roleName] = role.startsWith('role:') ? ['Role', role.slice(5)] : ['ClusterRole', role];
    return this.create(`${RBAC}/namespaces/${namespace}/rolebindings`, {
      apiVersion: `${GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: { name },
      roleRef: { apiGroup: GROUP, kind, name: roleName },
      subjects: subjects.map(subject),
    });
  }

  clusterRoleBinding(name: string, clusterRole: string, subjects: SubjectSpec[]) {
    return this.create(`${RBAC}/clusterrolebindings`, {
      apiVersion: `${GROUP}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: GROUP, kind: 'ClusterRole', name: clusterRole },
      subjects: subjects.map(subject),
    });
  }

  /** Status code and body of a request. */
  async answer(
    method: string,
    path: string,
    init: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: AnyJson }> {
    const res = await this.request(method, path, init);
    const text = await res.text();
    let body: AnyJson = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text (an InternalError) stays text
    }
    return { status: res.status, body };
  }

  /** A SubjectAccessReview asked by the admin: the decision for `user`/`groups`. */
  async review(spec: AnyJson): Promise<AnyJson> {
    const { status, body } = await this.answer('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
    });
    if (status !== 201) throw new Error(`SubjectAccessReview: ${status} ${JSON.stringify(body)}`);
    return body.status;
  }

  /** Whether `user` in `groups` may: a SubjectAccessReview of resource attributes. */
  async can(
    who: { user?: string; groups?: string[] },
    attributes: {
      verb: string;
      resource: string;
      group?: string;
      namespace?: string;
      name?: string;
      subresource?: string;
    },
  ): Promise<boolean> {
    return (await this.review({ ...who, resourceAttributes: attributes })).allowed;
  }
}
